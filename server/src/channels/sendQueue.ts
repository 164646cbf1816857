import { ChannelsClosedError, QueueFullError } from './errors.js';

/** Options for a `SendQueue`. */
export interface SendQueueOptions {
  /** Sends one multipart message; zeromq.js allows only one in flight per socket. */
  send: (frames: Buffer[]) => Promise<void>;
  /** Max messages waiting behind the one in flight. */
  maxQueue: number;
  /** Socket name for error messages ("shell"). */
  name: string;
}

interface Pending {
  frames: Buffer[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * A bounded FIFO in front of one zmq socket with a single send loop (the shape of zeromq.js
 * `examples/queue/queue.ts`): a second concurrent `socket.send` would throw "Socket is busy
 * writing", and an unbounded queue would hide a stuck kernel until memory runs out.
 */
export class SendQueue {
  private readonly _pending: Pending[] = [];
  private _sending = false;
  private _closed = false;
  private readonly _o: SendQueueOptions;

  constructor(options: SendQueueOptions) {
    this._o = options;
  }

  /** Number of messages waiting (not counting the one in flight). */
  get length(): number {
    return this._pending.length;
  }

  /** Queues `frames`; resolves once zmq accepted them. */
  push(frames: Buffer[]): Promise<void> {
    if (this._closed) {
      return Promise.reject(this._closedError());
    }
    if (this._pending.length >= this._o.maxQueue) {
      return Promise.reject(
        new QueueFullError(`${this._o.name} send queue is full (${this._o.maxQueue} messages): the kernel is not reading`)
      );
    }
    return new Promise<void>((resolve, reject) => {
      this._pending.push({ frames, resolve, reject });
      void this._drain();
    });
  }

  /** Rejects everything waiting with `ChannelsClosedError`; later pushes reject too. Idempotent. */
  close(): void {
    this._closed = true;
    for (const item of this._pending.splice(0)) {
      item.reject(this._closedError());
    }
  }

  private async _drain(): Promise<void> {
    if (this._sending) {
      return;
    }
    this._sending = true;
    try {
      for (let item = this._pending.shift(); item !== undefined; item = this._pending.shift()) {
        try {
          await this._o.send(item.frames);
          item.resolve();
        } catch (error) {
          // A send cut short by close() fails with a zmq code (EAGAIN); report the reason instead.
          item.reject(this._closed ? this._closedError() : (error as Error));
        }
      }
    } finally {
      this._sending = false;
    }
  }

  private _closedError(): ChannelsClosedError {
    return new ChannelsClosedError(`${this._o.name} channel is closed`);
  }
}
