/**
 * One kernel (`GatewayKernel`). Over 250 lines: messaging, activity (what idle culling measures)
 * and the single state mutator meet on the relay's hot path; apart, each would hook into the others.
 */
import { randomUUID } from 'node:crypto';
import type { CellProgress } from '@sparkgate/contract';
import type { Identity } from '../auth/types.js';
import type { Profile, Sizing } from '../config/types.js';
import type { Logger } from '../log.js';
import { POOL_USER, type LaunchedKernel, type LaunchPhase } from '../backends/types.js';
import type { KernelChannels } from '../channels/types.js';
import type { ExecutionState, RawMessage } from '../protocol/messages.js';
import { jupyterDate } from '../protocol/websocket.js';
import { parseParentHeader } from '../protocol/wire.js';
import type { JobProgress } from '../spark/restClient.js';
import type { SparkExecutorInfo } from '../spark/executorInfo.js';
import { droppedNotice, OutputBuffer } from './outputBuffer.js';
import { deliver, gatewayStatus, parentOf, replyTargets, statusOf } from './relay.js';
import { OwnRequests, type OwnRequestOptions } from './requests.js';
import { applyPatch, INITIAL_STATE, type KernelPatch, type KernelState } from './state.js';
import type { CullNotice, Kernel, KernelClient, KernelModel } from './types.js';

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
  /** Called once per change (state, phase, process, job, clients), for status streams. */
  onChange?: (kernel: GatewayKernel) => void;
}

/**
 * One kernel's live state: execution state, activity, its websocket clients, and the relay
 * between them and the kernel's ZeroMQ channels. Lifecycle (launch, restart, shutdown) is the
 * manager's; this class owns messaging and the single state mutator, `update`.
 */
export class GatewayKernel implements Kernel {
  readonly id: string;
  readonly profile: Profile;
  readonly sizing: Sizing;

  constructor(options: KernelOptions) {
    this.id = options.id;
    this._name = options.name;
    this.profile = options.profile;
    this.sizing = options.sizing;
    this._owner = options.owner;
    this._logger = options.logger;
    this._now = options.now ?? (() => new Date());
    this._onChange = options.onChange;
    this._lastActivity = this._now();
    this._createdAt = this._lastActivity;
  }

  get name(): string {
    return this._name;
  }
  /** When it was started for its owner (a claimed warm driver: the claim, as the panel's uptime). */
  get createdAt(): Date {
    return this._createdAt;
  }
  get owner(): Identity {
    return this._owner;
  }
  /** An unclaimed driver of a warm pool (fleet/pools.ts): nobody's, invisible to users and culling. */
  get pooled(): boolean {
    return this._owner.user === POOL_USER;
  }
  /** A pooled driver ready to hand out. */
  get warm(): boolean {
    return this.pooled && this._s.launched !== null && this._s.state === 'idle' && this._s.phase === 'spark-ready';
  }
  get state(): ExecutionState {
    return this._s.state;
  }
  get reason(): string | null {
    return this._s.reason;
  }
  get phase(): LaunchPhase | null {
    return this._s.phase;
  }
  get phaseDetail(): string | null {
    return this._s.phaseDetail;
  }
  get launched(): LaunchedKernel | null {
    return this._s.launched;
  }
  get job(): JobProgress | null {
    return this._s.job;
  }
  get sparkExecutors(): readonly SparkExecutorInfo[] | null {
    return this._s.sparkExecutors;
  }
  get cell(): string | null {
    return this._s.cell;
  }
  get cellProgress(): CellProgress | null {
    return this._s.cellProgress;
  }
  /** Settles when the (latest) launch has finished: the kernel answers, or the launch failed. */
  get ready(): Promise<void> {
    return this._ready;
  }
  get connections(): number {
    return this._clients.size;
  }
  /** Some other gateway replica has clients of this kernel (its pod says so). */
  get connectedElsewhere(): boolean {
    return this._s.launched?.connectedElsewhere?.() ?? false;
  }
  /** The newest user activity seen here or recorded by another gateway serving the kernel. */
  get lastActivity(): Date {
    const recorded = this._s.launched?.recordedActivity?.() ?? null;
    return recorded && recorded > this._lastActivity ? recorded : this._lastActivity;
  }
  get cullNotice(): CullNotice | null {
    return this._cullNotice;
  }
  /** The gateway's own Jupyter session: replies to it are consumed here, never relayed. */
  get gatewaySession(): string {
    return this._own.session;
  }
  /** iopub messages received so far (readiness: the SUB socket is live once this grows). */
  get iopubReceived(): number {
    return this._iopubReceived;
  }

