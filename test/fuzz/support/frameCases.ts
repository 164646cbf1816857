/**
 * Pure, seeded generator of kernel websocket frames for both framings (README "API"): legacy JSON
 * text frames and legacy binary frames (`[uint32 BE n][n × uint32 BE offset][json][buffers…]`), and
 * `v1.kernel.websocket.jupyter.org` binary frames (`[uint64 LE n][n × uint64 LE offset][parts…]`).
 *
 * #### Notes
 * Frames the gateway must refuse say so (`close`: the codes allowed); frames that may be valid
 * carry only message types that leave the kernel as it was (never execute, interrupt or
 * shutdown), so the witness kernel they are sent to keeps its state.
 */
import { legacyBinary, v1Binary } from '../../support/wireFrames.js';
import type { Rng } from './prng.js';

export type FrameProtocol = 'legacy' | 'v1';

export interface FrameCase {
  protocol: FrameProtocol;
  /** Summary row, e.g. `v1:offsets-decreasing`. */
  kind: string;
  /** A string goes as a text frame; a Buffer as binary, unless `asText` (raw bytes in a text frame). */
  data: string | Buffer;
  asText: boolean;
  /** Close codes the gateway must answer with, or null when the frame may be accepted. */
  close: readonly number[] | null;
  /** The close must carry a reason (the gateway's own 1007s do; ws' protocol-level ones do not). */
  reason: boolean;
}

/** Message types that neither run code nor change the kernel's state. */
const SAFE: readonly (readonly [string, string, Record<string, unknown>])[] = [
  ['shell', 'kernel_info_request', {}],
  ['shell', 'comm_info_request', {}],
  ['shell', 'is_complete_request', { code: 'for i in' }],
  ['shell', 'complete_request', { code: 'pri', cursor_pos: 3 }],
  ['shell', 'inspect_request', { code: 'len', cursor_pos: 3, detail_level: 0 }],
  ['shell', 'fuzz_unknown_request', { x: 1 }],
  ['control', 'kernel_info_request', {}],
  ['stdin', 'input_reply', { value: 'nobody asked' }]
];

const INVALID = [1007] as const;
/** Over the frame size limit: ws refuses it (1009), or the socket is torn down mid-frame (1006). */
const OVERSIZE = [1009, 1006] as const;

function header(rng: Rng, msgType: string): Record<string, unknown> {
  return { msg_id: rng.uuid(), msg_type: msgType, session: 'fuzz', username: 'fuzz', date: '2025-01-01T00:00:00.000000Z', version: '5.4' };
}

function safeMessage(rng: Rng): Record<string, unknown> {
  const [channel, msgType, content] = rng.pick(SAFE);
  const msg: Record<string, unknown> = { channel, header: header(rng, msgType), parent_header: {}, metadata: {}, content };
  // Lenient clients leave parts out; the gateway fills them in.
  if (rng.chance(0.2)) {
    delete msg.parent_header;
  }
  if (rng.chance(0.2)) {
    delete msg.metadata;
  }
  if (rng.chance(0.2) && channel === 'shell') {
    delete msg.channel; // legacy: no channel means shell
  }
  if (rng.chance(0.2)) {
    const h = msg.header as Record<string, unknown>;
    delete h.username;
    delete h.date;
    delete h.version;
  }
  return msg;
}

/** A broken message (a JSON object) and its kind; the gateway must refuse it with 1007. */
function brokenMessage(rng: Rng): [string, Record<string, unknown>] {
  const base = safeMessage(rng);
  const h = { ...(base.header as Record<string, unknown>) };
  switch (rng.int(11)) {
    case 0:
      delete base.header;
      return ['missing-header', base];
    case 1:
      return ['header-not-object', { ...base, header: rng.pick([5, 'x', [], null, true]) }];
    case 2:
      delete h.msg_type;
      return ['missing-msg_type', { ...base, header: h }];
    case 3:
      return ['bad-msg_type', { ...base, header: { ...h, msg_type: rng.pick(['', 5, null, {}]) } }];
    case 4:
      return ['bad-msg_id', { ...base, header: { ...h, msg_id: rng.pick(['', 5, null, []]) } }];
    case 5:
      return ['bad-header-field', { ...base, header: { ...h, [rng.pick(['session', 'username', 'date', 'version'])]: rng.pick([5, {}, [], true]) } }];
    case 6:
      return ['bad-subshell_id', { ...base, header: { ...h, subshell_id: rng.pick([5, {}, [], true]) } }];
    case 7:
      return ['unknown-channel', { ...base, channel: rng.pick(['nope', 'iopub', '', 'SHELL', 5, {}, 'shell\u0000']) }];
    case 8:
      return ['content-not-object', { ...base, content: rng.pick([5, 'x', [], true]) }];
    case 9:
      return ['parent-not-object', { ...base, parent_header: rng.pick([5, 'x', [1], true]) }];
    default:
      return ['metadata-not-object', { ...base, metadata: rng.pick([5, 'x', [], false]) }];
  }
}

