/**
 * The legacy ('' subprotocol) websocket framing of jupyter_server
 * (`services/kernels/connection/base.py` `serialize_binary_message` / `deserialize_binary_message`):
 * - text frame: JSON `{"header", "msg_id", "msg_type", "parent_header", "metadata", "content", "buffers": [], "channel"}`;
 * - binary frame, when there are buffers: `[uint32 BE n][n × uint32 BE offset][message JSON][buffers…]`
 *   where n = 1 + number of buffers, offsets count from the start of the frame, and the message
 *   JSON has the same keys but `buffers`.
 *
 * The keys are exactly those jupyter_server's kernel websocket sends: jupyter_client's
 * `Session.deserialize` copies `msg_id` and `msg_type` from the header to the top level
 * (`jupyter_client/session.py` 1080–1081), `ZMQChannelsWebsocketConnection._reserialize_reply`
 * adds `channel` and dumps the dict (`connection/channels.py` 598–621), and
 * `serialize_binary_message` pops `buffers` (`connection/base.py` 41). Clients read the
 * top-level copies: Enterprise Gateway's client and jupyter_server's gateway relay
 * (`gateway/connections.py` `_get_message_summary`) fail with `KeyError: 'msg_type'` without
 * them (issue 11, item 1).
 */
import type { RawMessage } from './messages.js';
import { asTextFrame, checkOffsets, checkSize, fail, parseJson, relayedContent } from './wsFrame.js';
import type { DecodedFrame, FrameLimits } from './wsFrame.js';
import { isJsonObject } from './validate.js';

/**
 * Encodes by string concatenation of the raw JSON parts, so relayed content is never re-serialized.
 * Large relayed content is spliced in as the bytes that arrived (a text frame given as a Buffer
 * marked by `asTextFrame`). Buffers force a binary frame. Only the (small) header is parsed, for
 * its `msg_id` and `msg_type`.
 */
export function encodeLegacy(msg: RawMessage): string | Buffer {
  const head = `{"header":${msg.header},${topLevelIds(msg.header)},"parent_header":${msg.parentHeader},"metadata":${msg.metadata},"content":`;
  const channel = `"channel":${JSON.stringify(msg.channel)}}`;
  const bytes = relayedContent(msg);
  if (msg.buffers.length === 0) {
    const tail = `,"buffers":[],${channel}`;
    return bytes ? asTextFrame(Buffer.concat([Buffer.from(head, 'utf8'), bytes, Buffer.from(tail, 'utf8')])) : `${head}${msg.content}${tail}`;
  }
  const tail = `,${channel}`;
  const json = bytes ? Buffer.concat([Buffer.from(head, 'utf8'), bytes, Buffer.from(tail, 'utf8')]) : Buffer.from(`${head}${msg.content}${tail}`, 'utf8');
  const parts: Buffer[] = [json, ...msg.buffers];
  const table = Buffer.alloc(4 * (parts.length + 1));
  table.writeUInt32BE(parts.length, 0);
  let offset = table.length;
  for (const [i, part] of parts.entries()) {
    table.writeUInt32BE(offset, 4 * (i + 1));
    offset += part.length;
  }
  return Buffer.concat([table, ...parts]);
}

/**
 * `"msg_id":…,"msg_type":…` copied from the header JSON. A header that is not a JSON object, or
 * lacks either field as a string, gives `null` there (jupyter_server drops such a message as
 * malformed; the gateway relays it as it came, with the keys present).
 */
function topLevelIds(header: string): string {
  // Fast path (~5× cheaper than JSON.parse of a header): jupyter_client, ipykernel and the
  // gateway itself write `msg_id` then `msg_type` first. Anchored at the opening brace, both are
  // top-level keys, and their values are JSON string literals without escapes, spliced as they are.
  const leading = LEADING_IDS.exec(header);
  if (leading) {
    return `"msg_id":${leading[1]},"msg_type":${leading[2]}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    parsed = null;
  }
  const fields = isJsonObject(parsed) ? parsed : {};
  return `"msg_id":${idField(fields['msg_id'])},"msg_type":${idField(fields['msg_type'])}`;
}

// msg_id, then msg_type, each a JSON string without escapes (nor the control characters JSON forbids).
const LEADING_IDS = /^\{[ \t\n\r]*"msg_id"[ \t\n\r]*:[ \t\n\r]*("[^"\\\u0000-\u001f]*")[ \t\n\r]*,[ \t\n\r]*"msg_type"[ \t\n\r]*:[ \t\n\r]*("[^"\\\u0000-\u001f]*")[ \t\n\r]*[,}]/;

function idField(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : 'null';
}

/** Decodes a legacy text or binary frame into its (unvalidated) parts. */
export function decodeLegacy(data: string | Buffer, limits: FrameLimits): DecodedFrame {
  if (typeof data === 'string') {
    checkSize(Buffer.byteLength(data, 'utf8'), limits);
    const msg = toObject(parseJson(data, 'text frame'));
    const buffers = msg['buffers'];
    // EG's client sends `"buffers": {}`; binary buffers cannot travel in a text frame anyway.
    const empty = buffers === undefined || buffers === null || (typeof buffers === 'object' && Object.keys(buffers).length === 0);
    if (!empty) {
      fail('buffers must be empty in a text frame; send a binary frame to attach buffers');
    }
    return { ...fromObject(msg), buffers: [] };
  }
  checkSize(data.length, limits);
  if (data.length < 4) {
    fail(`binary frame of ${data.length} bytes is shorter than its 4-byte part count`);
  }
  const count = data.readUInt32BE(0);
  if (count < 1 || count - 1 > limits.maxBuffers) {
    fail(`binary frame part count must be between 1 and ${limits.maxBuffers + 1}, got ${count}`);
  }
  const tableEnd = 4 * (count + 1);
  if (data.length < tableEnd) {
    fail(`binary frame of ${data.length} bytes is shorter than its offset table (${tableEnd} bytes)`);
  }
  const offsets = Array.from({ length: count }, (_, i) => data.readUInt32BE(4 * (i + 1)));
  checkOffsets(offsets, tableEnd, data.length, 'binary frame');
  // The last part runs to the end of the frame.
  const parts = offsets.map((start, i) => data.subarray(start, offsets[i + 1] ?? data.length));
  const [json, ...buffers] = parts as [Buffer, ...Buffer[]];
  return { ...fromObject(toObject(parseJson(json.toString('utf8'), 'binary frame message'))), buffers };
}

function toObject(value: unknown): Record<string, unknown> {
  return isJsonObject(value) ? value : fail('the message must be a JSON object');
}

function fromObject(msg: Record<string, unknown>): Omit<DecodedFrame, 'buffers'> {
  return {
    channel: msg['channel'],
    header: msg['header'],
    parent_header: msg['parent_header'],
    metadata: msg['metadata'],
    content: msg['content']
  };
}
