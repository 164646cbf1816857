import type { LaunchPhase, NodeCapacity } from '@sparkgate/contract';
import type { Identity } from '../auth/types.js';
import type { Profile, Sizing } from '../config/types.js';
import type { ConnectionInfo } from '../protocol/messages.js';

/** Launch phases shown to users while a kernel comes up (the panel shows them too: defined in the contract). */
export type { LaunchPhase } from '@sparkgate/contract';

/** What the kernel manager asks a backend to start. */
export interface LaunchRequest {
  kernelId: string;
  owner: Identity;
  profile: Profile;
  sizing: Sizing;
  /** HMAC key for the kernel's messages; backends hand it to the kernel as a secret, never in env or args. */
  key: string;
  /** Validated `KERNEL_*` variables from the client. */
  env: Readonly<Record<string, string>>;
  /** Aborted when the launch is cancelled (shutdown during start, timeout). */
  signal: AbortSignal;
  onPhase?: (phase: LaunchPhase, detail?: string) => void;
  /** The kernel's name as clients see it (`<profile>` or `<profile>--<id>`), recorded with the kernel. */
  kernelName?: string;
  /** Called when what `LaunchedKernel.status()` reports may have changed (executors came or went). */
  onStatus?: () => void;
  /**
   * A warm driver of a pool (fleet/pools.ts): it belongs to nobody until `LaunchedKernel.claim`;
   * `owner.user` is `POOL_USER`, `env` is empty. Backends record it so that no other gateway adopts
   * it as anyone's kernel, and so that one left behind by a gateway that died is removed.
   */
  pooled?: boolean;
}

/** The user of a pool's unclaimed drivers: no authenticator yields an empty user name. */
export const POOL_USER = '';

/** Who a warm pool driver is handed to, and under which kernel name. */
export interface KernelClaim {
  owner: Identity;
  kernelName: string;
  /** The claimer's validated `KERNEL_*` variables (the manager sets them in the kernel). */
  env: Readonly<Record<string, string>>;
}

/** What a backend resolved for a claim that the manager applies inside the kernel. */
export interface ClaimApplied {
  /** The working directory a cold launch of this request would have had (local: `KERNEL_WORKING_DIR`). */
  workingDir?: string;
  /**
   * Executors to ask Spark for now: a warm driver of a fixed-count profile starts with none, so it
   * holds no executor pods while unclaimed (pods: `spark.executor.instances` 0 when pooled).
   */
  requestExecutors?: number;
}

/** One executor pod of a cluster, as the backend sees it (before Spark's view is merged in). */
export interface ExecutorPod {
  name: string;
  node: string | null;
  state: 'pending' | 'running' | 'ended';
  /** Why it waits (scheduler's or kubelet's words) or why it ended; null when running normally. */
  reason: string | null;
  /** CPU its container requests, in cores. */
  cores: number;
  /** `nvidia.com/gpu` it asks for. */
  gpus: number;
  podIP: string | null;
  /** Spark's executor id from the pod's `spark-exec-id` label, when set. */
  execId: string | null;
}

/** The cluster's schedulable nodes as a backend that can see them tells: the contract's `GET sparkgate/api/me` `nodes`. */
export type { NodeCapacity };

/** Executors and GPUs of a running cluster, where the backend can see them (pods). */
export interface ClusterStatus {
  executors: {
    ready: number;
    pending: number;
    pendingReason: string | null;
    /** One row per executor pod (ended ones while they are still listed); absent where there are no pods. */
    pods?: readonly ExecutorPod[];
  };
  /** GPUs held by the driver and its running executors. */
  gpus: number;
}

/** Why a kernel's process or pod ended. */
export interface KernelExit {
  code: number | null;
  signal: string | null;
  /** A short human reason, e.g. the last lines of the kernel log or the pod's termination reason. */
  reason: string;
  /**
   * Ended on purpose by another gateway serving the same kernels (a replica): `removed` = shut
   * down or restarted there, so drop it from the list; `culled` = listed dead with `reason` as is.
   */
  byGateway?: 'removed' | 'culled';
}

/** Why a gateway stops a kernel, told to the other gateways that serve it (see `KernelExit.byGateway`). */
export type StopNote = { removed: true } | { culled: string };

