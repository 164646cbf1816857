/**
 * The gateway's configuration, parsed once at start-up (`config/load.ts`; the file's keys and
 * types in `config/schema.ts`) and frozen.
 * Deeper modules receive slices of it; only `main.ts` reads the environment.
 */

import type { ProfileOptions, Sizing } from '@sparkgate/contract';

/**
 * Sizing (one JVM's `Resources`, `ExecutorSizing`, a cluster's `Sizing`) is what the extension
 * sends to launch, so it is defined once in the server↔extension contract.
 */
export type { ExecutorSizing, JvmSizing, ProfileOptions, Resources, Sizing } from '@sparkgate/contract';

/** An admin-defined launch profile; each profile is also a kernelspec. */
export interface Profile {
  /** Kernelspec name, e.g. `pyspark` or `pyspark-gpu`. */
  id: string;
  displayName: string;
  /** False for a plain IPython kernel without a SparkSession. */
  spark: boolean;
  /** Defaults of a launch; the placement's `gpuType` is in it too (`sizing.*.gpuType`), so a user's choice travels with the sizing. */
  sizing: Sizing;
  /**
   * What a user may change at launch (config `options`); absent = every sizing field, within the
   * tenant's limits (as before options existed), and no GPU type choice.
   */
  options?: ProfileOptions;
  /**
   * What the profile adds to its kernels' pods and Spark conf (issue 18: image, sparkConf, env,
   * placement, volumes, packages); absent when it adds nothing, so such a profile's pods are as before.
   */
  runtime?: ProfileRuntime;
}

/** The label GPU feature discovery puts on nodes with the GPU's model; a pod section's `gpuType` selects it. */
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';

/** Where one kind of a profile's pods (driver or executors) goes, beside the gateway's GPU placement. */
export interface PodPlacement {
  nodeSelector: Readonly<Record<string, string>>;
  tolerations: readonly Toleration[];
  /**
   * `nvidia.com/gpu.product` the pod selects when it asks for GPUs; null = any GPU. The profile's
   * default: a launch's own is `sizing.*.gpuType` (which a user may choose, see `options`).
   */
  gpuType: string | null;
}

/** A persistent volume claim a profile mounts: an existing claim, or one per user made from a template. */
export type ProfileVolume = {
  /** Pod volume name (and Spark's executor volume name). */
  name: string;
  mountPath: string;
  readOnly: boolean;
  /** Mounted on the executors too (default: for a shared `claim`; not for a per-user template, usually ReadWriteOnce). */
  executors: boolean;
} & (
  | { claim: string }
  | {
      /** Claim name with `{user}` (the user's DNS-safe form), e.g. `home-{user}`; created on first launch. */
      claimTemplate: string;
      /** Storage request of a created claim, a Kubernetes quantity (`10Gi`). */
      size: string;
      /** null = the cluster's default StorageClass. */
      storageClass: string | null;
    }
);

/** A profile's additions (`Profile.runtime`); every field present, empty when not set. */
export interface ProfileRuntime {
  /** Images of this profile's pods; null = `kubernetes.driverImage` / `executorImage`. */
  image: { driver: string | null; executor: string | null };
  /** Spark conf over the gateway's (never a key `spark/ownedConf.ts` owns), values as text. */
  sparkConf: Readonly<Record<string, string>>;
  /** Plain variables of the kernel (driver) and, via `spark.executorEnv`, its executors. */
  env: Readonly<Record<string, string>>;
  driver: PodPlacement;
  executors: PodPlacement;
  volumes: readonly ProfileVolume[];
  /** Maven coordinates (`group:artifact:version`) for `spark.jars.packages`. */
  packages: readonly string[];
  /** The volume (one of `volumes`) whose `<mountPath>/.ivy2` is Spark's Ivy cache; null = the pod's work dir. */
  ivyCacheVolume: string | null;
  /** Kubernetes Secrets of the tenant's namespace the pods get; the gateway never reads their values. */
  secrets: readonly ProfileSecret[];
}

/**
 * A Secret a profile's pods get (config `secrets`): its keys as read-only files under
 * `mountPath`, and/or variables from its keys (`valueFrom.secretKeyRef`, never a literal).
 */
export interface ProfileSecret {
  /** The Secret's name in the tenant's namespace. */
  name: string;
  /** Where its keys appear as files (read-only); null = no files. */
  mountPath: string | null;
  /** Variable name -> the Secret's key whose value it takes. */
  env: Readonly<Record<string, string>>;
  /** The executors get it too (Spark's `spark.kubernetes.executor.secrets.*` / `secretKeyRef.*`); default true. */
  executors: boolean;
}

