/** Pieces shared by the websocket framings (`wsLegacy.ts`, `wsV1.ts`); not part of the public API. */
import { InvalidMessageError } from './errors.js';

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
