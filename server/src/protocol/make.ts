import { randomUUID } from 'node:crypto';

import type { Channel, MessageHeader, RawMessage } from './messages.js';

/** The Jupyter messaging protocol version the gateway speaks when it writes its own headers. */
export const PROTOCOL_VERSION = '5.4';

/**
 * A Jupyter timestamp: ISO 8601 with microseconds and `Z` (`2026-01-02T03:04:05.678000Z`).
 * `Date.toISOString()` has milliseconds only, and jupyter_server parses `%f` (6 digits).
 */
export function jupyterDate(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

/** What `makeMessage` needs; ids and clock may be given for deterministic tests. */
export interface MakeMessageOptions {
  channel: Channel;
  msgType: string;
  session: string;
  username: string;
  content?: Readonly<Record<string, unknown>>;
  metadata?: Readonly<Record<string, unknown>>;
  /** The request this message answers: its header as JSON text (verbatim) or as an object. */
  parentHeader?: string | MessageHeader;
  buffers?: Buffer[];
  /** Defaults to a fresh UUID. */
  msgId?: string;
  /** Defaults to now. */
  date?: Date;
}

/**
 * Creates a message authored by the gateway itself (kernel_info nudges, synthetic status
 * messages on restart, …) with a fresh `msg_id` and protocol version 5.4.
 */
export function makeMessage(options: MakeMessageOptions): RawMessage {
  const header: MessageHeader = {
    msg_id: options.msgId ?? randomUUID(),
    msg_type: options.msgType,
    session: options.session,
    username: options.username,
    date: jupyterDate(options.date ?? new Date()),
    version: PROTOCOL_VERSION
  };
  const parent = options.parentHeader;
  return {
    channel: options.channel,
    header: JSON.stringify(header),
    parentHeader: parent === undefined ? '{}' : typeof parent === 'string' ? parent : JSON.stringify(parent),
    metadata: JSON.stringify(options.metadata ?? {}),
    content: JSON.stringify(options.content ?? {}),
    buffers: options.buffers ?? []
  };
}
