import { describe, expect, it } from '@jest/globals';

import { sign, verify } from '../../../../server/src/protocol/sign.js';

const KEY = 'sparkgate-test-key';
const HEADER =
  '{"msg_id":"m1","msg_type":"kernel_info_request","session":"s1","username":"u","date":"2026-01-02T03:04:05.678000Z","version":"5.4"}';
const PARTS = [HEADER, '{}', '{}', '{}'];
// Computed once with Python: h = hmac.new(key, digestmod=hashlib.sha256); h.update(part) for each part.
const PYTHON_SIGNATURE = '8dbf6fc134584b1c778330c6c980cf36dfb69fd25c995e4a902b62308bdcf2ad';

describe('protocol/sign', () => {
  describe('#sign()', () => {
    it('should match the signature Python hmac computes over the four parts', () => {
      expect(sign(KEY, PARTS)).toBe(PYTHON_SIGNATURE);
    });

    it('should sign bytes like the equivalent text', () => {
      expect(sign(KEY, PARTS.map(p => Buffer.from(p)))).toBe(PYTHON_SIGNATURE);
    });

    it('should return the empty signature for an empty key', () => {
      expect(sign('', PARTS)).toBe('');
    });
  });

  describe('#verify()', () => {
    it('should accept the right signature', () => {
      expect(verify(KEY, PARTS, PYTHON_SIGNATURE)).toBe(true);
    });

    it('should reject a signature made with another key', () => {
      expect(verify(KEY, PARTS, sign('other-key', PARTS))).toBe(false);
    });

    it('should reject a signature of other content', () => {
      expect(verify(KEY, [HEADER, '{}', '{}', '{"code":"x"}'], PYTHON_SIGNATURE)).toBe(false);
    });

    it('should reject a truncated or empty signature without throwing', () => {
      expect(verify(KEY, PARTS, PYTHON_SIGNATURE.slice(0, 10))).toBe(false);
      expect(verify(KEY, PARTS, '')).toBe(false);
    });

    it('should accept only the empty signature when the key is empty', () => {
      expect(verify('', PARTS, '')).toBe(true);
      expect(verify('', PARTS, PYTHON_SIGNATURE)).toBe(false);
    });
  });
});
