/**
 * What the rest of the gateway (api/, fleet/, spark/) may know of kernels: the `Kernel` and
 * `KernelManager` interfaces and their data shapes. The implementations are `GatewayKernel`
 * (kernel.ts) and `GatewayKernelManager` (manager.ts); nothing outside kernels/ imports those but
 * the composition root.
 */
import type { CellProgress } from '@sparkgate/contract';
import type { Identity } from '../auth/types.js';
import type { ClusterStatus, LaunchPhase } from '../backends/types.js';
import type { Profile, Sizing } from '../config/types.js';
import type { Channel, ExecutionState, RawMessage, WsProtocol } from '../protocol/messages.js';
import type { JobProgress } from '../spark/restClient.js';
import type { SparkExecutorInfo } from '../spark/executorInfo.js';
import type { Usage } from './sizing.js';

/** A kernel as jupyter_server's GatewayClient parses it (`last_activity` with microseconds + Z). */
export interface KernelModel {
  id: string;
  name: string;
  last_activity: string;
  execution_state: ExecutionState;
  connections: number;
  reason?: string;
}

/** One websocket client of a kernel, as the kernel sees it. */
export interface KernelClient {
  /** The client's Jupyter session id (`?session_id=`), used to route replies to their requester. */
  readonly sessionId: string | null;
  readonly protocol: WsProtocol;
  /** Sends an already-encoded frame of a message on `channel` (which metrics count it under). */
  deliver(data: string | Buffer, channel: Channel): void;
  /** Closes the client's connection (kernel shut down, client misbehaved). */
  close(code: number, reason: string): void;
}

/** Options of `POST /api/kernels` after validation. */
export interface StartKernelRequest {
  owner: Identity;
  /** Kernelspec name; the default profile when absent. */
  name?: string;
  /** `KERNEL_*` variables from the client, validated. */
  env: Readonly<Record<string, string>>;
}

/** What api/ sees of a kernel's running process or pod: where Spark's UI is, its executors. */
export interface LaunchedView {
  /** host:port of Spark's UI, when Spark is on. */
  readonly sparkUi: string | null;
  /** Executors and GPUs, when the backend sees them. */
  status?(): ClusterStatus | null;
}

/** An announced cull: when it will happen and since when the kernel is idle. */
export interface CullNotice {
  readonly at: Date;
  readonly idleSince: Date;
}

/**
 * One kernel: its identity, its state (read-only here; the manager changes it through the
 * kernel's single mutator) and the relay to its websocket clients.
 */
export interface Kernel {
  readonly id: string;
  /** Kernel (spec) name in the model: the profile id, or `<profile>--<id>` for a launched cluster. */
  readonly name: string;
  readonly profile: Profile;
  readonly sizing: Sizing;
  readonly owner: Identity;
  /** An unclaimed driver of a warm pool: nobody's, never listed to users, never culled. */
  readonly pooled: boolean;
  readonly createdAt: Date;
  readonly state: ExecutionState;
  /** Why the kernel is in its state (a dead kernel's cause); null when there is nothing to say. */
  readonly reason: string | null;
  /** Where the launch is; null before the first launch. */
  readonly phase: LaunchPhase | null;
  readonly phaseDetail: string | null;
  /** The running process or pod; null while (re)starting, after death and after shutdown. */
  readonly launched: LaunchedView | null;
  /** The Spark job the kernel runs now (only while busy), as the Spark monitor last saw it. */
  readonly job: JobProgress | null;
  /** Spark's executors as the Spark monitor last saw them (cores, GPU addresses, tasks); null before it asked. */
  readonly sparkExecutors: readonly SparkExecutorInfo[] | null;
  /** The `msg_id` of the `execute_request` running now; null (or absent) when none. */
  readonly cell?: string | null;
  /**
   * The Spark jobs of the running cell (`running: true`), or the final summary of the last one; a
   * new value is a change status streams send as `cell:progress`, to the owner only.
   */
  readonly cellProgress?: CellProgress | null;
  /** Websocket clients attached now. */
  readonly connections: number;
  /**
   * The last thing a user did with the kernel: a client message, kernel output or a reply to a
   * client, a busy/idle change of theirs, an interrupt or restart. The gateway's own requests
   * (kernel_info nudges, readiness asks, shutdown) and their status messages do not count.
   */
  readonly lastActivity: Date;
  /** The cull the culler announced, until it happens or activity withdraws it. */
  readonly cullNotice: CullNotice | null;
  /** Counts as user activity now (the owner asked to keep the kernel): withdraws a cull notice. */
  keepAlive(): void;
  /** The model jupyter_server expects. */
  model(): KernelModel;
  attach(client: KernelClient): void;
  detach(client: KernelClient): void;
  /** A message from a websocket client, already validated; held while the kernel (re)starts. */
  fromClient(msg: RawMessage): void;
  /** Sends a request from the gateway's own session; the reply, or null after `timeoutMs`. */
  request(channel: 'shell' | 'control', msgType: string, content: Record<string, unknown>, timeoutMs: number): Promise<RawMessage | null>;
}

