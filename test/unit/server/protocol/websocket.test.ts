import { describe, expect, it } from '@jest/globals';

import type { RawMessage } from '../../../../server/src/protocol/messages.js';
import { V1_PROTOCOL } from '../../../../server/src/protocol/messages.js';
import { deserializeWs, isTextFrame, serializeWs } from '../../../../server/src/protocol/websocket.js';
import { deserializeWire, LAZY_CONTENT_BYTES, serializeWire } from '../../../../server/src/protocol/wire.js';

// A complete, compact header: JSON.stringify(JSON.parse(HEADER)) === HEADER.
const HEADER =
  '{"msg_id":"m1","msg_type":"execute_request","session":"s1","username":"u","date":"2026-01-02T03:04:05.678000Z","version":"5.4"}';

// Byte vectors derived with Python from jupyter_server `services/kernels/connection/base.py`:
// `serialize_binary_message` (legacy) and `serialize_msg_to_ws_v1` (v1).
// The message dict as jupyter_server's `_reserialize_reply` has it (header, msg_id, msg_type,
// parent_header, metadata, content, buffers, channel), dumped with compact separators.
const LEGACY_IOPUB_WITH_BUFFERS =
  '0000000300000010000000aa000000ad7b22686561646572223a7b226d73675f6964223a2261222c226d73675f74797065223a22646973706c61795f' +
  '64617461227d2c226d73675f6964223a2261222c226d73675f74797065223a22646973706c61795f64617461222c22706172656e745f6865616465' +
  '72223a7b7d2c226d65746164617461223a7b7d2c22636f6e74656e74223a7b7d2c226368616e6e656c223a22696f707562227d01020361626364';
const V1_IOPUB_WITH_BUFFERS =
  '080000000000000048000000000000004d000000000000005b000000000000005d000000000000005f00000000000000660000000000000069000000' +
  '000000006d00000000000000696f7075627b226d73675f6964223a2261227d7b7d7b7d7b2278223a317d01020361626364';
// Python json.dumps output (with its ", " and ": " spacing) for a shell execute_request with buffer 'zz'.
const LEGACY_SHELL_FROM_PYTHON =
  '000000020000000c000000f57b226368616e6e656c223a20227368656c6c222c2022686561646572223a207b226d73675f6964223a20226d3122' +
  '2c20226d73675f74797065223a2022657865637574655f72657175657374222c202273657373696f6e223a20227331222c2022757365726e616d' +
  '65223a202275222c202264617465223a2022323032362d30312d30325430333a30343a30352e3637383030305a222c202276657273696f6e223a' +
  '2022352e34227d2c2022706172656e745f686561646572223a207b7d2c20226d65746164617461223a207b7d2c2022636f6e74656e74223a207b' +
  '22636f6465223a202231227d7d7a7a';
const V1_SHELL_FROM_PYTHON =
  '070000000000000040000000000000004500000000000000c400000000000000c600000000000000c800000000000000d400000000000000d60000' +
  '00000000007368656c6c7b226d73675f6964223a226d31222c226d73675f74797065223a22657865637574655f72657175657374222c22736573' +
  '73696f6e223a227331222c22757365726e616d65223a2275222c2264617465223a22323032362d30312d30325430333a30343a30352e36373830' +
  '30305a222c2276657273696f6e223a22352e34227d7b7d7b7d7b22636f6465223a2231227d7a7a';

const hex = (data: string | Buffer): string => (typeof data === 'string' ? Buffer.from(data) : data).toString('hex');

const message = (overrides: Partial<RawMessage> = {}): RawMessage => ({
  channel: 'shell',
  header: HEADER,
  parentHeader: '{}',
  metadata: '{}',
  content: '{"code":"1"}',
  buffers: [],
  ...overrides
});

