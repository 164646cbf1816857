import type { V1NetworkPolicy, V1PersistentVolumeClaim, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import type { KubernetesBackendConfig, ProfileRuntime, Sizing } from '../../config/types.js';
import type { ServiceUnavailableError } from '../../errors.js';
import type { ConnectionInfo } from '../../protocol/messages.js';

/** A kernel's connection file without the address (the pod IP, known once the pod runs). */
export type KernelConnection = Omit<ConnectionInfo, 'ip'>;

/** What `objects.ts` builds a kernel's Kubernetes objects from. */
export interface DriverObjectsInput {
  kernelId: string;
  /** Pod name; also the Secret's, the Service's and the executors' name prefix. */
  podName: string;
  namespace: string;
  user: string;
  tenant: string;
  profile: string;
  kernelName: string;
  spark: boolean;
  sizing: Sizing;
  key: string;
  /** Validated `KERNEL_*` variables from the client. */
  env: Readonly<Record<string, string>>;
  config: KubernetesBackendConfig;
  /**
   * A warm pool driver (`LaunchRequest.pooled`): annotated `sparkgate.io/pool` and `pool-until`
   * (the lease's first end) instead of a user, and its Spark app named for the pool.
   */
  pool?: { until: Date };
  /** The profile's image, sparkConf, env, placement, volumes and packages (issue 18); absent = none. */
  runtime?: ProfileRuntime;
}

/** A kernel's Kubernetes objects, as `buildDriverObjects` makes them. */
export interface DriverObjects {
  pod: V1Pod;
  /** Per-user claims the pod mounts, to create before it when missing (they outlive the kernel). */
  claims: V1PersistentVolumeClaim[];
  /** Created once the pod exists (its ownerReference needs the pod's uid). */
  secret: (owner: V1Pod) => V1Secret;
  service: (owner: V1Pod) => V1Service;
  networkPolicy: (owner: V1Pod) => V1NetworkPolicy;
  connection: KernelConnection;
}

/** What a driver pod's metadata and spec say about its kernel: the part of the input `codec.ts` reads back. */
export type DriverRecord = Pick<DriverObjectsInput, 'kernelId' | 'podName' | 'namespace' | 'user' | 'tenant' | 'profile' | 'kernelName' | 'spark' | 'sizing'>;

/** A decoded value, or why the object cannot be read as one (for the log; never thrown at users). */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Events of the pod watch. */
export interface PodWatchEvents {
  /** A managed pod was added, changed or deleted (`deleted` true) in a watched namespace. */
  pod: [pod: V1Pod, deleted: boolean];
}

/** Hears of every managed pod the watch sees change. */
export type PodListener = (...args: PodWatchEvents['pod']) => void;

/**
 * The part of the pod watch a kernel and a launch read: the cache and its change events.
 * `PodWatch` is one; unit tests use a fake.
 */
export interface PodSource {
  on(event: 'pod', listener: PodListener): unknown;
  off(event: 'pod', listener: PodListener): unknown;
  /** A managed pod from the cache of `namespace`. */
  pod(namespace: string, name: string): V1Pod | undefined;
  /** Managed pods of a namespace with the given component label, optionally of one kernel. */
  list(namespace: string, component: 'driver' | 'executor', kernelId?: string): V1Pod[];
}

/**
 * The part of an informer PodWatch uses; the k8s client's `ListWatch<V1Pod>` is one. Like
 * `ListWatch`, `start()` resolves once its list and watch are up, or after it emitted `error`.
 */
export interface PodInformer {
  on(verb: 'add' | 'update' | 'delete', cb: (pod: V1Pod) => void): void;
  on(verb: 'error', cb: (error?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  get(name: string, namespace?: string): V1Pod | undefined;
  list(namespace?: string): readonly V1Pod[];
}

/** How the watch of one namespace stands. */
export interface NamespaceWatchState {
  /** `starting`: first list pending; `ready`: cache filled and watching; `failed`: last attempt failed, retrying. */
  state: 'starting' | 'ready' | 'failed';
  /** Why the last attempt failed (`failed` only). */
  error: ServiceUnavailableError | null;
  /** Failed attempts in a row. */
  failures: number;
  /** When `state` was entered (clock of the options): for `failed`, failing since. */
  since: number;
}
