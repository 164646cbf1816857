/**
 * Client-side bookkeeping shared by the websocket and the direct ZeroMQ clients: matches
 * replies and iopub messages to requests by `parent_header.msg_id`, so both transports are
 * measured with the same code.
 */
import { randomUUID } from 'node:crypto';

export class Tracker {
  constructor() {
    this.session = randomUUID();
    this._pending = new Map();
    this._idleWaiters = new Set();
    this.received = 0;
  }

  /** A request header and an entry that settles on its reply plus its `idle` status. */
  /**
   * `settleMs`: once the reply is in, give up waiting for `idle` after this long without any
   * message for the request, and settle with `idle: false` (a gateway or the kernel's PUB socket
   * dropped output; the counts then tell how much arrived).
   */
  request(msgType, { collect = false, timeoutMs = 120_000, settleMs = 0 } = {}) {
    const msgId = randomUUID();
    const header = { msg_id: msgId, msg_type: msgType, session: this.session, username: 'bench', date: new Date().toISOString(), version: '5.4' };
    let entry;
    const done = new Promise((resolve, reject) => {
      entry = { reply: null, idle: false, collect, settleMs, texts: [], streams: 0, bytes: 0, iopub: 0, resolve, reject };
      entry.timer = setTimeout(() => {
        this._pending.delete(msgId);
        reject(new Error(`${msgType} ${msgId} not answered within ${timeoutMs} ms (reply: ${entry.reply !== null}, idle: ${entry.idle})`));
      }, timeoutMs);
    });
    this._pending.set(msgId, entry);
    return { msgId, header, done };
  }

  /** Resolves on the next `status: idle` on iopub, whatever its parent (kernel start). */
  nextIdle(timeoutMs = 180_000) {
    return new Promise((resolve, reject) => {
      const waiter = { resolve };
      waiter.timer = setTimeout(() => {
        this._idleWaiters.delete(waiter);
        reject(new Error(`no idle status within ${timeoutMs} ms`));
      }, timeoutMs);
      this._idleWaiters.add(waiter);
    });
  }

  /** One parsed message: { channel, header, parent_header, content }. */
  handle(msg) {
    this.received++;
    const type = msg.header.msg_type;
    if (type === 'status' && msg.content.execution_state === 'idle' && this._idleWaiters.size > 0) {
      for (const w of this._idleWaiters) {
        clearTimeout(w.timer);
        w.resolve();
      }
      this._idleWaiters.clear();
    }
    const entry = this._pending.get(msg.parent_header?.msg_id);
    if (!entry) {
      return;
    }
    if (msg.channel === 'iopub') {
      entry.iopub++;
      if (type === 'stream') {
        entry.streams++;
        const text = msg.content.text;
        entry.bytes += text.length;
        if (entry.collect) {
          entry.texts.push(text);
        }
      } else if (type === 'status' && msg.content.execution_state === 'idle') {
        entry.idle = true;
      }
    } else if (type.endsWith('_reply')) {
      entry.reply = msg;
    }
    if (entry.idle && entry.reply) {
      this._settle(msg.parent_header.msg_id, entry);
    } else if (entry.reply && entry.settleMs > 0) {
      clearTimeout(entry.quiet);
      entry.quiet = setTimeout(() => this._settle(msg.parent_header.msg_id, entry), entry.settleMs);
    }
  }

  _settle(msgId, entry) {
    clearTimeout(entry.timer);
    clearTimeout(entry.quiet);
    this._pending.delete(msgId);
    entry.resolve(entry);
  }

  /** Rejects everything outstanding (connection lost). */
  fail(error) {
    for (const entry of this._pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this._pending.clear();
  }
}

/** The content of an execute_request for `code`. */
export function executeContent(code) {
  return { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true };
}
