/**
 * iopub output a kernel publishes while no websocket client is attached (a re-adopted kernel whose
 * notebooks have not reconnected yet, a tab closed during a long cell), kept for the first client
 * that attaches. jupyter_server does the same per disconnected session; here it is per kernel.
 * Bounded in messages and bytes: past either bound the oldest go, counted, so the client is told.
 * Pure: no clock, no I/O.
 */
import type { RawMessage } from '../protocol/messages.js';
import { makeMessage } from '../protocol/websocket.js';

/** Messages kept per kernel: the kernel's own hold (sparkgate_launcher.py) keeps as many. */
export const OUTPUT_BUFFER_MAX_MESSAGES = 2000;
/** Bytes kept per kernel: smaller than the kernel's 16 MiB, since this memory is the shared gateway's. */
export const OUTPUT_BUFFER_MAX_BYTES = 4 * 1024 * 1024;

export interface OutputBufferOptions {
  maxMessages?: number;
  maxBytes?: number;
}

/** What a buffer held: its messages in arrival order, and how many older ones it dropped. */
export interface BufferedOutput {
  messages: RawMessage[];
  dropped: number;
  /** The parent header (JSON text) of the newest dropped message; null when none was dropped. */
  droppedParent: string | null;
}

export class OutputBuffer {
  readonly maxMessages: number;
  readonly maxBytes: number;

  constructor(options: OutputBufferOptions = {}) {
    this.maxMessages = options.maxMessages ?? OUTPUT_BUFFER_MAX_MESSAGES;
    this.maxBytes = options.maxBytes ?? OUTPUT_BUFFER_MAX_BYTES;
  }

  get size(): number {
    return this._messages.length - this._head;
  }
  get bytes(): number {
    return this._bytes;
  }
  /** Messages dropped since the last `take()`. */
  get dropped(): number {
    return this._dropped;
  }

  push(msg: RawMessage): void {
    const size = messageBytes(msg);
    this._messages.push(msg);
    this._sizes.push(size);
    this._bytes += size;
    while (this.size > this.maxMessages || (this._bytes > this.maxBytes && this.size > 0)) {
      const old = this._messages[this._head]!;
      this._bytes -= this._sizes[this._head]!;
      this._head++;
      this._dropped++;
      this._droppedParent = old.parentHeader;
    }
    // Shift-free FIFO: compact once the dropped prefix outweighs what is kept.
    if (this._head > 1024 && this._head * 2 > this._messages.length) {
      this._messages.splice(0, this._head);
      this._sizes.splice(0, this._head);
      this._head = 0;
    }
  }

  /** Everything held, and empties the buffer. */
  take(): BufferedOutput {
    const out: BufferedOutput = { messages: this._messages.slice(this._head), dropped: this._dropped, droppedParent: this._droppedParent };
    this._messages = [];
    this._sizes = [];
    this._head = 0;
    this._bytes = 0;
    this._dropped = 0;
    this._droppedParent = null;
    return out;
  }

  private _messages: RawMessage[] = [];
  private _sizes: number[] = [];
  private _head = 0;
  private _bytes = 0;
  private _dropped = 0;
  private _droppedParent: string | null = null;
}

/** What a message weighs here: its JSON parts (UTF-16 length, close to its bytes) and binary buffers. */
export function messageBytes(msg: RawMessage): number {
  let size = msg.header.length + msg.parentHeader.length + msg.metadata.length + msg.content.length;
  for (const buffer of msg.buffers) {
    size += buffer.byteLength;
  }
  return size;
}

/** The `stream` stderr message that tells a client how many buffered messages were dropped. */
export function droppedNotice(dropped: number, parentHeader: string | null, session: string, limits: Required<OutputBufferOptions>): RawMessage {
  const many = dropped === 1 ? 'message was' : 'messages were';
  const text =
    `[sparkgate] ${dropped} output ${many} dropped while no client was connected to this kernel ` +
    `(the gateway keeps at most ${limits.maxMessages} messages / ${limits.maxBytes / (1024 * 1024)} MiB); the output that follows is the most recent.\n`;
  return makeMessage({
    channel: 'iopub',
    msgType: 'stream',
    content: { name: 'stderr', text },
    session,
    username: 'sparkgate',
    ...(parentHeader === null ? {} : { parentHeader })
  });
}
