import { podMemoryOverheadMiB } from '@sparkgate/contract';
import type { Sizing } from '../config/types.js';
import { sparkAuthConf, type SparkSecretFiles } from './auth.js';
import { profileConfOver } from './ownedConf.js';

/** Fixed ports of a driver pod: each pod has its own IP, so they never collide (NetworkPolicy names them). */
export const DRIVER_PORTS = {
  driver: 7078,
  blockManager: 7079,
  ui: 4040
} as const;

/**
 * How long an executor without tasks, cached blocks or live shuffle data stays under dynamic
 * allocation (min/max sizing) before Spark removes its pod, unless the input says otherwise.
 */
export const DEFAULT_EXECUTOR_IDLE_TIMEOUT_SECONDS = 120;

/** Working directory (and HOME) of a driver pod: a writable emptyDir. */
export const DRIVER_WORK_DIR = '/opt/spark/work-dir';

export interface KubernetesSparkConfInput {
  kernelId: string;
  user: string;
  namespace: string;
  /** The driver pod's name: executors get an ownerReference to it and are named after it. */
  podName: string;
  sizing: Sizing;
  executorImage: string;
  imagePullPolicy: string;
  executorServiceAccount: string;
  gpuDiscoveryScript: string;
  /** Path of the executor pod template inside the driver pod. */
  executorTemplateFile: string;
  /** Labels every executor pod carries (kernel id, managed-by…), so the gateway's informer sees them. */
  executorLabels: Readonly<Record<string, string>>;
  /** The master the driver runs with (`driverPodSparkMaster`): it decides how Spark's secret is kept. */
  master: string;
  /** The kernel's Spark secret as mounted in the driver and in the executors (see sparkAuthConf). */
  secretFiles: SparkSecretFiles;
  /** Dynamic allocation's executor idle timeout (default DEFAULT_EXECUTOR_IDLE_TIMEOUT_SECONDS); unused with a fixed count. */
  executorIdleTimeoutSeconds?: number;
  /**
   * A warm pool's driver: a fixed executor count starts at 0 (the launcher gets it past
   * spark-submit's check) and the claim asks for `count` (backend.ts `warmExecutors`), so an
   * unclaimed driver holds no executor pods.
   */
  warm?: boolean;
  /** What the kernel's profile adds (issue 18); absent = nothing. */
  profile?: ProfileSparkConf;
}

/** A profile's part of a Kubernetes driver's Spark conf, resolved for one launch. */
export interface ProfileSparkConf {
  /** The profile's sparkConf: over the gateway's keys, except those `ownedConf.ts` keeps for the gateway. */
  sparkConf: Readonly<Record<string, string>>;
  /** Plain variables the executors get too (`spark.executorEnv.*`). */
  env: Readonly<Record<string, string>>;
  /** Maven coordinates for `spark.jars.packages`. */
  packages: readonly string[];
  /** Spark's Ivy cache on a volume; null = the work dir (downloaded again by every driver). */
  ivyDir: string | null;
  /** Persistent volume claims the executors mount (Spark's `spark.kubernetes.executor.volumes.*`). */
  executorVolumes: readonly { name: string; claimName: string; mountPath: string; readOnly: boolean }[];
  /**
   * The profile's Secrets the executors get, by name only: Spark mounts them as volumes
   * `<name>-volume` and sets variables by `secretKeyRef`, so no value passes through the conf.
   */
  executorSecrets: readonly ExecutorSecret[];
}

/**
 * The volume Spark names an executor's mounted Secret (4.0's MountSecretsFeatureStep): a pod
 * volume name, so a Secret whose name has dots or over 56 characters cannot be mounted this way.
 */
export function executorSecretVolume(secretName: string): string {
  return `${secretName}-volume`;
}

/** A Secret of the tenant's namespace in the executors: files under `mountPath` (null: none), variable -> key. */
export interface ExecutorSecret {
  name: string;
  mountPath: string | null;
  env: Readonly<Record<string, string>>;
}

/**
 * The master a driver pod runs Spark with. A driver-only sizing (`executors.count: 0`) runs
 * Spark in local mode inside the pod on its own cores: on Kubernetes, Spark refuses zero static
 * executors ("Number of executors must be a positive number") and dynamic allocation refuses a
 * maximum of 0, so the SparkSession would never come up.
 */
export function driverPodSparkMaster(sizing: Sizing, configured: string | null): string {
  if (sizing.executors.count === 0) {
    return `local[${Math.max(1, Math.ceil(sizing.driver.cores))}]`;
  }
  return configured ?? 'k8s://https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)';
}

/**
 * Spark configuration of a client-mode driver in a pod (reference: spark-on-kubernetes.md §1).
 * What only the pod knows at start (its IP, the API server address) is added by the pod's args.
 * Pure: everything comes in as arguments.
 */