/** Tenant limits; `null` means unlimited. */
export interface Limits {
  gpus: number | null;
  cores: number | null;
  memoryMiB: number | null;
}

/**
 * When an idle kernel is shut down (README "Culling"); jupyter_server's `cull_idle_timeout`,
 * `cull_interval`, `cull_connected`, `cull_busy`, plus a warning ahead.
 */
export interface CullPolicy {
  /** Idle time after which a kernel is culled; 0 = never. */
  idleMs: number;
  /** How often kernels are checked. */
  intervalMs: number;
  /** Also cull kernels with websocket clients attached (an open browser tab). */
  connected: boolean;
  /** Also cull busy kernels (a long job with no output for `idleMs`). */
  busy: boolean;
  /** How long before the cull the kernel's model announces it; at most `idleMs`. */
  warnMs: number;
}

export interface TenantConfig {
  name: string;
  /** `kernels.cull` with the tenant's `cull` keys merged over it. */
  cull: CullPolicy;
  /** Kubernetes namespace of the tenant's kernels. */
  namespace: string;
  limits: Limits;
  /** Profile ids the tenant's users may launch. */
  profiles: readonly string[];
  /** Warm driver pools by profile id (only sizes > 0; fleet/pools.ts keeps them). */
  pools: Readonly<Record<string, PoolPolicy>>;
}

/** A tenant's warm pool of one profile. */
export interface PoolPolicy {
  /** Drivers kept started and ready, unclaimed. */
  size: number;
  /** The pool empties after this long without a claim, until the next launch of the profile; 0 = never. */
  maxIdleMs: number;
}

export interface UserConfig {
  name: string;
  tenant: string;
  /** SHA-256 of the user's token; plain tokens never stay in memory longer than parsing. */
  tokenSha256: Buffer;
}

export type BackendName = 'local' | 'kubernetes';

export interface LocalBackendConfig {
  /** Python interpreter that runs kernels (a venv with ipykernel and pyspark). */
  python: string;
  /** Path of images/kernel/sparkgate_launcher.py. */
  launcher: string;
  /** Working directory of kernels when the client does not send one. */
  workingDir: string;
  /**
   * Local kernels all run as the gateway's OS user, so any kernel can read every other kernel's
   * key and the gateway's config: several users are refused unless the operator says they trust
   * each other (tests, a team sharing one machine).
   */
  usersTrustEachOther: boolean;
  /**
   * Private folder (0700) of kernel records, so kernels survive a gateway crash and the next
   * gateway re-adopts them (README "Re-adoption"); null = none (kernels end with the gateway).
   */
  runtimeDir: string | null;
  /** How long a kernel whose gateway crashed waits to be re-adopted before it exits by itself. */
  adoptGraceSeconds: number;
}

