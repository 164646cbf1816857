import type { V1Pod } from '@kubernetes/client-node';
import type { ExecutorPod } from '../types.js';

/** Where a driver pod stands, as the launch sees it. */
export type DriverState =
  | { kind: 'pending' }
  /** The scheduler found no node: `message` is its reason ("0/3 nodes are available: …"). */
  | { kind: 'unschedulable'; message: string }
  | { kind: 'scheduled'; node: string }
  /** The image cannot be pulled (or the name is invalid): retrying will not help the user. */
  | { kind: 'image-error'; message: string }
  | { kind: 'running'; podIP: string }
  | { kind: 'ended'; code: number | null; message: string };

const TRANSIENT_WAITING = new Set(['ContainerCreating', 'PodInitializing']);
const IMAGE_ERRORS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/** Pure: the launch-relevant state of a driver pod. */
export function driverState(pod: V1Pod): DriverState {
  const status = pod.status ?? {};
  const container = status.containerStatuses?.[0];
  const terminated = container?.state?.terminated;
  if (terminated || status.phase === 'Failed' || status.phase === 'Succeeded') {
    const parts = [terminated?.reason, terminated?.message, status.reason, status.message].filter(Boolean);
    return {
      kind: 'ended',
      code: terminated?.exitCode ?? null,
      message: parts.length > 0 ? [...new Set(parts)].join(': ') : `pod ${status.phase ?? 'ended'}`
    };
  }
  const waiting = container?.state?.waiting;
  if (waiting?.reason && IMAGE_ERRORS.has(waiting.reason)) {
    return { kind: 'image-error', message: `${waiting.reason}: ${waiting.message ?? pod.spec?.containers[0]?.image ?? ''}`.trim() };
  }
  if (container?.state?.running && status.podIP) {
    return { kind: 'running', podIP: status.podIP };
  }
  const scheduled = status.conditions?.find(c => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { kind: 'unschedulable', message: scheduled.message ?? 'no node can run this pod' };
  }
  if (pod.spec?.nodeName) {
    return { kind: 'scheduled', node: pod.spec.nodeName };
  }
  return { kind: 'pending' };
}

/** Executors of one driver, as the panel and the notebook widget show them. */
export interface ExecutorStatus {
  ready: number;
  pending: number;
  /** Why the first pending executor waits (scheduler message or container reason), if known. */
  pendingReason: string | null;
  /** GPUs held by running executors. */
  gpus: number;
  /** One row per executor pod of the driver, in the cache's order (the API sorts them). */
  pods: ExecutorPod[];
}

/** Pure: counts of a driver's executor pods (owned by `driverUid`; older drivers' executors do not count), and one row per pod. */
export function executorStatus(executors: readonly V1Pod[], driverUid: string): ExecutorStatus {
  let ready = 0;
  let pending = 0;
  let gpus = 0;
  let pendingReason: string | null = null;
  const pods: ExecutorPod[] = [];
  for (const pod of executors) {
    if (!pod.metadata?.ownerReferences?.some(o => o.uid === driverUid)) {
      continue;
    }
    const row = executorPod(pod);
    pods.push(row);
    if (pod.metadata.deletionTimestamp) {
      continue;
    }
    const phase = pod.status?.phase;
    if (phase === 'Running') {
      ready++;
      gpus += row.gpus;
    } else if (phase === 'Pending' || phase === undefined) {
      pending++;
      pendingReason ??= row.reason;
    }
  }
  return { ready, pending, pendingReason, gpus, pods };
}

/** Label Spark puts on each executor pod: its executor id (Spark's `SPARK_EXECUTOR_ID_LABEL`). */
export const SPARK_EXEC_ID_LABEL = 'spark-exec-id';

/** Name of Spark's own container in an executor pod (a pod template may add sidecars). */
const SPARK_EXECUTOR_CONTAINER = 'spark-kubernetes-executor';

/**
 * Pure: one executor pod as a row: `pending` until it runs (with the scheduler's or kubelet's
 * reason), `ended` once it failed, succeeded or is being deleted (with why), else `running`.
 */
export function executorPod(pod: V1Pod): ExecutorPod {
  const status = pod.status ?? {};
  const phase = status.phase;
  let state: ExecutorPod['state'];
  let reason: string | null;
  if (pod.metadata?.deletionTimestamp || phase === 'Failed' || phase === 'Succeeded' || phase === 'Unknown') {
    state = 'ended';
    reason = endReason(pod);
  } else if (phase === 'Running') {
    state = 'running';
    // A running pod whose container waits again (CrashLoopBackOff) says so; otherwise nothing to say.
    reason = status.containerStatuses?.[0]?.state?.waiting ? waitReason(pod) : null;
  } else {
    state = 'pending';
    reason = waitReason(pod);
  }
  return {
    name: pod.metadata?.name ?? '',
    node: pod.spec?.nodeName ?? null,
    state,
    reason,
    cores: podCores(pod),
    gpus: podGpus(pod),
    podIP: status.podIP ?? null,
    execId: pod.metadata?.labels?.[SPARK_EXEC_ID_LABEL] ?? null
  };
}

