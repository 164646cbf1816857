import { describe, expect, it } from '@jest/globals';

import { InvalidMessageError, InvalidSignatureError } from '../../../../server/src/protocol/errors.js';
import type { RawMessage } from '../../../../server/src/protocol/messages.js';
import {
  DELIMITER,
  deserializeWire,
  parseContent,
  parseHeader,
  parseParentHeader,
  serializeWire
} from '../../../../server/src/protocol/wire.js';
import { expectInvalid } from './helpers.js';

const KEY = 'sparkgate-test-key';
const HEADER =
  '{"msg_id":"m1","msg_type":"kernel_info_request","session":"s1","username":"u","date":"2026-01-02T03:04:05.678000Z","version":"5.4"}';
// Python: hmac.new(KEY, digestmod=hashlib.sha256) over HEADER, '{}', '{}', '{}'.
const PYTHON_SIGNATURE = '8dbf6fc134584b1c778330c6c980cf36dfb69fd25c995e4a902b62308bdcf2ad';

const message = (overrides: Partial<RawMessage> = {}): RawMessage => ({
  channel: 'shell',
  header: HEADER,
  parentHeader: '{}',
  metadata: '{}',
  content: '{}',
  buffers: [],
  ...overrides
});
const text = (frames: Buffer[]): string[] => frames.map(f => f.toString('utf8'));

describe('protocol/wire', () => {
  describe('#serializeWire()', () => {
    it('should lay out delimiter, Python-compatible signature, the four parts and buffers', () => {
      const frames = serializeWire(message({ buffers: [Buffer.from([1, 2])] }), KEY);
      expect(text(frames.slice(0, 6))).toEqual([DELIMITER, PYTHON_SIGNATURE, HEADER, '{}', '{}', '{}']);
      expect(frames[6]).toEqual(Buffer.from([1, 2]));
    });

    it('should prefix routing identities', () => {
      const frames = serializeWire(message(), KEY, { identities: [Buffer.from('peer')] });
      expect(text(frames.slice(0, 2))).toEqual(['peer', DELIMITER]);
    });
  });

  describe('#deserializeWire()', () => {
    it('should round-trip a message with identities and buffers', () => {
      const original = message({ content: '{"code":"1 + 1"}', buffers: [Buffer.from('b1'), Buffer.from('b2')] });
      const frames = serializeWire(original, KEY, { identities: [Buffer.from('a'), Buffer.from('b')] });
      const decoded = deserializeWire(frames, KEY, 'shell');
      expect(decoded).toEqual({ ...original, identities: [Buffer.from('a'), Buffer.from('b')] });
    });

    it('should keep the JSON parts as the text that arrived', () => {
      const content = '{ "b" : 1,\n"a":2 }';
      expect(deserializeWire(serializeWire(message({ content }), KEY), KEY, 'iopub').content).toBe(content);
    });

    it('should label the message with the channel it came from', () => {
      expect(deserializeWire(serializeWire(message(), KEY), KEY, 'iopub').channel).toBe('iopub');
    });

    it('should reject frames without the delimiter', () => {
      const frames = serializeWire(message(), KEY).slice(1);
      expect(() => deserializeWire(frames, KEY, 'shell')).toThrow(InvalidMessageError);
      expect(() => deserializeWire(frames, KEY, 'shell')).toThrow('kernel message on shell: no <IDS|MSG> delimiter among 5 frames');
    });

    it('should reject too few frames after the delimiter', () => {
      const frames = serializeWire(message(), KEY).slice(0, 5);
      expect(() => deserializeWire(frames, KEY, 'shell')).toThrow(
        'kernel message on shell: expected signature, header, parent_header, metadata and content after <IDS|MSG>, got 4 frames'
      );
    });

    it('should reject a bad signature with InvalidSignatureError', () => {
      const frames = serializeWire(message(), 'wrong-key');
      expect(() => deserializeWire(frames, KEY, 'iopub')).toThrow(InvalidSignatureError);
      expect(() => deserializeWire(frames, KEY, 'iopub')).toThrow('kernel message on iopub: invalid signature');
    });

    it('should reject content tampered with after signing', () => {
      const frames = serializeWire(message(), KEY);
      frames[5] = Buffer.from('{"evil":true}');
      expect(() => deserializeWire(frames, KEY, 'shell')).toThrow(InvalidSignatureError);
    });
  });

  describe('#parseHeader()', () => {
    it('should parse a valid header', () => {
      expect(parseHeader(message())).toEqual({
        msg_id: 'm1',
        msg_type: 'kernel_info_request',
        session: 's1',
        username: 'u',
        date: '2026-01-02T03:04:05.678000Z',
        version: '5.4'
      });
    });

    it('should fill missing username, date and version with empty strings', () => {
      const header = parseHeader({ header: '{"msg_id":"m","msg_type":"status","session":"s"}' });
      expect(header).toEqual({ msg_id: 'm', msg_type: 'status', session: 's', username: '', date: '', version: '' });
    });

    it.each([
      ['not json', 'kernel message: header is not valid JSON'],
      ['[]', 'kernel message: header must be a JSON object, got an array'],
      ['{"msg_type":"x","session":"s"}', 'kernel message: header.msg_id must be a non-empty string, got undefined'],
      ['{"msg_id":"m","msg_type":"","session":"s"}', 'kernel message: header.msg_type must be a non-empty string, got an empty string'],
      ['{"msg_id":"m","msg_type":"x"}', 'kernel message: header.session must be a string, got undefined'],
      ['{"msg_id":"m","msg_type":"x","session":"s","version":5}', 'kernel message: header.version must be a string, got number'],
      ['{"msg_id":"m","msg_type":"x","session":"s","subshell_id":1}', 'kernel message: header.subshell_id must be a string or null, got number']
    ])('should reject the header %s', (header, error) => {
      expectInvalid(() => parseHeader({ header }), error);
    });
  });

  describe('#parseParentHeader()', () => {
    it('should answer null for an empty parent header', () => {
      expect(parseParentHeader({ parentHeader: '{}' })).toBeNull();
    });

    it('should parse a parent header', () => {
      expect(parseParentHeader({ parentHeader: HEADER })?.msg_id).toBe('m1');
    });
  });

  describe('#parseContent()', () => {
    it('should parse content as an object', () => {
      expect(parseContent({ content: '{"execution_state":"idle"}' })).toEqual({ execution_state: 'idle' });
    });

    it('should reject content that is not an object', () => {
      expect(() => parseContent({ content: '1' })).toThrow('kernel message: content must be a JSON object, got number');
    });
  });
});
