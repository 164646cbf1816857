/**
 * Jupyter's binary websocket framings, written out independently of the gateway's codec
 * (server/src/protocol/wsV1.ts, wsLegacy.ts) so that tests check the codec against the protocol,
 * not against itself. Used by the integration tests and by the frame fuzzer.
 */

/**
 * A v1.kernel.websocket.jupyter.org message: u64le count of offsets, the offsets, then the parts
 * (channel, header, parent_header, metadata, content, buffers…). `gap` bytes after the offset
 * table are legal (each part is found by its offset); the fuzzer uses them.
 */
export function v1Binary(parts: readonly (Buffer | string)[], gap = 0): Buffer {
  const bodies = parts.map(p => (typeof p === 'string' ? Buffer.from(p) : p));
  const count = bodies.length + 1;
  const table = Buffer.alloc(8 * (count + 1) + gap);
  table.writeBigUInt64LE(BigInt(count), 0);
  let offset = table.length;
  table.writeBigUInt64LE(BigInt(offset), 8);
  for (const [i, body] of bodies.entries()) {
    offset += body.length;
    table.writeBigUInt64LE(BigInt(offset), 8 * (i + 2));
  }
  return Buffer.concat([table, ...bodies]);
}

/** The parts of one v1 websocket message, channel first. */
export function decodeV1(data: Buffer): Buffer[] {
  const n = Number(data.readBigUInt64LE(0));
  const offsets = Array.from({ length: n }, (_, i) => Number(data.readBigUInt64LE(8 * (i + 1))));
  return offsets.slice(0, -1).map((o, i) => data.subarray(o, offsets[i + 1]));
}

/** A legacy (no subprotocol) binary frame of `parts`; the first is the message JSON, the rest its buffers. */
export function legacyBinary(parts: readonly Buffer[]): Buffer {
  const table = Buffer.alloc(4 * (parts.length + 1));
  table.writeUInt32BE(parts.length, 0);
  let offset = table.length;
  for (const [i, part] of parts.entries()) {
    table.writeUInt32BE(offset, 4 * (i + 1));
    offset += part.length;
  }
  return Buffer.concat([table, ...parts]);
}
