/**
 * Kernel messages over the client websocket (pure, symmetric): `serializeWs` / `deserializeWs`
 * dispatch on the negotiated subprotocol to the legacy JSON framing ('') or
 * `v1.kernel.websocket.jupyter.org` (see `wsLegacy.ts`, `wsV1.ts`).
 *
 * Kernel → client is the hot path: the raw JSON parts are spliced, never re-serialized.
 * Client → kernel is a trust boundary: every message is validated and its parts are
 * `JSON.stringify`'d exactly once.
 */
import { jupyterDate, PROTOCOL_VERSION } from './make.js';
import { CLIENT_CHANNELS, V1_PROTOCOL } from './messages.js';
import type { Channel, RawMessage, WsProtocol } from './messages.js';
import { assertHeader, describe, isJsonObject, withHeaderDefaults } from './validate.js';
import { decodeLegacy, encodeLegacy } from './wsLegacy.js';
import { decodeV1, encodeV1 } from './wsV1.js';
import { fail } from './wsFrame.js';
import type { DecodedFrame, FrameLimits } from './wsFrame.js';

export { jupyterDate, makeMessage, PROTOCOL_VERSION } from './make.js';
export { isTextFrame } from './wsFrame.js';
export type { MakeMessageOptions } from './make.js';

/** Default max bytes of one client frame (ipywidgets uploads travel as buffers, so not tiny). */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Default max binary buffers in one client message. */
export const DEFAULT_MAX_BUFFERS = 1024;

/**
 * Encodes a message for a websocket client: a text frame (legacy without buffers) or a binary frame.
 * A text frame is a string, or UTF-8 bytes for which `isTextFrame` is true (large relayed output).
 */
export function serializeWs(msg: RawMessage, protocol: WsProtocol): string | Buffer {
  switch (protocol) {
    case V1_PROTOCOL:
      return encodeV1(msg);
    case '':
      return encodeLegacy(msg);
  }
}

/** Options for `deserializeWs`. */
export interface DeserializeWsOptions {
  /** Channels accepted (default: shell, control, stdin — clients never send on iopub). */
  channels?: readonly Channel[];
  /** Max bytes of one frame (default `DEFAULT_MAX_BYTES`). */
  maxBytes?: number;
  /** Max binary buffers per message (default `DEFAULT_MAX_BUFFERS`). */
  maxBuffers?: number;
  /** `header.username` when the client left it out (default ''). */
  username?: string;
  /** Clock for a missing `header.date` (default now). */
  now?: () => Date;
}

/**
 * Decodes and validates a websocket frame. Missing `parent_header`, `metadata` and `content`
 * become `{}`; a missing header `username`, `date` or `version` is filled in. A legacy message
 * without `channel` goes to shell, as jupyter_server does.
 *
 * @throws InvalidMessageError (400) naming the offending part and what it must be.
 */
export function deserializeWs(data: string | Buffer, protocol: WsProtocol, options: DeserializeWsOptions = {}): RawMessage {
  const limits: FrameLimits = {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    maxBuffers: options.maxBuffers ?? DEFAULT_MAX_BUFFERS
  };
  switch (protocol) {
    case V1_PROTOCOL:
      return toRawMessage(decodeV1(data, limits), options);
    case '':
      return toRawMessage(decodeLegacy(data, limits), options);
  }
}

function toRawMessage(frame: DecodedFrame, options: DeserializeWsOptions): RawMessage {
  const channel = checkChannel(frame.channel ?? 'shell', options.channels ?? CLIENT_CHANNELS);
  if (!isJsonObject(frame.header)) {
    return fail(`header must be a JSON object, got ${describe(frame.header)}`);
  }
  const header = withHeaderDefaults(frame.header, {
    username: options.username ?? '',
    date: jupyterDate(options.now?.() ?? new Date()),
    version: PROTOCOL_VERSION
  });
  assertHeader(header, 'websocket message');
  return {
    channel,
    header: JSON.stringify(header),
    parentHeader: JSON.stringify(dict(frame.parent_header, 'parent_header')),
    metadata: JSON.stringify(dict(frame.metadata, 'metadata')),
    content: JSON.stringify(dict(frame.content, 'content')),
    buffers: frame.buffers
  };
}

function checkChannel(value: unknown, allowed: readonly Channel[]): Channel {
  const found = allowed.find(channel => channel === value);
  if (found === undefined) {
    const got = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : describe(value);
    return fail(`channel must be one of ${allowed.join(', ')}, got ${got}`);
  }
  return found;
}

/** A dict part: missing (or null) means `{}`. */
function dict(value: unknown, part: string): Record<string, unknown> {
  if (value === undefined || value === null) {
    return {};
  }
  return isJsonObject(value) ? value : fail(`${part} must be a JSON object, got ${describe(value)}`);
}
