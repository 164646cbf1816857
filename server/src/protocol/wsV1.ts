/**
 * The `v1.kernel.websocket.jupyter.org` framing (jupyter_server `serialize_msg_to_ws_v1` /
 * `deserialize_msg_from_ws_v1`; JupyterLab `kernel/serialize.ts`), binary only:
 * `[uint64 LE n][n × uint64 LE offset][channel][header][parent_header][metadata][content][buffers…]`
 * where n = 6 + number of buffers: the start of the channel, then the end of every part
 * (the last offset is the frame length). Offsets count from the start of the frame.
 */
import type { RawMessage } from './messages.js';
import { checkOffsets, checkSize, fail, parseJson, relayedContent } from './wsFrame.js';
import type { DecodedFrame, FrameLimits } from './wsFrame.js';

/** Offsets without buffers: channel start + ends of channel, header, parent_header, metadata, content. */
const MIN_OFFSETS = 6;

/** Encodes the raw parts as one binary frame, without re-serializing them (nor decoding relayed content). */
export function encodeV1(msg: RawMessage): Buffer {
  const parts: Buffer[] = [
    ...[msg.channel, msg.header, msg.parentHeader, msg.metadata].map(text => Buffer.from(text, 'utf8')),
    // Relayed content goes out as the bytes that arrived (the same bytes, without a decode).
    relayedContent(msg) ?? Buffer.from(msg.content, 'utf8'),
    ...msg.buffers
  ];
  const count = parts.length + 1;
  const table = Buffer.alloc(8 * (count + 1));
  table.writeBigUInt64LE(BigInt(count), 0);
  let offset = table.length;
  table.writeBigUInt64LE(BigInt(offset), 8);
  for (const [i, part] of parts.entries()) {
    offset += part.length;
    table.writeBigUInt64LE(BigInt(offset), 8 * (i + 2));
  }
  return Buffer.concat([table, ...parts]);
}

/** Decodes a v1 frame into its (unvalidated) parts. */
export function decodeV1(data: string | Buffer, limits: FrameLimits): DecodedFrame {
  if (typeof data === 'string') {
    return fail('the v1.kernel.websocket.jupyter.org protocol uses binary frames, got a text frame');
  }
  checkSize(data.length, limits);
  if (data.length < 8) {
    fail(`binary frame of ${data.length} bytes is shorter than its 8-byte offset count`);
  }
  const count = data.readBigUInt64LE(0);
  const max = MIN_OFFSETS + limits.maxBuffers;
  if (count < MIN_OFFSETS || count > max) {
    fail(`binary frame offset count must be between ${MIN_OFFSETS} and ${max}, got ${count}`);
  }
  const n = Number(count);
  const tableEnd = 8 * (n + 1);
  if (data.length < tableEnd) {
    fail(`binary frame of ${data.length} bytes is shorter than its offset table (${tableEnd} bytes)`);
  }
  const offsets = Array.from({ length: n }, (_, i) => Number(data.readBigUInt64LE(8 * (i + 1))));
  checkOffsets(offsets, tableEnd, data.length, 'binary frame');
  const parts = offsets.slice(0, -1).map((start, i) => data.subarray(start, offsets[i + 1]));
  const [channel, header, parent, metadata, content, ...buffers] = parts as [Buffer, Buffer, Buffer, Buffer, Buffer, ...Buffer[]];
  return {
    channel: channel.toString('utf8'),
    header: parseJson(header.toString('utf8'), 'header'),
    parent_header: parseJson(parent.toString('utf8'), 'parent_header'),
    metadata: parseJson(metadata.toString('utf8'), 'metadata'),
    content: parseJson(content.toString('utf8'), 'content'),
    buffers
  };
}
