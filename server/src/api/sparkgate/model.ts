import type { ClusterModel, ExecutorModel, JobProgress } from '@sparkgate/contract';
import type { ExecutorPod } from '../../backends/types.js';
import type { Kernel } from '../../kernels/types.js';
import type { SparkExecutorInfo } from '../../spark/executorInfo.js';

/** A cluster as the sidebar panel and the notebook widget see it (defined once, in the contract). */
export type { ClusterModel } from '@sparkgate/contract';

/** Pure: the cluster view of a kernel (executor figures come from the backend when it has them). */
export function clusterModel(kernel: Kernel, job: JobProgress | null): ClusterModel {
  const state = clusterState(kernel);
  const up = state === 'ready' || state === 'busy';
  const status = kernel.launched?.status?.() ?? null;
  return {
    id: kernel.id,
    kernelName: kernel.name,
    profile: kernel.profile.id,
    displayName: kernel.profile.displayName,
    sizing: kernel.sizing,
    state,
    phase: kernel.phase,
    reason: kernel.reason,
    createdAt: kernel.createdAt.toISOString(),
    kernelId: kernel.id,
    driver: { state: kernel.state, reason: kernel.reason, gpus: up ? kernel.sizing.driver.gpus : 0 },
    // Pods are counted by the backend; the local backend runs executors as threads of the driver.
    executors: {
      ready: status?.executors.ready ?? 0,
      pending: status?.executors.pending ?? 0,
      desired: status ? desiredExecutors(kernel.sizing.executors, (status.executors.ready ?? 0) + (status.executors.pending ?? 0)) : 0,
      pendingReason: status?.executors.pendingReason ?? null,
      list: executorList(status?.executors.pods ?? null, kernel.sparkExecutors)
    },
    gpus: { held: status ? status.gpus : up ? kernel.sizing.driver.gpus : 0 },
    sparkUi: kernel.profile.spark ? `ui/${kernel.id}/` : null,
    job: state === 'busy' ? job : null,
    ...cullFields(kernel, up)
  };
}

/** An announced cull, while the kernel runs (a culled kernel says why in `reason`). */
function cullFields(kernel: Kernel, up: boolean): Pick<ClusterModel, 'cullAt' | 'idleSince'> {
  const notice = up ? kernel.cullNotice : null;
  return { cullAt: notice?.at.toISOString() ?? null, idleSince: notice?.idleSince.toISOString() ?? null };
}

function clusterState(kernel: Kernel): ClusterModel['state'] {
  switch (kernel.state) {
    case 'idle':
      return 'ready';
    case 'busy':
      return 'busy';
    case 'starting':
    case 'restarting':
    case 'autorestarting':
      return kernel.phase === 'requested' ? 'requested' : 'launching';
    case 'dead':
      return kernel.launched === null && kernel.phase !== 'spark-ready' && kernel.phase !== 'kernel-ready' ? 'failed' : 'dead';
    case 'terminating':
    case 'unknown':
      return 'dead';
  }
}

/** Executors the cluster is going for: its count, or with dynamic allocation what Spark asked for now, within min..max. */
function desiredExecutors(e: Kernel['sizing']['executors'], asked: number): number {
  if (e.count !== undefined) {
    return e.count;
  }
  return Math.min(e.max ?? e.min ?? 0, Math.max(e.min ?? 0, asked));
}

/** At most this many executor rows in a model (the counts stay exact): a status event stays small. */
export const MAX_EXECUTOR_ROWS = 200;

const STATE_ORDER: Record<ExecutorModel['state'], number> = { running: 0, pending: 1, ended: 2 };

/**
 * Pure: one row per executor, running first, then pending, then ended (each by executor id, then
 * pod), at most {@link MAX_EXECUTOR_ROWS}. With pods (Kubernetes) a row is a pod, merged with the
 * Spark executor of the same `spark-exec-id` label (else the same pod IP as its `hostPort`): GPU
 * addresses and tasks come from Spark. Without pods (local backend) rows are Spark's executors;
 * its `driver` entry only when it is the sole one and runs tasks (a local master).
 */
export function executorList(pods: readonly ExecutorPod[] | null, spark: readonly SparkExecutorInfo[] | null): ExecutorModel[] {
  const executors = (spark ?? []).filter(e => e.id !== 'driver');
  const rows: ExecutorModel[] = [];
  const used = new Set<SparkExecutorInfo>();
  for (const pod of pods ?? []) {
    const match =
      (pod.execId !== null ? executors.find(e => e.id === pod.execId) : undefined) ??
      (pod.execId === null && pod.podIP !== null ? executors.find(e => !used.has(e) && hostOf(e.hostPort) === pod.podIP) : undefined);
    if (match) {
      used.add(match);
    }
    rows.push(podRow(pod, match));
  }
  // Spark's active executors without a pod here: the pod watch lags, or no pods at all (local).
  for (const e of executors) {
    if (!used.has(e) && e.isActive) {
      rows.push(sparkRow(e));
    }
  }
  if (rows.length === 0 && (pods === null || pods.length === 0)) {
    const driver = spark?.find(e => e.id === 'driver');
    // A local master's driver runs the tasks; a cluster master's driver (0 cores) runs none.
    if (driver && (pods === null || driver.cores > 0)) {
      rows.push(sparkRow(driver));
    }
  }
  rows.sort(compareRows);
  return rows.slice(0, MAX_EXECUTOR_ROWS);
}

function podRow(pod: ExecutorPod, spark: SparkExecutorInfo | undefined): ExecutorModel {
  return {
    id: spark?.id ?? null,
    pod: pod.name,
    node: pod.node,
    state: pod.state,
    reason: pod.reason,
    cores: spark?.cores || pod.cores,
    gpus: Math.max(pod.gpus, spark?.gpuAddresses.length ?? 0),
    gpuAddresses: spark ? [...spark.gpuAddresses] : [],
    tasks: spark ? tasks(spark) : null
  };
}

function sparkRow(e: SparkExecutorInfo): ExecutorModel {
  return {
    id: e.id,
    pod: null,
    node: hostOf(e.hostPort) || null,
    state: e.isActive ? 'running' : 'ended',
    reason: null,
    cores: e.cores,
    gpus: e.gpuAddresses.length,
    gpuAddresses: [...e.gpuAddresses],
    tasks: tasks(e)
  };
}

function tasks(e: SparkExecutorInfo): NonNullable<ExecutorModel['tasks']> {
  return { active: e.activeTasks, completed: e.completedTasks, failed: e.failedTasks };
}

/** The host of `host:port` (an IPv6 host in brackets loses them). */
function hostOf(hostPort: string): string {
  const at = hostPort.lastIndexOf(':');
  const host = at < 0 ? hostPort : hostPort.slice(0, at);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function compareRows(a: ExecutorModel, b: ExecutorModel): number {
  return STATE_ORDER[a.state] - STATE_ORDER[b.state] || compareIds(a.id, b.id) || (a.pod ?? '').localeCompare(b.pod ?? '', 'en', { numeric: true });
}

/** Numeric executor ids in number order ("2" before "10"), unregistered (null) last. */
function compareIds(a: string | null, b: string | null): number {
  if (a === b) {
    return 0;
  }
  if (a === null || b === null) {
    return a === null ? 1 : -1;
  }
  const na = Number(a);
  const nb = Number(b);
  return Number.isNaN(na) || Number.isNaN(nb) ? a.localeCompare(b, 'en', { numeric: true }) : na - nb;
}
