import { describe, expect, it } from '@jest/globals';

import type { RawMessage } from '../../../../server/src/protocol/messages.js';
import { V1_PROTOCOL } from '../../../../server/src/protocol/messages.js';
import { deserializeWs, serializeWs } from '../../../../server/src/protocol/websocket.js';
import { expectInvalid } from './helpers.js';

const HEADER = { msg_id: 'm1', msg_type: 'execute_request', session: 's1' };

/** A legacy text frame from a message object, overriding top-level keys. */
const legacy = (overrides: Record<string, unknown>): string =>
  JSON.stringify({ channel: 'shell', header: HEADER, parent_header: {}, metadata: {}, content: {}, ...overrides });

const raw = (overrides: Partial<RawMessage> = {}): RawMessage => ({
  channel: 'shell',
  header: JSON.stringify(HEADER),
  parentHeader: '{}',
  metadata: '{}',
  content: '{}',
  buffers: [],
  ...overrides
});

/** A v1 frame with its u64 LE word at `index` (0 = offset count) replaced. */
const v1WithWord = (index: number, value: number): Buffer => {
  const frame = serializeWs(raw(), V1_PROTOCOL) as Buffer;
  frame.writeBigUInt64LE(BigInt(value), 8 * index);
  return frame;
};

/** A legacy binary frame (one buffer) with its u32 BE word at `index` (0 = part count) replaced. */
const legacyWithWord = (index: number, value: number): Buffer => {
  const frame = serializeWs(raw({ buffers: [Buffer.from('b')] }), '') as Buffer;
  frame.writeUInt32BE(value, 4 * index);
  return frame;
};

const W = 'websocket message: ';