/** Why an executor pod ended, in the kubelet's words (termination reason, exit code, eviction message). */
function endReason(pod: V1Pod): string {
  const status = pod.status ?? {};
  const terminated = status.containerStatuses?.[0]?.state?.terminated;
  const parts = [terminated?.reason, terminated?.message, status.reason, status.message].filter((p): p is string => !!p);
  const target = status.conditions?.find(c => c.type === 'DisruptionTarget' && c.status === 'True');
  if (target) {
    parts.push(...[target.reason, target.message].filter((p): p is string => !!p));
  }
  let text = [...new Set(parts)].join(': ');
  if (terminated && terminated.exitCode !== 0) {
    text = text ? `${text} (exit code ${terminated.exitCode})` : `exit code ${terminated.exitCode}`;
  }
  if (text) {
    return text;
  }
  return pod.metadata?.deletionTimestamp ? 'deleted' : `pod ${status.phase ?? 'ended'}`;
}

/** CPU the pod's Spark container requests (else its limit), in cores; 0 when unset. */
export function podCores(pod: V1Pod): number {
  const containers = pod.spec?.containers ?? [];
  const c = containers.find(x => x.name === SPARK_EXECUTOR_CONTAINER) ?? containers[0];
  const value = c?.resources?.requests?.cpu ?? c?.resources?.limits?.cpu;
  return value === undefined ? 0 : cpuQuantity(String(value));
}

/** A Kubernetes CPU quantity ("2", "500m", "1.5") in cores; 0 when unreadable. */
function cpuQuantity(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(text.trim());
  if (!m) {
    return 0;
  }
  const n = Number(m[1]);
  return m[2] === 'm' ? n / 1000 : n;
}

function waitReason(pod: V1Pod): string | null {
  const scheduled = pod.status?.conditions?.find(c => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.message) {
    return scheduled.message;
  }
  const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
  if (!waiting?.reason) {
    return null;
  }
  // Starting up is not a problem worth details (a volume that appears a moment later, say).
  return TRANSIENT_WAITING.has(waiting.reason) ? waiting.reason : [waiting.reason, waiting.message].filter(Boolean).join(': ');
}

/** `nvidia.com/gpu` a pod asks for (limits, else requests), summed over containers. */
export function podGpus(pod: V1Pod): number {
  let total = 0;
  for (const c of pod.spec?.containers ?? []) {
    const value = c.resources?.limits?.['nvidia.com/gpu'] ?? c.resources?.requests?.['nvidia.com/gpu'];
    total += value === undefined ? 0 : Number(value) || 0;
  }
  return total;
}

/** A short description of a pod for error messages when its log cannot be read. */
export function describePod(pod: V1Pod): string {
  const state = driverState(pod);
  const gpus = podGpus(pod);
  return `pod ${pod.metadata?.namespace}/${pod.metadata?.name} on ${pod.spec?.nodeName ?? '(no node)'}: ${state.kind}${
    'message' in state ? ` — ${state.message}` : ''
  }${gpus ? ` (${gpus} GPU)` : ''}`;
}

/**
 * Pure: why a running driver pod is lost although its container still reads as running, or null.
 *
 * #### Notes
 * The node controller, when a node stops reporting (kubelet down, node powered off or cut off),
 * marks the node's pods `Ready=False` and leaves every other condition alone
 * (`MarkPodsNotReady`, k8s pkg/controller/util/node). A kubelet never writes `Ready=False` with
 * `ContainersReady=True` for a pod without readiness gates (driver pods have none), so that pair
 * names a lost node without reading Nodes (the gateway may not: it has no cluster-wide role).
 */
export function lostNode(pod: V1Pod): string | null {
  const conditions = pod.status?.conditions ?? [];
  const ready = conditions.find(c => c.type === 'Ready');
  const containersReady = conditions.find(c => c.type === 'ContainersReady');
  if (ready?.status !== 'False' || containersReady?.status !== 'True' || (pod.spec?.readinessGates?.length ?? 0) > 0) {
    return null;
  }
  return pod.spec?.nodeName ?? '(unknown node)';
}

/**
 * Pure: how a pod's deletion reads for its user, or null while it is not being deleted. An
 * eviction says why; the taint manager's (NoExecute taints: the node controller's unreachable or
 * not-ready, past the pod's tolerationSeconds) names the node as lost.
 */
export function deletionReason(pod: V1Pod): string | null {
  if (!pod.metadata?.deletionTimestamp) {
    return null;
  }
  const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
  const target = pod.status?.conditions?.find(c => c.type === 'DisruptionTarget' && c.status === 'True');
  const why = target ? ` (${[target.reason, target.message].filter(Boolean).join(': ')})` : '';
  if (target?.reason === 'DeletionByTaintManager') {
    return `node ${pod.spec?.nodeName ?? '(unknown node)'} lost: driver pod ${name} was evicted${why}`;
  }
  return `driver pod ${name} was deleted${why}`;
}
