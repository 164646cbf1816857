import { randomUUID } from 'node:crypto';
import type { Identity } from '../auth/types.js';
import type { Profile, Sizing } from '../config/types.js';
import type { Logger } from '../log.js';
import type { LaunchedKernel, LaunchPhase } from '../backends/types.js';
import type { KernelChannels } from '../channels/types.js';
import type { ExecutionState, RawMessage, WsProtocol } from '../protocol/messages.js';
import { V1_PROTOCOL } from '../protocol/messages.js';
import { jupyterDate, makeMessage, serializeWs } from '../protocol/websocket.js';
import { parseHeader, parseParentHeader } from '../protocol/wire.js';
import type { KernelClient, KernelModel } from './types.js';

/** Messages a client sends while the kernel (re)starts are held, up to this many. */
const MAX_HELD = 100;

export interface KernelOptions {
  id: string;
  /** Kernel (spec) name in the model: the profile id, or `<profile>--<id>` for a launched cluster. */
  name: string;
  profile: Profile;
  sizing: Sizing;
  owner: Identity;
  logger: Logger;
  now?: () => Date;
  /** Called on every state change (for status streams). */
  onChange?: (kernel: Kernel) => void;
}

/**
 * One kernel's live state: execution state, activity, its websocket clients, and the relay
 * between them and the kernel's ZeroMQ channels. Lifecycle (launch, restart, shutdown) is the
 * manager's; this class owns messaging and the single state mutator.
 */
export class Kernel {
  readonly id: string;
  readonly name: string;
  readonly profile: Profile;
  readonly sizing: Sizing;
  readonly owner: Identity;
  /** The gateway's own Jupyter session: replies to it are consumed here, never relayed. */
  readonly gatewaySession = randomUUID();
  readonly createdAt: Date;
  launched: LaunchedKernel | null = null;
  reason: string | null = null;
  /** Where the launch is; null before the first launch. */
  phase: LaunchPhase | null = 'requested';
  phaseDetail: string | null = null;
  /** Settles when the (latest) launch has finished: the kernel answers, or the launch failed. */
  ready: Promise<void> = Promise.resolve();

  constructor(options: KernelOptions) {
    this.id = options.id;
    this.name = options.name;
    this.profile = options.profile;
    this.sizing = options.sizing;
    this.owner = options.owner;
    this._logger = options.logger;
    this._now = options.now ?? (() => new Date());
    this._onChange = options.onChange;
    this._lastActivity = this._now();
    this.createdAt = this._lastActivity;
  }

  get state(): ExecutionState {
    return this._state;
  }

  get connections(): number {
    return this._clients.size;
  }

  /** The model jupyter_server expects. */
  model(): KernelModel {
    const model: KernelModel = {
      id: this.id,
      name: this.name,
      last_activity: jupyterDate(this._lastActivity),
      execution_state: this._state,
      connections: this._clients.size
    };
    if (this.reason !== null) {
      model.reason = this.reason;
    }
    return model;
  }

  /** The single state mutator: ignores no-ops and anything after `dead` except a restart. */
  setState(state: ExecutionState, reason: string | null = null): void {
    if (state === this._state && reason === this.reason) {
      return;
    }
    if (this._state === 'dead' && state !== 'restarting' && state !== 'starting') {
      return;
    }
    this._logger.debug('kernel state', { from: this._state, to: state });
    this._state = state;
    this.reason = reason;
    this._onChange?.(this);
  }

  /** Records launch progress (scheduling, pulling, starting, kernel-ready, spark-ready). */
  setPhase(phase: LaunchPhase, detail: string | null): void {
    if (phase === this.phase && detail === this.phaseDetail) {
      return;
    }
    this.phase = phase;
    this.phaseDetail = detail;
    this._onChange?.(this);
  }

  /** Connects the kernel's ZeroMQ channels (after launch or restart); `flushHeld()` then sends what clients sent meanwhile. */
  bindChannels(channels: KernelChannels): void {
    this._channels?.close();
    this._channels = channels;
  }

