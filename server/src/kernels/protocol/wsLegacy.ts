/**
 * The legacy ('' subprotocol) websocket framing of jupyter_server
 * (`services/kernels/connection/base.py` `serialize_binary_message` / `deserialize_binary_message`):
 * - text frame: JSON `{"channel", "header", "parent_header", "metadata", "content"}`;
 * - binary frame, when there are buffers: `[uint32 BE n][n × uint32 BE offset][message JSON][buffers…]`
 *   where n = 1 + number of buffers and offsets count from the start of the frame.
 */
import type { RawMessage } from './messages.js';
import { asTextFrame, checkOffsets, checkSize, fail, parseJson, relayedContent } from './wsFrame.js';
import type { DecodedFrame, FrameLimits } from './wsFrame.js';
import { isJsonObject } from './validate.js';

/**
 * Encodes by string concatenation of the raw JSON parts, so relayed content is never re-serialized.
 * Large relayed content is spliced in as the bytes that arrived (a text frame given as a Buffer
 * marked by `asTextFrame`). Buffers force a binary frame.
 */
export function encodeLegacy(msg: RawMessage): string | Buffer {
  const head = `{"channel":${JSON.stringify(msg.channel)},"header":${msg.header},"parent_header":${msg.parentHeader},"metadata":${msg.metadata},"content":`;
  const bytes = relayedContent(msg);
  if (msg.buffers.length === 0) {
    return bytes ? asTextFrame(Buffer.concat([Buffer.from(head, 'utf8'), bytes, CLOSE])) : `${head}${msg.content}}`;
  }
  const json = bytes ? Buffer.concat([Buffer.from(head, 'utf8'), bytes, CLOSE]) : Buffer.from(`${head}${msg.content}}`, 'utf8');
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

const CLOSE = Buffer.from('}', 'ascii');

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