/** Events of the manager, for status streams: a kernel changed (state, phase, job, executors) or went. */
export interface KernelManagerEvents {
  changed: [kernel: Kernel];
  removed: [kernel: Kernel];
}

/** Listener of one {@link KernelManagerEvents} event. */
export type KernelManagerListener<E extends keyof KernelManagerEvents> = (...args: KernelManagerEvents[E]) => void;

/** What fleet policies see of one kernel. */
export type FleetKernel = Pick<Kernel, 'id' | 'owner' | 'state' | 'connections' | 'lastActivity' | 'cullNotice'> & {
  /** An unclaimed warm pool driver (never culled); absent = no. */
  readonly pooled?: boolean;
  /** Clients attached through another gateway replica (read from the pod); absent = none. */
  readonly connectedElsewhere?: boolean;
};

/**
 * What fleet policies (fleet/culler.ts) may do over every owner's kernels: list them all,
 * announce a cull and carry it out. `GatewayKernelManager` implements it.
 */
export interface KernelFleet {
  /** Every kernel, of every owner and state. */
  all(): FleetKernel[];
  /** Shows (or, with null, withdraws) an upcoming cull on the kernel's model; unknown ids are ignored. */
  announceCull(id: string, notice: CullNotice | null): void;
  /**
   * Stops the kernel's process or pod for `reason`: clients hear `dead` and are closed with the
   * reason, and the kernel stays listed as dead with it until its owner restarts or deletes it.
   * Does nothing for a kernel that is not idle or busy, or that is being restarted or shut down.
   */
  cull(id: string, reason: string): Promise<void>;
}

/**
 * Starts, tracks, restarts and stops kernels, and enforces ownership: every lookup is by owner,
 * and another user's kernel is reported as not found.
 */
export interface KernelManager {
  /** Profiles the identity's tenant may launch. */
  profilesFor(owner: Identity): Profile[];
  /** Resolves a kernelspec name the owner may use; NotFoundError otherwise. */
  profileFor(owner: Identity, name: string | undefined): Profile;
  /** What a tenant holds now, summed over its live kernels (its warm pools' drivers included). */
  usageOf(tenant: string): Usage;
  /** Ready and starting warm drivers of the tenant's pools, by profile id. */
  poolCounts(tenant: string): Record<string, { warm: number; starting: number }>;
  /** Starts a kernel and resolves once it answers kernel_info; a failed start leaves no record. */
  start(request: StartKernelRequest & { sizing?: Sizing }): Promise<Kernel>;
  /** Starts a cluster in the background: listed at once, `dead` with its reason if the launch fails. */
  launch(request: StartKernelRequest & { sizing: Sizing }): Kernel;
  list(owner: Identity): Kernel[];
  get(owner: Identity, id: string): Kernel;
  interrupt(owner: Identity, id: string): Promise<void>;
  /** Restarts with the same id: the old process or pod goes, a fresh one comes. */
  restart(owner: Identity, id: string): Promise<Kernel>;
  shutdown(owner: Identity, id: string): Promise<void>;
  on<E extends keyof KernelManagerEvents>(event: E, listener: KernelManagerListener<E>): void;
  off<E extends keyof KernelManagerEvents>(event: E, listener: KernelManagerListener<E>): void;
}
