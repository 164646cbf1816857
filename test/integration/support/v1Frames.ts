/**
 * The v1.kernel.websocket.jupyter.org binary framing, written out independently of the gateway's
 * codec (server/src/protocol/wsV1.ts) so that tests check the codec against the spec, not itself:
 * u64le count of offsets, the offsets, then channel, header, parent header, metadata, content, buffers.
 */

/** Frames `parts` (channel first) as one v1 websocket message. */
export function encodeV1(parts: string[]): Buffer {
  const bodies = parts.map(p => Buffer.from(p));
  const offsets: number[] = [];
  let at = 8 * (bodies.length + 2);
  for (const b of bodies) {
    offsets.push(at);
    at += b.length;
  }
  offsets.push(at);
  const head = Buffer.alloc(8 * (offsets.length + 1));
  head.writeBigUInt64LE(BigInt(offsets.length), 0);
  offsets.forEach((o, i) => head.writeBigUInt64LE(BigInt(o), 8 * (i + 1)));
  return Buffer.concat([head, ...bodies]);
}

/** The parts of one v1 websocket message, channel first. */
export function decodeV1(data: Buffer): Buffer[] {
  const n = Number(data.readBigUInt64LE(0));
  const offsets = Array.from({ length: n }, (_, i) => Number(data.readBigUInt64LE(8 * (i + 1))));
  return offsets.slice(0, -1).map((o, i) => data.subarray(o, offsets[i + 1]));
}