describe('protocol/websocket', () => {
  describe('#serializeWs() legacy', () => {
    it('should splice the raw parts into a text frame without re-serializing them', () => {
      const content = '{ "text" : "hi\\n" }';
      const frame = serializeWs(message({ channel: 'iopub', content }), '');
      expect(frame).toBe(
        `{"header":${HEADER},"msg_id":"m1","msg_type":"execute_request","parent_header":{},"metadata":{},"content":{ "text" : "hi\\n" },"buffers":[],"channel":"iopub"}`
      );
    });

    // Issue 11, item 1: Enterprise Gateway's client and jupyter_server's gateway relay read the
    // top-level msg_type (KeyError: 'msg_type' without it).
    it("should send exactly the keys of jupyter_server's kernel websocket, msg_id and msg_type copied from the header", () => {
      const frame = JSON.parse(serializeWs(message({ channel: 'iopub', parentHeader: HEADER }), '') as string) as Record<string, unknown>;
      expect(Object.keys(frame)).toEqual(['header', 'msg_id', 'msg_type', 'parent_header', 'metadata', 'content', 'buffers', 'channel']);
      expect(frame).toMatchObject({ msg_id: 'm1', msg_type: 'execute_request', buffers: [], channel: 'iopub' });
    });

    it('should splice large relayed content as the bytes that arrived, with the same keys', () => {
      const text = 'x'.repeat(LAZY_CONTENT_BYTES);
      const wire = deserializeWire(serializeWire(message({ channel: 'iopub', content: JSON.stringify({ name: 'stdout', text }) }), 'k'), 'k', 'iopub');
      const frame = serializeWs(wire, '');
      expect(Buffer.isBuffer(frame) && isTextFrame(frame)).toBe(true);
      const parsed = JSON.parse(frame.toString()) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(['header', 'msg_id', 'msg_type', 'parent_header', 'metadata', 'content', 'buffers', 'channel']);
      expect(parsed).toMatchObject({ msg_id: 'm1', msg_type: 'execute_request', content: { name: 'stdout', text } });
    });

    it.each([
      ['compact, ids first', '{"msg_id":"m","msg_type":"stream","session":"s"}'],
      ["Python's separators", '{"msg_id": "m", "msg_type": "stream", "session": "s"}'],
      ['another key order', '{"session":"s","msg_type":"stream","msg_id":"m"}'],
      ['escapes in the ids', '{"msg_id":"m\\"1\\u00e9","msg_type":"str\\u0065am"}'],
      ['an id that only looks first', '{"msg_idx":"no","msg_id":"m","msg_type":"stream"}']
    ])('should copy msg_id and msg_type from a header written with %s', (_case, header) => {
      const expected = JSON.parse(header) as { msg_id: string; msg_type: string };
      const frame = JSON.parse(serializeWs(message({ header }), '') as string) as Record<string, unknown>;
      expect([frame.msg_id, frame.msg_type]).toEqual([expected.msg_id, expected.msg_type]);
      expect(frame.header).toEqual(expected);
    });

    it('should give null top-level ids when the header lacks them, and keep the header as it came', () => {
      const frame = JSON.parse(serializeWs(message({ header: '{"msg_id":7}' }), '') as string) as Record<string, unknown>;
      expect(frame).toMatchObject({ header: { msg_id: 7 }, msg_id: null, msg_type: null });
    });

    it('should write a binary frame byte-exact with jupyter_server when there are buffers', () => {
      const msg = message({
        channel: 'iopub',
        header: '{"msg_id":"a","msg_type":"display_data"}',
        content: '{}',
        buffers: [Buffer.from([1, 2, 3]), Buffer.from('abcd')]
      });
      const frame = serializeWs(msg, '');
      expect(Buffer.isBuffer(frame)).toBe(true);
      expect(hex(frame)).toBe(LEGACY_IOPUB_WITH_BUFFERS);
    });
  });

  describe('#serializeWs() v1', () => {
    it('should write frames byte-exact with jupyter_server', () => {
      const msg = message({
        channel: 'iopub',
        header: '{"msg_id":"a"}',
        content: '{"x":1}',
        buffers: [Buffer.from([1, 2, 3]), Buffer.from('abcd')]
      });
      expect(hex(serializeWs(msg, V1_PROTOCOL))).toBe(V1_IOPUB_WITH_BUFFERS);
    });

    it('should write a binary frame even without buffers', () => {
      expect(Buffer.isBuffer(serializeWs(message(), V1_PROTOCOL))).toBe(true);
    });
  });

  describe('#deserializeWs()', () => {
    it.each(['', V1_PROTOCOL] as const)('should round-trip a message with buffers (protocol %j)', protocol => {
      const original = message({ channel: 'stdin', buffers: [Buffer.from('b1'), Buffer.alloc(0), Buffer.from('b3')] });
      expect(deserializeWs(serializeWs(original, protocol), protocol)).toEqual(original);
    });

    it.each(['', V1_PROTOCOL] as const)('should round-trip a message without buffers (protocol %j)', protocol => {
      const original = message({ channel: 'control', parentHeader: HEADER, metadata: '{"m":[1]}' });
      expect(deserializeWs(serializeWs(original, protocol), protocol)).toEqual(original);
    });

    it('should decode a legacy binary frame written by Python', () => {
      const decoded = deserializeWs(Buffer.from(LEGACY_SHELL_FROM_PYTHON, 'hex'), '');
      expect(decoded).toEqual(message({ buffers: [Buffer.from('zz')] }));
    });

    it('should decode a v1 frame written by Python', () => {
      const decoded = deserializeWs(Buffer.from(V1_SHELL_FROM_PYTHON, 'hex'), V1_PROTOCOL);
      expect(decoded).toEqual(message({ buffers: [Buffer.from('zz')] }));
    });

    it('should fill missing parts, header fields, and default the legacy channel to shell', () => {
      const frame = JSON.stringify({ header: { msg_id: 'm', msg_type: 'kernel_info_request', session: 's' } });
      const decoded = deserializeWs(frame, '', { username: 'alice', now: () => new Date('2026-01-02T03:04:05.678Z') });
      expect(decoded).toEqual({
        channel: 'shell',
        header: JSON.stringify({
          msg_id: 'm',
          msg_type: 'kernel_info_request',
          session: 's',
          username: 'alice',
          date: '2026-01-02T03:04:05.678000Z',
          version: '5.4'
        }),
        parentHeader: '{}',
        metadata: '{}',
        content: '{}',
        buffers: []
      });
    });

    it("should accept the enterprise gateway client's empty buffers object in a text frame", () => {
      const frame = `{"channel":"shell","header":${HEADER},"parent_header":{},"metadata":{},"content":{},"buffers":{}}`;
      expect(deserializeWs(frame, '').buffers).toEqual([]);
    });

    it('should decode iopub when the caller allows it (a test client reading gateway output)', () => {
      const frame = serializeWs(message({ channel: 'iopub' }), V1_PROTOCOL);
      expect(deserializeWs(frame, V1_PROTOCOL, { channels: ['iopub'] }).channel).toBe('iopub');
    });
  });
});