describe('protocol/websocket validation', () => {
  describe('#deserializeWs() message parts', () => {
    it.each<[string, string, string]>([
      ['invalid JSON', '{"channel":', 'text frame is not valid JSON'],
      ['a non-object message', '[]', 'the message must be a JSON object'],
      ['the iopub channel', legacy({ channel: 'iopub' }), 'channel must be one of shell, control, stdin, got "iopub"'],
      ['an unknown channel', legacy({ channel: 'hb' }), 'channel must be one of shell, control, stdin, got "hb"'],
      ['a numeric channel', legacy({ channel: 1 }), 'channel must be one of shell, control, stdin, got number'],
      ['a missing header', legacy({ header: undefined }), 'header must be a JSON object, got undefined'],
      ['an array header', legacy({ header: [] }), 'header must be a JSON object, got an array'],
      ['a missing msg_id', legacy({ header: { ...HEADER, msg_id: undefined } }), 'header.msg_id must be a non-empty string, got undefined'],
      ['a numeric msg_type', legacy({ header: { ...HEADER, msg_type: 7 } }), 'header.msg_type must be a non-empty string, got number'],
      ['an empty msg_type', legacy({ header: { ...HEADER, msg_type: '' } }), 'header.msg_type must be a non-empty string, got an empty string'],
      ['a missing session', legacy({ header: { ...HEADER, session: undefined } }), 'header.session must be a string, got undefined'],
      ['a numeric username', legacy({ header: { ...HEADER, username: 1 } }), 'header.username must be a string, got number'],
      ['an object date', legacy({ header: { ...HEADER, date: {} } }), 'header.date must be a string, got an object'],
      ['a numeric version', legacy({ header: { ...HEADER, version: 5 } }), 'header.version must be a string, got number'],
      ['a numeric subshell_id', legacy({ header: { ...HEADER, subshell_id: 1 } }), 'header.subshell_id must be a string or null, got number'],
      ['an array parent_header', legacy({ parent_header: [] }), 'parent_header must be a JSON object, got an array'],
      ['a string metadata', legacy({ metadata: 'x' }), 'metadata must be a JSON object, got string'],
      ['a numeric content', legacy({ content: 1 }), 'content must be a JSON object, got number'],
      ['buffers in a text frame', legacy({ buffers: ['AAE='] }), 'buffers must be empty in a text frame; send a binary frame to attach buffers']
    ])('should reject %s', (_case, frame, error) => {
      expectInvalid(() => deserializeWs(frame, ''), W + error);
    });

    it("should turn jupyter_server's numeric header.date (epoch seconds) into the spec's ISO string", () => {
      const msg = deserializeWs(legacy({ header: { ...HEADER, date: 1764676800.25 } }), '');
      expect(JSON.parse(msg.header).date).toBe('2025-12-02T12:00:00.250Z');
    });

    it('should reject a text frame over the size limit', () => {
      const frame = legacy({});
      expectInvalid(
        () => deserializeWs(frame, '', { maxBytes: 10 }),
        `${W}frame of ${Buffer.byteLength(frame)} bytes exceeds the limit of 10 bytes`
      );
    });

    it('should reject a binary frame over the size limit', () => {
      const frame = serializeWs(raw(), V1_PROTOCOL) as Buffer;
      expectInvalid(
        () => deserializeWs(frame, V1_PROTOCOL, { maxBytes: 10 }),
        `${W}frame of ${frame.length} bytes exceeds the limit of 10 bytes`
      );
    });
  });

  describe('#deserializeWs() legacy binary framing', () => {
    it.each<[string, () => Buffer, string]>([
      ['a frame shorter than its count', () => Buffer.alloc(3), 'binary frame of 3 bytes is shorter than its 4-byte part count'],
      ['a zero part count', () => legacyWithWord(0, 0), 'binary frame part count must be between 1 and 3, got 0'],
      ['too many buffers', () => legacyWithWord(0, 4), 'binary frame part count must be between 1 and 3, got 4'],
      ['a truncated offset table', () => Buffer.from([0, 0, 0, 2, 0, 0, 0, 12]), 'binary frame of 8 bytes is shorter than its offset table (12 bytes)'],
      ['an offset inside the table', () => legacyWithWord(1, 4), 'binary frame offset 0 (4) must be between 12 and the frame length 190'],
      ['an offset past the frame', () => legacyWithWord(2, 1000), 'binary frame offset 1 (1000) must be between 12 and the frame length 190'],
      ['decreasing offsets', () => legacyWithWord(2, 11), 'binary frame offset 1 (11) must be between 12 and the frame length 190'],
      ['a message that is not JSON', () => Buffer.from([0, 0, 0, 1, 0, 0, 0, 8, 0x7b]), 'binary frame message is not valid JSON']
    ])('should reject %s', (_case, frame, error) => {
      expectInvalid(() => deserializeWs(frame(), '', { maxBuffers: 2 }), W + error);
    });
  });

  describe('#deserializeWs() v1 framing', () => {
    it.each<[string, () => string | Buffer, string]>([
      ['a text frame', () => legacy({}), 'the v1.kernel.websocket.jupyter.org protocol uses binary frames, got a text frame'],
      ['a frame shorter than its count', () => Buffer.alloc(7), 'binary frame of 7 bytes is shorter than its 8-byte offset count'],
      ['too few offsets', () => v1WithWord(0, 5), 'binary frame offset count must be between 6 and 8, got 5'],
      ['too many buffers', () => v1WithWord(0, 9), 'binary frame offset count must be between 6 and 8, got 9'],
      ['a truncated offset table', () => v1WithWord(0, 6).subarray(0, 40), 'binary frame of 40 bytes is shorter than its offset table (56 bytes)'],
      ['an offset inside the table', () => v1WithWord(1, 8), 'binary frame offset 0 (8) must be between 56 and the frame length 126'],
      ['an offset past the frame', () => v1WithWord(6, 127), 'binary frame offset 5 (127) must be between 124 and the frame length 126'],
      ['an empty channel', () => serializeWs({ ...raw(), channel: '' } as unknown as RawMessage, V1_PROTOCOL), 'channel must be one of shell, control, stdin, got ""'],
      ['the iopub channel', () => serializeWs(raw({ channel: 'iopub' }), V1_PROTOCOL), 'channel must be one of shell, control, stdin, got "iopub"'],
      ['a header that is not JSON', () => serializeWs(raw({ header: '{' }), V1_PROTOCOL), 'header is not valid JSON'],
      ['content that is not JSON', () => serializeWs(raw({ content: 'x' }), V1_PROTOCOL), 'content is not valid JSON']
    ])('should reject %s', (_case, frame, error) => {
      expectInvalid(() => deserializeWs(frame(), V1_PROTOCOL, { maxBuffers: 2 }), W + error);
    });
  });
});
