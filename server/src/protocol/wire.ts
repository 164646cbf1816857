/**
 * ZeroMQ wire format of Jupyter messages (pure):
 * `[...identities, '<IDS|MSG>', signature, header, parent_header, metadata, content, ...buffers]`.
 *
 * The four dict parts stay JSON text end to end; only the header is parsed, and only on demand
 * (`parseHeader`), because relaying kernel output is the hot path.
 */
import { InvalidMessageError, InvalidSignatureError } from './errors.js';
import type { Channel, MessageHeader, RawMessage } from './messages.js';
import { sign, verify } from './sign.js';
import { assertHeader, assertJsonObject, withHeaderDefaults } from './validate.js';
import type { JsonObject } from './validate.js';

/** The frame separating zmq routing identities from the message. */
export const DELIMITER = '<IDS|MSG>';
const DELIMITER_FRAME = Buffer.from(DELIMITER, 'ascii');

/** A message read off a zmq socket, with the routing identities that preceded it. */
export interface WireMessage extends RawMessage {
  identities: Buffer[];
}

/** Options for `serializeWire`. */
export interface SerializeWireOptions {
  /** Routing identities to prefix (a ROUTER replying to a DEALER, a PUB topic). */
  identities?: readonly Buffer[];
}

/** Signs `msg` with `key` and lays it out as zmq frames. */
export function serializeWire(msg: RawMessage, key: string, options: SerializeWireOptions = {}): Buffer[] {
  const parts = [msg.header, msg.parentHeader, msg.metadata, msg.content].map(p => Buffer.from(p, 'utf8'));
  const signature = Buffer.from(sign(key, parts), 'ascii');
  return [...(options.identities ?? []), DELIMITER_FRAME, signature, ...parts, ...msg.buffers];
}

/**
 * Decodes zmq frames received on `channel` and verifies their signature under `key`.
 *
 * @throws InvalidMessageError when the delimiter is missing or frames are missing.
 * @throws InvalidSignatureError when the signature does not verify.
 */
export function deserializeWire(frames: readonly Buffer[], key: string, channel: Channel): WireMessage {
  const where = `kernel message on ${channel}`;
  const at = frames.findIndex(frame => frame.equals(DELIMITER_FRAME));
  if (at < 0) {
    throw new InvalidMessageError(`${where}: no ${DELIMITER} delimiter among ${frames.length} frames`);
  }
  // Delimiter, signature and the four dict parts must all follow the identities.
  if (frames.length < at + 6) {
    throw new InvalidMessageError(
      `${where}: expected signature, header, parent_header, metadata and content after ${DELIMITER}, got ${frames.length - at - 1} frames`
    );
  }
  const [header, parentHeader, metadata, content] = frames.slice(at + 2, at + 6) as [Buffer, Buffer, Buffer, Buffer];
  const signature = (frames[at + 1] as Buffer).toString('latin1');
  // HMAC over the received bytes, not decoded text, so invalid UTF-8 cannot alter what is checked.
  if (!verify(key, [header, parentHeader, metadata, content], signature)) {
    throw new InvalidSignatureError(`${where}: invalid signature`);
  }
  const identities = frames.slice(0, at);
  const buffers = frames.slice(at + 6);
  if (content.length < LAZY_CONTENT_BYTES) {
    return {
      channel,
      identities,
      header: header.toString('utf8'),
      parentHeader: parentHeader.toString('utf8'),
      metadata: metadata.toString('utf8'),
      content: content.toString('utf8'),
      buffers
    };
  }
  // Large content is decoded only when read: relayed output (the hot path) goes to websocket
  // clients as the bytes that arrived (see `wireContent`), so a 1 MiB stream message is never
  // decoded and re-encoded (~2 ms each way in Node 20).
  let text: string | undefined;
  const message: WireMessage = {
    channel,
    identities,
    header: header.toString('utf8'),
    parentHeader: parentHeader.toString('utf8'),
    metadata: metadata.toString('utf8'),
    get content(): string {
      return (text ??= content.toString('utf8'));
    },
    set content(value: string) {
      text = value;
      wireContents.delete(message);
    },
    buffers
  };
  wireContents.set(message, content);
  return message;
}

/** Content at least this long is kept as bytes and decoded on first read (smaller: at once, cheaper). */
export const LAZY_CONTENT_BYTES = 4096;

const wireContents = new WeakMap<RawMessage, Buffer>();

/**
 * The content bytes `msg` arrived with from a kernel, when it was decoded by `deserializeWire`,
 * they are at least `LAZY_CONTENT_BYTES` long and the content was not replaced since; undefined
 * otherwise. `msg.content` is always their UTF-8 decoding, so encoders may copy these bytes
 * instead when they are valid UTF-8.
 */
export function wireContent(msg: RawMessage): Buffer | undefined {
  return wireContents.get(msg);
}

/**
 * Parses and validates the header of a kernel message. Missing `username`, `date` or `version`
 * become '' (lenient toward non-Python kernels); `msg_id`, `msg_type` and `session` are required.
 */
export function parseHeader(raw: Pick<RawMessage, 'header'>): MessageHeader {
  const header = parseObject(raw.header, 'header');
  const filled = withHeaderDefaults(header, { username: '', date: '', version: '' });
  assertHeader(filled, 'kernel message');
  return filled;
}

/** Parses the parent header of a kernel message; `null` when it is empty (`{}`), as for unsolicited output. */
export function parseParentHeader(raw: Pick<RawMessage, 'parentHeader'>): MessageHeader | null {
  const parent = parseObject(raw.parentHeader, 'parent_header');
  if (Object.keys(parent).length === 0) {
    return null;
  }
  const filled = withHeaderDefaults(parent, { username: '', date: '', version: '' });
  assertHeader(filled, 'kernel message parent_header');
  return filled;
}

/** Parses the content of a message as a JSON object (for the few messages the gateway reads itself). */
export function parseContent(raw: Pick<RawMessage, 'content'>): JsonObject {
  return parseObject(raw.content, 'content');
}

function parseObject(text: string, part: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidMessageError(`kernel message: ${part} is not valid JSON`, { cause: error });
  }
  assertJsonObject(value, 'kernel message', part);
  return value;
}
