/**
 * The sparkgate gateway API as the extension sees it: REST under `<baseUrl>sparkgate/api/` and the
 * socket.io `/status` namespace under `<baseUrl>sparkgate/socket.io`.
 *
 * Types only (no runtime code), so pure modules and unit tests can import it freely.
 */

/** Resources a tenant may hold at once; `null` means unlimited. */
export interface ILimits {
  gpus: number | null;
  cores: number | null;
  memoryMiB: number | null;
}

/** Resources held or asked: GPUs, cores, memory in MiB. */
export interface IResources {
  gpus: number;
  cores: number;
  memoryMiB: number;
}

/** Driver shape: cores may be fractional (a driver is mostly idle), GPUs and memory are whole. */
export interface IDriverSizing {
  cores: number;
  memoryMiB: number;
  gpus: number;
}

/**
 * Executor shape: either a fixed `count`, or `min` + `max` for Spark dynamic allocation.
 */
export interface IExecutorSizing {
  count?: number;
  min?: number;
  max?: number;
  cores: number;
  memoryMiB: number;
  gpus: number;
}

/** The shape of a cluster: what the panel sends on launch and what notebooks carry. */
export interface ISizing {
  driver: IDriverSizing;
  executors: IExecutorSizing;
}

/** A launchable profile: a kernelspec plus default sizing, set by the operator per tenant. */
export interface IProfile {
  id: string;
  displayName: string;
  kernelspec: string;
  /** Whether the kernel starts a SparkSession (otherwise executors do not apply). */
  spark: boolean;
  driver: IDriverSizing;
  executors: IExecutorSizing;
  /** Upper bound on executors for this profile; `null` means none beyond the tenant limits. */
  maxExecutors: number | null;
}

/** `GET sparkgate/api/me`. */
export interface IMe {
  user: string;
  tenant: string;
  backend: 'local' | 'kubernetes';
  limits: ILimits;
  usage: IResources;
  profiles: IProfile[];
}

/** Lifecycle of a cluster as a whole. */
export type ClusterState = 'requested' | 'launching' | 'ready' | 'busy' | 'failed' | 'dead';

/** Where a launch is, in order. */
export type LaunchPhase = 'requested' | 'scheduling' | 'pulling' | 'starting' | 'kernel-ready' | 'spark-ready';

/** The running Spark job, if any. */
export interface IJobProgress {
  id: number;
  name: string;
  stages: { done: number; total: number };
  tasks: { done: number; running: number; total: number };
}

/** One cluster (= one kernel: the Spark driver, plus its executors). */
export interface IClusterModel {
  id: string;
  /** Kernelspec name to start this cluster with: `<profile kernelspec>--<cluster id>`. */
  kernelName: string;
  profile: string;
  displayName: string;
  sizing: ISizing;
  state: ClusterState;
  phase: LaunchPhase | null;
  reason: string | null;
  /** ISO 8601. */
  createdAt: string;
  /** Jupyter kernel id once jupyter_server started the kernel. */
  kernelId: string | null;
  driver: { state: string; reason: string | null; gpus: number };
  executors: { ready: number; pending: number; desired: number; pendingReason: string | null };
  gpus: { held: number };
  /** Spark UI path relative to the sparkgate root, e.g. `ui/<kernelId>/`. */
  sparkUi: string | null;
  job: IJobProgress | null;
}

/** `GET sparkgate/api/clusters`. */
export interface IClusterList {
  clusters: IClusterModel[];
}

/** `POST sparkgate/api/clusters` body. */
export interface ILaunchRequest {
  profile: string;
  sizing?: ISizing;
}

/** Error body of every sparkgate API error. */
export interface IErrorBody {
  reason: string;
  message: string;
}

/** `launch:progress` payload. */
export interface ILaunchProgress {
  id: string;
  phase: LaunchPhase;
  message: string;
}

/**
 * Events the gateway emits on the socket.io `/status` namespace (socket.io typed-event map).
 */
export interface ServerToClientEvents {
  /** The user's clusters, sent once on connect. */
  clusters: (clusters: IClusterModel[]) => void;
  /** One cluster changed. */
  cluster: (cluster: IClusterModel) => void;
  'cluster:removed': (payload: { id: string }) => void;
  'launch:progress': (progress: ILaunchProgress) => void;
}

/** The client sends nothing on `/status`. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ClientToServerEvents {}

/** What a notebook stores under `metadata.sparkgate`: a shape, never identity or secrets. */
export interface ISharedShape {
  profile: string;
  sizing: ISizing;
}
