/** Pieces shared by the websocket framings (`wsLegacy.ts`, `wsV1.ts`); not part of the public API. */
import { isUtf8 } from 'node:buffer';
import { InvalidMessageError } from './errors.js';
import type { RawMessage } from './messages.js';
import { wireContent } from './wire.js';

/** Size bounds applied before anything is allocated or parsed. */
export interface FrameLimits {
  /** Max bytes of one websocket frame. */
  maxBytes: number;
  /** Max binary buffers in one message. */
  maxBuffers: number;
}

/** A websocket message split into its parts; the JSON parts are parsed but not yet validated. */
export interface DecodedFrame {
  /** `undefined` when a legacy client left it out. */
  channel: unknown;
  header: unknown;
  parent_header: unknown;
  metadata: unknown;
  content: unknown;
  buffers: Buffer[];
}

/** Prefix of every client-side decoding error. */
export const WHERE = 'websocket message';

/** Throws `InvalidMessageError` with the common prefix. */
export function fail(detail: string): never {
  throw new InvalidMessageError(`${WHERE}: ${detail}`);
}

/** Rejects a frame over `limits.maxBytes`. */
export function checkSize(byteLength: number, limits: FrameLimits): void {
  if (byteLength > limits.maxBytes) {
    fail(`frame of ${byteLength} bytes exceeds the limit of ${limits.maxBytes} bytes`);
  }
}

/** Parses one JSON part, naming it in the error. */
export function parseJson(text: string, part: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail(`${part} is not valid JSON`);
  }
}

/**
 * Checks an offset table: every offset at or after the end of the table, within the frame, and
 * non-decreasing, so slicing by it can neither overlap the table nor run past the frame.
 */
export function checkOffsets(offsets: readonly number[], tableEnd: number, byteLength: number, layout: string): void {
  let previous = tableEnd;
  for (const [i, offset] of offsets.entries()) {
    if (offset < previous || offset > byteLength) {
      fail(`${layout} offset ${i} (${offset}) must be between ${previous} and the frame length ${byteLength}`);
    }
    previous = offset;
  }
}

/**
 * The content bytes of a (large) message relayed from a kernel, when they may be copied into a
 * frame as they are: valid UTF-8, so the frame carries exactly the bytes that encoding
 * `msg.content` would give. Undefined otherwise (encode the text instead).
 */
export function relayedContent(msg: RawMessage): Buffer | undefined {
  const bytes = wireContent(msg);
  return bytes !== undefined && isUtf8(bytes) ? bytes : undefined;
}

const textFrames = new WeakSet<Buffer>();

/** Marks `frame`, UTF-8 bytes, to be sent as a websocket *text* frame (not binary). */
export function asTextFrame(frame: Buffer): Buffer {
  textFrames.add(frame);
  return frame;
}

/** Whether `data` must go out as a text frame: a string, or bytes marked by `asTextFrame`. */
export function isTextFrame(data: string | Buffer): boolean {
  return typeof data === 'string' || textFrames.has(data);
}