/** Generates one frame for `protocol`. Pure: the same `rng` state gives the same frame. */
export function frameCase(rng: Rng, protocol: FrameProtocol, maxFrameBytes: number): FrameCase {
  return protocol === 'legacy' ? legacyCase(rng, maxFrameBytes) : v1Case(rng, maxFrameBytes);
}

function legacyCase(rng: Rng, maxFrameBytes: number): FrameCase {
  const make = (kind: string, data: string | Buffer, close: readonly number[] | null, extra: Partial<FrameCase> = {}): FrameCase => ({
    protocol: 'legacy',
    kind: `legacy:${kind}`,
    data,
    asText: false,
    close,
    reason: close !== null && close.includes(1007),
    ...extra
  });
  switch (rng.weighted<string>([
    [6, 'valid'],
    [3, 'valid-buffers'],
    [4, 'not-json'],
    [2, 'not-object'],
    [10, 'broken'],
    [2, 'buffers-in-text'],
    [1, 'invalid-utf8'],
    [1, 'oversize'],
    [2, 'bin-short'],
    [2, 'bin-count'],
    [2, 'bin-table'],
    [3, 'bin-offsets'],
    [2, 'bin-json'],
    [2, 'bin-random'],
    [1, 'deep']
  ])) {
    case 'valid':
      return make('valid', JSON.stringify(safeMessage(rng)), null);
    case 'valid-buffers': {
      const json = Buffer.from(JSON.stringify(safeMessage(rng)));
      return make('valid-buffers', legacyBinary([json, rng.bytes(rng.between(0, 64)), rng.bytes(rng.between(0, 64))]), null);
    }
    case 'not-json':
      return make('not-json', rng.pick(['hello', '{', '{"channel": "shell",', '', ' ', rng.text(rng.between(1, 300), '{}[]":,abc\\ \n')]), INVALID);
    case 'not-object':
      return make('not-object', rng.pick(['42', '[]', 'null', '"shell"', 'true', '[{"channel": "shell"}]']), INVALID);
    case 'broken': {
      const [kind, msg] = brokenMessage(rng);
      return make(kind, JSON.stringify(msg), INVALID);
    }
    case 'buffers-in-text':
      return make('buffers-in-text', JSON.stringify({ ...safeMessage(rng), buffers: rng.pick([[1], ['AAAA'], 'x', { a: 1 }, 5]) }), INVALID);
    case 'invalid-utf8':
      // ws itself refuses a text frame that is not UTF-8 (1007, no reason of ours).
      return make('invalid-utf8', Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d]), INVALID, { asText: true, reason: false });
    case 'oversize':
      return make('oversize', `{"channel":"shell","content":{"pad":"${'z'.repeat(maxFrameBytes + rng.between(1, 4096))}"}}`, OVERSIZE, { reason: false });
    case 'bin-short':
      return make('bin-short', rng.bytes(rng.between(0, 3)), INVALID);
    case 'bin-count': {
      const frame = legacyBinary([Buffer.from(JSON.stringify(safeMessage(rng)))]);
      frame.writeUInt32BE(rng.pick([0, 1026, 0xffffffff, 0x7fffffff]), 0);
      return make('bin-count', frame, INVALID);
    }
    case 'bin-table': {
      // Claims more parts than the frame has room for.
      const frame = Buffer.alloc(8);
      frame.writeUInt32BE(rng.between(3, 1000), 0);
      frame.writeUInt32BE(8, 4);
      return make('bin-table', frame, INVALID);
    }
    case 'bin-offsets': {
      const json = Buffer.from(JSON.stringify(safeMessage(rng)));
      const frame = legacyBinary([json, rng.bytes(8), rng.bytes(8)]);
      if (rng.chance(0.3)) {
        // Offsets must not decrease.
        const second = frame.readUInt32BE(8);
        frame.writeUInt32BE(frame.readUInt32BE(12) + 1, 8);
        frame.writeUInt32BE(second, 12);
        return make('bin-offsets-decreasing', frame, INVALID);
      }
      const [kind, value] = rng.pick<[string, number]>([
        ['bin-offset-past-end', frame.length + rng.between(1, 1000)],
        ['bin-offset-into-table', rng.between(0, 15)],
        ['bin-offset-huge', 0xffffffff]
      ]);
      frame.writeUInt32BE(value, 4 * rng.between(1, 3));
      return make(kind, frame, INVALID);
    }
    case 'bin-json': {
      const [kind, msg] = rng.chance(0.5) ? (['bin-json-bad', null] as const) : brokenMessage(rng);
      const json = msg === null ? Buffer.from(rng.pick(['{', 'nope', '[]', '5', ''])) : Buffer.from(JSON.stringify(msg));
      return make(msg === null ? kind : `bin-${kind}`, legacyBinary([json, rng.bytes(4)]), INVALID);
    }
    case 'bin-random':
      return make('bin-random', Buffer.concat([Buffer.from([0xff, rng.int(256), rng.int(256), rng.int(256)]), rng.bytes(rng.between(0, 500))]), INVALID);
    default: {
      // Deeply nested content: valid JSON, depth well under Python's recursion limit.
      const depth = rng.between(50, 200);
      const msg = safeMessage(rng);
      msg.content = JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as Record<string, unknown>;
      (msg.header as Record<string, unknown>).msg_type = 'fuzz_unknown_request';
      msg.channel = 'shell';
      return make('deep', JSON.stringify(msg), null);
    }
  }
}