export function buildKubernetesSparkConf(input: KubernetesSparkConfInput): Record<string, string> {
  const { sizing } = input;
  const e = sizing.executors;
  const conf: Record<string, string> = {
    'spark.submit.deployMode': 'client',
    'spark.app.name': `sparkgate-${input.user}-${input.kernelId.slice(0, 8)}`,
    'spark.kubernetes.namespace': input.namespace,
    'spark.kubernetes.driver.pod.name': input.podName,
    'spark.kubernetes.executor.podNamePrefix': input.podName,
    'spark.kubernetes.container.image': input.executorImage,
    'spark.kubernetes.container.image.pullPolicy': input.imagePullPolicy,
    'spark.kubernetes.executor.podTemplateFile': input.executorTemplateFile,
    'spark.kubernetes.authenticate.executor.serviceAccountName': input.executorServiceAccount,
    'spark.kubernetes.executor.deleteOnTermination': 'true',
    // GPU executors can take long to start; do not drop them as missing too early.
    'spark.kubernetes.executor.missingPodDetectDelta': '60s',
    'spark.driver.port': String(DRIVER_PORTS.driver),
    'spark.driver.blockManager.port': String(DRIVER_PORTS.blockManager),
    'spark.blockManager.port': String(DRIVER_PORTS.blockManager),
    'spark.ui.port': String(DRIVER_PORTS.ui),
    // A taken port must fail loudly: the Service and NetworkPolicy name these ports.
    'spark.port.maxRetries': '0',
    'spark.driver.memory': `${sizing.driver.memoryMiB}m`,
    'spark.driver.cores': String(Math.max(1, Math.ceil(sizing.driver.cores))),
    'spark.executor.cores': String(e.cores),
    'spark.executor.memory': `${e.memoryMiB}m`,
    // Client mode sizes executors as JVM apps (10% overhead) unless told: Python workers need more.
    // The profile's memoryOverhead when set (e.g. RAPIDS' pinned memory is counted in it).
    'spark.executor.memoryOverhead': `${podMemoryOverheadMiB('executor', e)}m`,
    'spark.executorEnv.SPARKGATE_KERNEL_ID': input.kernelId,
    // spark-submit's Ivy cache defaults to the JVM's user.home, which is "?" for a uid without a
    // passwd entry (OpenShift-style random uids): keep it in the writable work dir.
    'spark.jars.ivy': `${DRIVER_WORK_DIR}/.ivy2`,
    ...sparkAuthConf(input.master, input.secretFiles)
  };
  for (const [key, value] of Object.entries(input.executorLabels)) {
    conf[`spark.kubernetes.executor.label.${key}`] = value;
  }
  if (e.count === 0) {
    conf['spark.dynamicAllocation.enabled'] = 'false'; // local mode in the pod: see driverPodSparkMaster
  } else if (e.count !== undefined) {
    conf['spark.executor.instances'] = input.warm ? '0' : String(e.count);
    conf['spark.dynamicAllocation.enabled'] = 'false';
  } else {
    const min = e.min ?? 0;
    Object.assign(conf, {
      'spark.dynamicAllocation.enabled': 'true',
      // No external shuffle service on Kubernetes: keep executors that hold shuffle data.
      'spark.dynamicAllocation.shuffleTracking.enabled': 'true',
      // …but not forever: idle GPU executors are expensive.
      'spark.dynamicAllocation.shuffleTracking.timeout': '30min',
      'spark.dynamicAllocation.executorIdleTimeout': `${input.executorIdleTimeoutSeconds ?? DEFAULT_EXECUTOR_IDLE_TIMEOUT_SECONDS}s`,
      'spark.dynamicAllocation.minExecutors': String(min),
      'spark.dynamicAllocation.initialExecutors': String(min),
      'spark.dynamicAllocation.maxExecutors': String(e.max ?? min)
    });
  }
  if (e.gpus > 0) {
    Object.assign(conf, {
      'spark.executor.resource.gpu.amount': String(e.gpus),
      'spark.executor.resource.gpu.vendor': 'nvidia.com',
      'spark.executor.resource.gpu.discoveryScript': input.gpuDiscoveryScript,
      'spark.task.resource.gpu.amount': taskGpuAmount(e.gpus, e.cores)
    });
  }
  return input.profile ? withProfile(conf, input.profile) : conf;
}

/** `conf` with a profile's additions, its sparkConf last but never over a key the gateway owns. */
function withProfile(conf: Record<string, string>, p: ProfileSparkConf): Record<string, string> {
  if (p.packages.length > 0) {
    conf['spark.jars.packages'] = p.packages.join(',');
  }
  if (p.ivyDir !== null) {
    conf['spark.jars.ivy'] = p.ivyDir;
  }
  for (const [name, value] of Object.entries(p.env)) {
    conf[`spark.executorEnv.${name}`] = value;
  }
  for (const v of p.executorVolumes) {
    const prefix = `spark.kubernetes.executor.volumes.persistentVolumeClaim.${v.name}`;
    conf[`${prefix}.options.claimName`] = v.claimName;
    conf[`${prefix}.mount.path`] = v.mountPath;
    conf[`${prefix}.mount.readOnly`] = String(v.readOnly);
  }
  // Spark's own keys (4.0: MountSecretsFeatureStep, EnvSecretsFeatureStep); ownedConf.ts keeps a
  // profile's sparkConf off them, so these are the only ones.
  for (const s of p.executorSecrets) {
    if (s.mountPath !== null) {
      conf[`spark.kubernetes.executor.secrets.${s.name}`] = s.mountPath;
    }
    for (const [name, key] of Object.entries(s.env)) {
      conf[`spark.kubernetes.executor.secretKeyRef.${name}`] = `${s.name}:${key}`;
    }
  }
  return { ...conf, ...profileConfOver(p.sparkConf) };
}

/**
 * GPU share of one task so that every core of an executor can run a task: whole GPUs when there
 * are at least as many GPUs as cores, else 1/n with n tasks sharing a GPU.
 */
export function taskGpuAmount(gpus: number, cores: number): string {
  if (gpus >= cores) {
    return String(Math.floor(gpus / cores));
  }
  const share = Math.ceil(cores / gpus);
  return String(Math.floor((1 / share) * 10000) / 10000);
}