/** A running kernel as a backend sees it. */
export interface LaunchedKernel {
  connection: ConnectionInfo;
  /** Settles once, when the kernel's process or pod is gone. */
  readonly exited: Promise<KernelExit>;
  /** Where Spark's UI of this kernel listens (host:port), when Spark is on. */
  readonly sparkUi: string | null;
  /**
   * How an interrupt reaches the kernel: `signal` = `interrupt()` delivers it (SIGINT locally);
   * `message` = the manager sends `interrupt_request` on the control channel (pods). Default `signal`.
   */
  readonly interruptMode?: 'signal' | 'message';
  /** Delivers an interrupt signal (only for `interruptMode: 'signal'`). */
  interrupt(): Promise<void>;
  /** Executors and GPUs, when the backend sees them (null: executors are threads of the driver). */
  status?(): ClusterStatus | null;
  /**
   * Stops the kernel and everything it started: graceful first, forced after `graceMs`. Idempotent.
   * `note` tells other gateways serving the kernel why (pods: an annotation set before the delete).
   */
  terminate(graceMs: number, note?: StopNote): Promise<void>;
  /** Records the last user activity where other gateways (and the next one) read it (pods: an annotation, throttled). */
  noteActivity?(at: Date): void;
  /** The newest user activity any gateway recorded with `noteActivity`; null when none. */
  recordedActivity?(): Date | null;
  /** Whether websocket clients are attached through this gateway now (told to the others: `connectedElsewhere`). */
  clientsAttached?(attached: boolean): void;
  /** Whether some gateway (this one included) said it has clients of this kernel, recently enough. */
  connectedElsewhere?(): boolean;
  /** The tail of the kernel's log, for error messages. */
  logTail(lines: number): Promise<string>;
  /**
   * A pooled kernel (`LaunchRequest.pooled`) becomes `claim.owner`'s: recorded like a cold launch
   * for them (pods: the owner and kernel-name annotations, the pool marks removed), so adoption,
   * culling and isolation see no difference. Rejects when that could not be recorded; the caller
   * then stops the kernel. Absent: nothing outside the gateway's memory records the owner (local).
   */
  claim?(claim: KernelClaim): Promise<ClaimApplied | void>;
}

/** A kernel an earlier gateway process started, found again in the cluster. */
export interface DiscoveredKernel {
  kernelId: string;
  owner: Identity;
  profileId: string;
  kernelName: string;
  sizing: Sizing;
  /** Takes the kernel over: from now on `onStatus` hears of its executors. */
  adopt(onStatus: () => void): LaunchedKernel;
}

/** What `Backend.watchKernels` tells of kernels it finds. */
export interface KernelWatchListener {
  /** Whether the gateway holds this kernel already (then nothing is read for it). */
  known(kernelId: string): boolean;
  found(kernel: DiscoveredKernel): void;
}

/** One thing an orphan sweep removed, and why (for the log). */
export interface SweptObject {
  /** `Pod`, `Secret`, `Service`, `NetworkPolicy`, or what a backend leaves (`process`, `directory`). */
  kind: string;
  /** Namespace (Kubernetes) or '' (local). */
  namespace: string;
  name: string;
  reason: string;
}

/**
 * Which of several gateway replicas runs the fleet-wide duties (orphan sweep, culler): the Lease
 * holder on Kubernetes. A backend without it has one gateway, always the leader.
 */
export interface Leadership {
  isLeader(): boolean;
  /** Starts taking part (at listen); resolves after the first attempt (never rejects). */
  start(): Promise<void>;
  /** Stops taking part; a leader hands over at once. */
  stop(): Promise<void>;
}

/** Where kernels run: local processes or Kubernetes pods. */
export interface Backend {
  readonly name: 'local' | 'kubernetes';
  /**
   * True when kernels outlive the gateway process (pods): stopping the gateway leaves them running
   * and the next gateway adopts them through `discover`.
   */
  readonly kernelsOutliveGateway?: boolean;
  launch(request: LaunchRequest): Promise<LaunchedKernel>;
  /** Running kernels of these namespaces, rebuilt from the cluster alone (labels, annotations, Secrets). */
  discover?(namespaces: readonly string[]): Promise<DiscoveredKernel[]>;
  /**
   * One orphan sweep: removes what no kernel owns in these namespaces (`known`: the ids of every
   * kernel the gateway holds, starting ones included) and says what went and why. Never removes
   * what another gateway could still adopt. fleet/reaper.ts calls it on start and periodically.
   */
  sweep?(namespaces: readonly string[], known: ReadonlySet<string>): Promise<SweptObject[]>;
  /**
   * Hears of running kernels that appear after `discover` (another gateway replica's launches)
   * until the returned function is called; each pod once, unless `known` said its kernel was
   * known then (it is offered again at the pod's next change). Never deletes anything (the sweep does).
   */
  watchKernels?(namespaces: readonly string[], listener: KernelWatchListener): () => void;
  /** Leader election among replicas (Kubernetes: a Lease); absent = always the leader. */
  readonly leadership?: Leadership;
  /** Why no node could ever hold this sizing's driver or an executor; null when one could or nodes are unknown. */
  fitProblem?(sizing: Sizing): string | null;
  /** The schedulable nodes' capacity (largest node, GPUs by type); null when the gateway cannot see nodes. */
  nodeCapacity?(): NodeCapacity | null;
  /** Stops watching/allocating; does not stop kernels (the manager does). */
  dispose(): Promise<void>;
}
