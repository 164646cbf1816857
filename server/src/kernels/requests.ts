/**
 * The gateway's own requests to a kernel (kernel_info nudges, interrupt and shutdown requests):
 * sent from a session of the gateway's own, their replies consumed here and never relayed.
 */
import type { KernelChannels } from '../channels/types.js';
import type { RawMessage } from '../protocol/messages.js';
import { makeMessage } from '../protocol/websocket.js';
import { parseHeader } from '../protocol/wire.js';

/** Options of {@link OwnRequests.send}. */
export interface OwnRequestOptions {
  /**
   * Also wait (within the same timeout) for the kernel's iopub `idle` for the request, so clients
   * get it before the caller unbinds the channels (issue 11, item 2).
   */
  untilIdle?: boolean;
}

/** Pending requests of one kernel's gateway session, by msg_id. */
export class OwnRequests {
  constructor(session: string) {
    this.session = session;
    this._quoted = JSON.stringify(session);
  }

  /** The gateway's Jupyter session: replies whose parent is from it belong here. */
  readonly session: string;

  /**
   * Whether `msg` answers one of the gateway's own requests (its parent is from the gateway's
   * session): such replies and their iopub busy/idle are not user activity. A substring test, not
   * a parse: every iopub message passes here, and the session is a random UUID.
   */
  isOwn(msg: Pick<RawMessage, 'parentHeader'>): boolean {
    return msg.parentHeader.includes(this._quoted);
  }

  /** Whether someone awaits an iopub `idle` (so status messages need their parent parsed). */
  get awaitingIdle(): boolean {
    return this._idleWaiting.size > 0;
  }

  /** Sends a request on `channels` and resolves with the reply, or null when `timeoutMs` passes first. */
  async send(
    channels: KernelChannels,
    channel: 'shell' | 'control',
    msgType: string,
    content: Record<string, unknown>,
    timeoutMs: number,
    options: OwnRequestOptions = {}
  ): Promise<RawMessage | null> {
    const msg = makeMessage({ channel, msgType, content, session: this.session, username: 'sparkgate' });
    const msgId = parseHeader(msg).msg_id;
    const reply = waitFor(this._waiting, msgId, timeoutMs, null);
    // Registered before sending: iopub and the reply travel on different sockets, either may come first.
    const idle = options.untilIdle ? waitFor(this._idleWaiting, msgId, timeoutMs, undefined) : undefined;
    await channels.send(msg).catch(() => undefined);
    const answer = await reply;
    if (answer !== null) {
      await idle;
    }
    return answer;
  }

  /** A shell/control/stdin reply to the request `parentId`: hands it to its waiter. */
  reply(parentId: string, msg: RawMessage): void {
    this._waiting.get(parentId)?.(msg);
  }

  /** The kernel went idle after the request `parentId`. */
  idle(parentId: string): void {
    this._idleWaiting.get(parentId)?.(undefined);
  }

  private readonly _quoted: string;
  private readonly _waiting = new Map<string, (reply: RawMessage) => void>();
  private readonly _idleWaiting = new Map<string, (value: undefined) => void>();
}

/** Registers a waiter under `msgId` that resolves with what it is handed, or `fallback` after `timeoutMs`. */
function waitFor<T, F>(waiters: Map<string, (value: T) => void>, msgId: string, timeoutMs: number, fallback: F): Promise<T | F> {
  return new Promise(resolve => {
    const timer = setTimeout(() => {
      waiters.delete(msgId);
      resolve(fallback);
    }, timeoutMs);
    timer.unref();
    waiters.set(msgId, value => {
      clearTimeout(timer);
      waiters.delete(msgId);
      resolve(value);
    });
  });
}
