import { describe, expect, it } from '@jest/globals';
import { assertKernelId, parseStartKernelBody } from '../../../../../server/src/api/rest/validate.js';
import { InputError, NotFoundError } from '../../../../../server/src/errors.js';

describe('api/rest/validate', () => {
  describe('#assertKernelId()', () => {
    it('should accept UUIDs and refuse anything else as not found', () => {
      expect(() => assertKernelId('0b7e1c1a-6f0e-4b8e-9d5e-2f1d3c4b5a69')).not.toThrow();
      expect(() => assertKernelId('../../etc/passwd')).toThrow(NotFoundError);
      expect(() => assertKernelId('x'.repeat(10_000))).toThrow(/kernel ids are UUIDs/);
    });
  });

  describe('#parseStartKernelBody()', () => {
    it('should keep the name and only KERNEL_* variables', () => {
      expect(
        parseStartKernelBody({ name: 'pyspark', env: { KERNEL_USERNAME: 'a', KERNEL_WORKING_DIR: '/w', PATH: '/evil', LD_PRELOAD: 'x' } })
      ).toEqual({ name: 'pyspark', env: { KERNEL_USERNAME: 'a', KERNEL_WORKING_DIR: '/w' } });
    });

    it('should treat a missing body as the default kernel', () => {
      expect(parseStartKernelBody(undefined)).toEqual({ env: {} });
    });

    it.each([
      [[1, 2], /must be a JSON object/],
      [{ name: 3 }, /"name" must be a kernel spec name/],
      [{ env: [] }, /"env" must be an object/],
      [{ env: { KERNEL_X: 1 } }, /env.KERNEL_X must be a string/],
      [{ env: { KERNEL_X: 'a\nb' } }, /without NUL or line breaks/],
      [{ env: { KERNEL_X: 'a'.repeat(5000) } }, /at most 4096 characters/]
    ])('should reject %j', (body, message) => {
      expect(() => parseStartKernelBody(body)).toThrow(InputError);
      expect(() => parseStartKernelBody(body)).toThrow(message);
    });
  });
});