  /** Drops the channels (restart, death, shutdown). Messages from clients are held meanwhile. */
  unbindChannels(): void {
    this._channels?.close();
    this._channels = null;
  }

  /** Sends messages clients sent while the kernel was not ready. */
  flushHeld(): void {
    const held = this._held.splice(0);
    for (const msg of held) {
      void this._send(msg);
    }
  }

  attach(client: KernelClient): void {
    this._clients.add(client);
    this._touch();
  }

  detach(client: KernelClient): void {
    if (this._clients.delete(client)) {
      this._onChange?.(this);
    }
  }

  /** Closes every client (kernel shut down). */
  closeClients(code: number, reason: string): void {
    for (const client of this._clients) {
      client.close(code, reason);
    }
    this._clients.clear();
  }

  /** A message from a websocket client, already validated. */
  fromClient(msg: RawMessage): void {
    this._touch();
    if (this._channels && (this._state === 'idle' || this._state === 'busy')) {
      void this._send(msg);
    } else if (this._state === 'dead') {
      this._logger.warn('message to a dead kernel dropped');
    } else if (this._held.length < MAX_HELD) {
      this._held.push(msg);
    } else {
      this._logger.warn('kernel not ready and too many messages held; dropping');
    }
  }

  /** A verified message from the kernel's channels. */
  fromKernel(msg: RawMessage): void {
    this._touch();
    if (msg.channel === 'iopub') {
      // Clients first: a status change notifies listeners (status streams) that may take longer
      // than the relay itself, and nothing can run between the two to observe the order.
      try {
        this._deliver(msg, this._clients);
      } finally {
        this._trackStatus(msg);
      }
      return;
    }
    const parent = safeParent(msg);
    if (parent?.session === this.gatewaySession) {
      this._resolveOwn(parent.msg_id, msg);
      return;
    }
    const targets = [...this._clients].filter(c => c.sessionId !== null && c.sessionId === parent?.session);
    this._deliver(msg, targets.length > 0 ? targets : this._clients);
  }