/** Kubernetes backend: images, identities and placement of kernel pods (README "Deploying"). */
export interface KubernetesBackendConfig {
  /** Kubeconfig file; `null` = $KUBECONFIG, else ~/.kube/config, else (in a pod) its service account. */
  kubeconfig: string | null;
  /** Image of driver pods (the kernel); `sparkgate/driver:<version>`. */
  driverImage: string;
  /** Image of executor pods Spark creates; `sparkgate/executor:<version>`. */
  executorImage: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Service account of driver pods (may manage pods/services/configmaps/PVCs of its namespace). */
  kernelServiceAccount: string;
  /** Service account of executor pods (no API access). */
  executorServiceAccount: string;
  /** Non-root uid/gid every kernel and executor container runs as. */
  runAsUser: number;
  /** Spark GPU discovery script, as a path inside the executor image. */
  gpuDiscoveryScript: string;
  /** Placement of pods that ask for GPUs (driver or executors). */
  gpuNodeSelector: Readonly<Record<string, string>>;
  gpuTolerations: readonly Toleration[];
  /** Spark master URL the driver uses; `null` = the API server from KUBERNETES_SERVICE_HOST/PORT in the pod. */
  sparkMaster: string | null;
  /**
   * Seconds a driver pod stays on a node that is unreachable or not ready before Kubernetes evicts
   * it (its NoExecute tolerations), and the kernel is reported dead with "node <name> lost";
   * `null` = Kubernetes' default (300 s, DefaultTolerationSeconds).
   */
  nodeLostSeconds?: number | null;
  /** Age in seconds before a driver pod no kernel record knows counts as an orphan (a launch elsewhere has given up). Default 600. */
  orphanGraceSeconds?: number;
  /**
   * The `coordination.k8s.io/v1` Lease under which one replica runs the orphan sweep and the culler:
   * its namespace (`null` = the kubeconfig context's, in a pod its own, else `sparkgate`), name and
   * duration in seconds (a dead leader's successor takes over after it). Defaults `sparkgate-gateway`, 15.
   */
  leaseNamespace?: string | null;
  leaseName?: string;
  leaseSeconds?: number;
  /** Dynamic allocation: an executor idle this long (and holding no live shuffle data) is removed. Default 120. */
  executorIdleTimeoutSeconds?: number;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface KernelTimings {
  /** How long a kernel may take to answer kernel_info after launch. */
  startTimeoutMs: number;
  /** Grace between a polite shutdown and SIGKILL. */
  shutdownGraceMs: number;
  /** Idle culling of kernels whose tenant does not override it. */
  cull: CullPolicy;
  /**
   * Orphan sweeps (fleet/reaper.ts) of either backend: ms between them, 0 = none. From
   * `kernels.reap.intervalSeconds` (or the deprecated `kubernetes.reapIntervalSeconds`); absent = 300 s.
   */
  reap?: { intervalMs: number };
}

export interface LimitsOfInput {
  /** Max JSON request body, bytes. */
  maxBodyBytes: number;
  /** Max websocket message, bytes. */
  maxWsMessageBytes: number;
  /**
   * Max output waiting, unwritten, for one kernel websocket client, bytes; a client with more is
   * closed with 1013 so that a stalled reader cannot grow the gateway's memory (issue 10, item 6).
   */
  maxWsBacklogBytes: number;
  /** Max kernels per user (0 = unlimited). */
  maxKernelsPerUser: number;
  /** Time a client has to send a whole request (headers and body); slow or stalled clients get 408. */
  requestTimeoutMs: number;
}

/** JupyterHub mode (`jupyterhub` in the config file; README "JupyterHub"). */
export interface JupyterHubConfig {
  /** The Hub's REST API, e.g. `http://hub:8081/hub/api`. */
  apiUrl: string;
  /** Scope a user's token must carry. */
  scope: string;
  /** How long the Hub's answer for a token is reused, i.e. how late a revocation may take effect. */
  cacheMs: number;
  cacheSize: number;
  /** Hub group → tenant, in the file's order (a user in several mapped groups gets the first). */
  groups: readonly { group: string; tenant: string }[];
}

export interface GatewayConfig {
  host: string;
  port: number;
  backend: BackendName;
  /** Base path the gateway is served under ('' or '/prefix'). */
  basePath: string;
  /** Multi-user mode when non-empty; otherwise single-user with `singleUserTokenSha256`. */
  users: readonly UserConfig[];
  singleUserTokenSha256: Buffer | null;
  tenants: Readonly<Record<string, TenantConfig>>;
  profiles: Readonly<Record<string, Profile>>;
  defaultProfile: string;
  local: LocalBackendConfig;
  kubernetes: KubernetesBackendConfig;
  kernels: KernelTimings;
  input: LimitsOfInput;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** JupyterHub tokens accepted beside `users`' (and instead of single-user mode); absent or null = off. */
  jupyterhub?: JupyterHubConfig | null;
  /** The nodes' GPUs are simulated (a demo or test cluster); `GET sparkgate/api/me` passes it to the panel. Absent = false. */
  simulatedGpus?: boolean;
  /** `GET /metrics`; absent = auth on, no scraper token, no per-user labels. */
  metrics?: MetricsConfig;
  /** Extra pino redact paths beside the built-in ones; absent = none. */
  logRedact?: readonly string[];
  /** Live GPU numbers from Prometheus; absent or null = off ("live GPU numbers are not configured"). */
  gpuMetrics?: GpuMetricsConfig | null;
}

/** `metrics` in the config file (README "Metrics"). */
export interface MetricsConfig {
  /** false: `/metrics` answers without a token. */
  auth: boolean;
  /** sha256 of the scraper's token (`metrics.token`), compared in constant time; null = only the gateway's tokens. */
  tokenSha256: Buffer | null;
  /** Add kernel ids and user names as labels (unbounded: off by default). */
  perUserLabels: boolean;
}

/** `gpuMetrics` in the config file (README "GPU metrics"). */
export interface GpuMetricsConfig {
  /** Prometheus server base URL, e.g. http://prometheus.monitoring:9090 */
  prometheusUrl: string;
  intervalMs: number;
  timeoutMs: number;
}

/** Single-user mode's identity (DESIGN.md, operator contract). */
export const SINGLE_USER = { name: 'local', tenant: 'default' } as const;