  model(): KernelModel {
    const model: KernelModel = {
      id: this.id,
      name: this.name,
      last_activity: jupyterDate(this.lastActivity),
      execution_state: this._s.state,
      connections: this._clients.size
    };
    if (this._s.reason !== null) {
      model.reason = this._s.reason;
    }
    return model;
  }

  /**
   * The single mutator: applies `patch` (rules in state.ts) and emits one change when anything
   * shown changed. `ready` (the latest launch) is bookkeeping: replacing it alone emits nothing.
   */
  update(patch: KernelPatch & { ready?: Promise<void> }): void {
    if (patch.ready !== undefined) {
      this._ready = patch.ready;
    }
    const next = applyPatch(this._s, patch);
    if (next === null) {
      return;
    }
    if (next.state !== this._s.state) {
      this._logger.debug('kernel state', { from: this._s.state, to: next.state });
    }
    this._s = next;
    this._onChange?.(this);
  }

  /** Connects the kernel's ZeroMQ channels (after launch or restart). Held messages wait for `flushHeld()`. */
  bindChannels(channels: KernelChannels): void {
    this._channels?.close();
    this._channels = channels;
  }

  /** Drops the channels (restart, death, shutdown). Messages from clients are held meanwhile. */
  unbindChannels(): void {
    this._channels?.close();
    this._channels = null;
  }

  /** Sends messages clients sent while the kernel was not ready (once it is idle). */
  flushHeld(): void {
    for (const msg of this._held.splice(0)) {
      void this._send(msg);
    }
  }

  /**
   * Shows (or, with null, withdraws) an upcoming cull, for status streams. Set by the culler;
   * any user activity withdraws it (`_touch`).
   */
  /** A pooled driver becomes `owner`'s under `name` (its activity counts from now); once only. */
  claim(owner: Identity, name: string): void {
    if (!this.pooled) {
      throw new Error(`kernel ${this.id} is not an unclaimed pool driver`);
    }
    this._owner = owner;
    // Its lines name the claimer from now on (they named the pool's empty user).
    this._logger = this._logger.child({ user: owner.user, tenant: owner.tenant });
    this._name = name;
    this._createdAt = this._now();
    this.keepAlive();
    this._onChange?.(this);
  }

  announceCull(notice: CullNotice | null): void {
    if (notice === this._cullNotice) {
      return;
    }
    this._cullNotice = notice;
    this._onChange?.(this);
  }

  keepAlive(): void {
    this._touch();
  }

  /** Takes over the last activity an earlier or other gateway recorded (adoption), without a new note. */
  adoptActivity(at: Date): void {
    this._lastActivity = at;
  }

  // Connecting is not activity by itself: an open tab that reconnects through a proxy would
  // otherwise keep a kernel forever. What the client then sends is.
  // Output buffered while no client was attached goes to this one first, in order (see outputBuffer.ts).
  attach(client: KernelClient): void {
    this._clients.add(client);
    this._s.launched?.clientsAttached?.(true);
    if (this._unread.size > 0 || this._unread.dropped > 0) {
      const { messages, dropped, droppedParent } = this._unread.take();
      if (dropped > 0) {
        this._logger.warn('output dropped while no client was connected', { dropped });
        deliver(droppedNotice(dropped, droppedParent, this._own.session, this._unread), [client]);
      }
      for (const msg of messages) {
        deliver(msg, [client]);
      }
    }
  }

  detach(client: KernelClient): void {
    if (this._clients.delete(client)) {
      this._s.launched?.clientsAttached?.(this._clients.size > 0);
      this._onChange?.(this);
    }
  }

  /** Closes every client (kernel shut down, gateway restarting). */
  closeClients(code: number, reason: string): void {
    for (const client of this._clients) {
      client.close(code, reason);
    }
    this._clients.clear();
  }

  fromClient(msg: RawMessage): void {
    this._touch();
    if (this._channels && (this._s.state === 'idle' || this._s.state === 'busy')) {
      void this._send(msg);
    } else if (this._s.state === 'dead') {
      this._logger.warn('message to a dead kernel dropped');
    } else if (this._held.length < MAX_HELD) {
      this._held.push(msg);
    } else {
      this._logger.warn('kernel not ready and too many messages held; dropping');
    }
  }