  /**
   * Sends a request from the gateway's own session and resolves with the reply, or null when
   * `timeoutMs` passes first. With `untilIdle`, it also waits (within the same `timeoutMs`) for
   * the kernel's iopub `idle` for the request, so that clients get it before the caller unbinds
   * the channels (a restart: jupyter_server's clients see busy and idle around the
   * `shutdown_request`, issue 11, item 2).
   */
  async request(
    channel: 'shell' | 'control',
    msgType: string,
    content: Record<string, unknown>,
    timeoutMs: number,
    options: { untilIdle?: boolean } = {}
  ): Promise<RawMessage | null> {
    const channels = this._channels;
    if (!channels) {
      return null;
    }
    const msg = makeMessage({ channel, msgType, content, session: this.gatewaySession, username: 'sparkgate' });
    const msgId = parseHeader(msg).msg_id;
    const reply = new Promise<RawMessage | null>(resolve => {
      const timer = setTimeout(() => {
        this._waiting.delete(msgId);
        resolve(null);
      }, timeoutMs);
      timer.unref();
      this._waiting.set(msgId, reply => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
    // Registered before sending: iopub and the reply travel on different sockets, either may come first.
    const idle = options.untilIdle
      ? new Promise<void>(resolve => {
          const timer = setTimeout(() => {
            this._idleWaiting.delete(msgId);
            resolve();
          }, timeoutMs);
          timer.unref();
          this._idleWaiting.set(msgId, () => {
            clearTimeout(timer);
            resolve();
          });
        })
      : undefined;
    await channels.send(msg).catch(() => undefined);
    const answer = await reply;
    if (answer !== null) {
      await idle;
    }
    return answer;
  }

  /**
   * Broadcasts a gateway-made iopub status to every client: `dead`, for a kernel that ended by
   * itself or whose restart failed (jupyter_server's `on_restart_failed`).
   *
   * #### Notes
   * `restarting` is deliberately not offered. On iopub it means "the server auto-restarted a kernel
   * that died": jupyter_server sends it only from the `KernelRestarter`'s restart callback
   * (`services/kernels/connection/channels.py` 854–857, fired by `jupyter_client/restarter.py`
   * 142), JupyterLab's `KernelConnection` turns it into `autorestarting` and the notebook shows
   * "The kernel appears to have died. It will restart automatically." A restart the user asked
   * for sends no status of its own; clients see the kernel's busy/idle around `shutdown_request`,
   * then the new kernel's around `kernel_info_request` (issue 11, item 2). The gateway never
   * auto-restarts a dead kernel, so it never has a reason to send `restarting`.
   */
  broadcastStatus(state: 'dead'): void {
    const msg = makeMessage({
      channel: 'iopub',
      msgType: 'status',
      content: { execution_state: state },
      session: this.gatewaySession,
      username: 'sparkgate'
    });
    this._deliver(msg, this._clients);
  }

  /** Whether any iopub message arrived since `since` (the SUB socket is live). */
  iopubSeenSince(since: number): boolean {
    return this._lastIopub >= since;
  }

  private async _send(msg: RawMessage): Promise<void> {
    try {
      await this._channels?.send(msg);
    } catch (error) {
      this._logger.warn('could not send to kernel', { error });
    }
  }

  private _trackStatus(msg: RawMessage): void {
    this._lastIopub = Date.now();
    // Hot path: most iopub messages are output. Only a header that can be a status is parsed.
    if (!msg.header.includes('"status"')) {
      return;
    }
    let state: unknown;
    try {
      if (parseHeader(msg).msg_type !== 'status') {
        return;
      }
      state = (JSON.parse(msg.content) as { execution_state?: unknown }).execution_state;
    } catch {
      return; // a malformed status must not keep the message from clients
    }
    if (state === 'idle' && this._idleWaiting.size > 0) {
      const parentId = safeParent(msg)?.msg_id;
      if (parentId !== undefined) {
        this._idleWaiting.get(parentId)?.();
        this._idleWaiting.delete(parentId);
      }
    }
    if ((state === 'idle' || state === 'busy') && this._channels && (this._state === 'idle' || this._state === 'busy')) {
      this.setState(state);
    }
  }

  private _resolveOwn(msgId: string, msg: RawMessage): void {
    const resolve = this._waiting.get(msgId);
    if (resolve && msg.channel !== 'iopub') {
      this._waiting.delete(msgId);
      resolve(msg);
    }
  }

  private _deliver(msg: RawMessage, targets: Iterable<KernelClient>): void {
    // Encode once per protocol, not once per client.
    let legacy: string | Buffer | undefined;
    let v1: string | Buffer | undefined;
    for (const client of targets) {
      const data =
        client.protocol === V1_PROTOCOL ? (v1 ??= serializeWs(msg, V1_PROTOCOL)) : (legacy ??= serializeWs(msg, ''));
      client.deliver(data);
    }
  }

  private _touch(): void {
    this._lastActivity = this._now();
  }

  private _state: ExecutionState = 'starting';
  private _lastActivity: Date;
  private _lastIopub = 0;
  private _channels: KernelChannels | null = null;
  private readonly _clients = new Set<KernelClient>();
  private readonly _held: RawMessage[] = [];
  private readonly _waiting = new Map<string, (reply: RawMessage) => void>();
  /** Requests (by msg_id) whose iopub `idle` someone awaits (`request(…, { untilIdle })`). */
  private readonly _idleWaiting = new Map<string, () => void>();
  private readonly _logger: Logger;
  private readonly _now: () => Date;
  private readonly _onChange: ((kernel: Kernel) => void) | undefined;
}

function safeParent(msg: RawMessage): { session: string; msg_id: string } | null {
  try {
    return parseParentHeader(msg);
  } catch {
    return null;
  }
}

export type { WsProtocol };