function v1Case(rng: Rng, maxFrameBytes: number): FrameCase {
  const make = (kind: string, data: string | Buffer, close: readonly number[] | null, extra: Partial<FrameCase> = {}): FrameCase => ({
    protocol: 'v1',
    kind: `v1:${kind}`,
    data,
    asText: false,
    close,
    reason: close !== null && close.includes(1007),
    ...extra
  });
  const partsOf = (msg: Record<string, unknown>): Buffer[] =>
    [String(msg.channel ?? 'shell'), ...['header', 'parent_header', 'metadata', 'content'].map(k => JSON.stringify(msg[k] ?? {}))].map(t => Buffer.from(t));
  switch (rng.weighted<string>([
    [6, 'valid'],
    [3, 'valid-buffers'],
    [1, 'valid-gap'],
    [3, 'text-frame'],
    [2, 'short'],
    [3, 'count'],
    [2, 'table'],
    [4, 'offsets'],
    [3, 'bad-json'],
    [8, 'broken'],
    [2, 'random'],
    [1, 'oversize']
  ])) {
    case 'valid':
      return make('valid', v1Binary(partsOf(safeMessage(rng))), null);
    case 'valid-buffers':
      return make('valid-buffers', v1Binary([...partsOf(safeMessage(rng)), rng.bytes(rng.between(0, 64)), rng.bytes(rng.between(0, 64))]), null);
    case 'valid-gap':
      // Bytes between the table and the first part: offsets still in order and in the frame.
      return make('valid-gap', v1Binary(partsOf(safeMessage(rng)), rng.between(1, 16)), null);
    case 'text-frame':
      return make('text-frame', rng.pick([JSON.stringify(safeMessage(rng)), 'hello', '']), INVALID);
    case 'short':
      return make('short', rng.bytes(rng.between(0, 7)), INVALID);
    case 'count': {
      const frame = v1Binary(partsOf(safeMessage(rng)));
      frame.writeBigUInt64LE(rng.pick([0n, 1n, 5n, 1031n, 2n ** 63n, 2n ** 64n - 1n]), 0);
      return make('count', frame, INVALID);
    }
    case 'table': {
      const frame = Buffer.alloc(rng.between(8, 40));
      frame.writeBigUInt64LE(BigInt(rng.between(6, 1000)), 0);
      return make('table', frame, INVALID);
    }
    case 'offsets': {
      const frame = v1Binary(partsOf(safeMessage(rng)));
      if (rng.chance(0.3)) {
        // Offsets must not decrease (header's end after parent_header's).
        const headerEnd = frame.readBigUInt64LE(16);
        frame.writeBigUInt64LE(frame.readBigUInt64LE(24) + 1n, 16);
        frame.writeBigUInt64LE(headerEnd, 24);
        return make('offsets-decreasing', frame, INVALID);
      }
      const [kind, value] = rng.pick<[string, bigint]>([
        ['offset-past-end', BigInt(frame.length + rng.between(1, 1000))],
        ['offset-into-table', BigInt(rng.between(0, 55))],
        ['offset-huge', 2n ** 64n - 1n],
        ['offset-2^53', 2n ** 53n + 1n]
      ]);
      frame.writeBigUInt64LE(value, 8 * rng.between(1, 6));
      return make(kind, frame, INVALID);
    }
    case 'bad-json': {
      const parts = partsOf(safeMessage(rng));
      const at = rng.between(1, 4);
      parts[at] = Buffer.from(rng.pick(['{', '', 'nope', '{"a":}', '\u0000']));
      return make(`bad-json-${['channel', 'header', 'parent_header', 'metadata', 'content'][at]}`, v1Binary(parts), INVALID);
    }
    case 'broken': {
      const [kind, msg] = brokenMessage(rng);
      if (kind === 'unknown-channel') {
        const parts = partsOf(msg);
        parts[0] = Buffer.from(typeof msg.channel === 'string' ? msg.channel : JSON.stringify(msg.channel));
        return make(kind, v1Binary(parts), INVALID);
      }
      if (kind === 'missing-header') {
        const parts = partsOf(msg);
        parts[1] = Buffer.from(rng.pick(['null', '5', '[]']));
        return make('header-not-object', v1Binary(parts), INVALID);
      }
      return make(kind, v1Binary(partsOf(msg)), INVALID);
    }
    case 'random':
      return make('random', Buffer.concat([Buffer.from([rng.int(256), rng.int(256), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), rng.bytes(rng.between(0, 500))]), INVALID);
    default: {
      const parts = partsOf(safeMessage(rng));
      return make('oversize', v1Binary([...parts, Buffer.alloc(maxFrameBytes + rng.between(1, 4096), 0x61)]), OVERSIZE, { reason: false });
    }
  }
}