  /** A verified message from the kernel's channels. */
  fromKernel(msg: RawMessage): void {
    if (msg.channel === 'iopub') {
      // Output, and busy/idle, count as activity unless they answer the gateway's own request, or
      // come while the kernel boots (its `starting`, ipykernel's `iopub_welcome`: no one asked).
      if ((this._s.state === 'idle' || this._s.state === 'busy') && !this._own.isOwn(msg)) {
        this._touch();
      }
      // Clients first: a status change notifies listeners (status streams) that may take longer
      // than the relay itself, and nothing can run between the two to observe the order.
      try {
        if (this._clients.size > 0) {
          deliver(msg, this._clients);
        } else if (!this._own.isOwn(msg) && statusOf(msg) !== 'starting') {
          // Kept for the next client; not the gateway's own busy/idle, nor a boot's `starting`
          // (a stale status, and nobody's output).
          this._unread.push(msg);
        }
      } finally {
        this._trackStatus(msg);
      }
      return;
    }
    const parent = parentOf(msg);
    if (parent?.session === this._own.session) {
      this._own.reply(parent.msg_id, msg);
      return;
    }
    this._touch();
    deliver(msg, replyTargets(this._clients, parent?.session));
  }

  /**
   * Sends a request from the gateway's own session and resolves with the reply, or null when
   * `timeoutMs` passes first (or no channels are bound). See {@link OwnRequestOptions.untilIdle}.
   */
  async request(
    channel: 'shell' | 'control',
    msgType: string,
    content: Record<string, unknown>,
    timeoutMs: number,
    options: OwnRequestOptions = {}
  ): Promise<RawMessage | null> {
    const channels = this._channels;
    return channels ? this._own.send(channels, channel, msgType, content, timeoutMs, options) : null;
  }

  /**
   * Broadcasts a gateway-made iopub status to every client: `dead`, for a kernel that ended by
   * itself or whose restart failed (jupyter_server's `on_restart_failed`). Why never `restarting`:
   * see {@link gatewayStatus}.
   */
  broadcastStatus(state: 'dead'): void {
    deliver(gatewayStatus(this._own.session, state), this._clients);
  }

  private async _send(msg: RawMessage): Promise<void> {
    try {
      await this._channels?.send(msg);
    } catch (error) {
      this._logger.warn('could not send to kernel', { error });
    }
  }

  /** busy/idle from iopub drive the execution state, once the kernel is up. */
  private _trackStatus(msg: RawMessage): void {
    this._iopubReceived++;
    const state = statusOf(msg);
    if (state === 'idle' && this._own.awaitingIdle) {
      const parentId = parentOf(msg)?.msg_id;
      if (parentId !== undefined) {
        this._own.idle(parentId);
      }
    }
    // Not the gateway's own requests (late readiness re-asks, kernel_info nudges, a claim's cell,
    // an interrupt's reply): they would flip a ready kernel to busy, or a busy one to idle mid-cell.
    if ((state === 'idle' || state === 'busy') && this._channels && (this._s.state === 'idle' || this._s.state === 'busy') && !this._own.isOwn(msg)) {
      this.update({ state, ...this._cellChange(msg, state) });
    }
  }

  /**
   * The running cell: an `execute_request`'s busy starts it, its own idle ends it (another
   * request's idle, e.g. a control message's mid-cell, does not). Status messages only: 2 a request.
   */
  private _cellChange(msg: RawMessage, state: 'idle' | 'busy'): { cell?: string | null } {
    let parent: { msg_id: string; msg_type: string } | null;
    try {
      parent = parseParentHeader(msg);
    } catch {
      return {};
    }
    if (state === 'busy' && parent?.msg_type === 'execute_request') {
      return { cell: parent.msg_id };
    }
    return state === 'idle' && parent !== null && parent.msg_id === this._s.cell ? { cell: null } : {};
  }

  private _touch(): void {
    this._lastActivity = this._now();
    this._s.launched?.noteActivity?.(this._lastActivity);
    if (this._cullNotice !== null) {
      this.announceCull(null);
    }
  }

  private _s: KernelState = INITIAL_STATE;
  private _name: string;
  private _createdAt: Date;
  private _owner: Identity;
  private _ready: Promise<void> = Promise.resolve();
  private _lastActivity: Date;
  private _cullNotice: CullNotice | null = null;
  private _iopubReceived = 0;
  private _channels: KernelChannels | null = null;
  private readonly _own = new OwnRequests(randomUUID());
  private readonly _clients = new Set<KernelClient>();
  private readonly _held: RawMessage[] = [];
  /** iopub output received while no client was attached, for the first one that attaches. */
  private readonly _unread = new OutputBuffer();
  private _logger: Logger;
  private readonly _now: () => Date;
  private readonly _onChange: ((kernel: GatewayKernel) => void) | undefined;
}
