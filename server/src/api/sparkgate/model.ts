import type { ClusterModel, JobProgress } from '@sparkgate/contract';
import type { Kernel } from '../../kernels/types.js';

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
      list: []
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
