/**
 * What the sparkgate gateway and its JupyterLab extension say to each other, defined once: the
 * cluster model, the `/status` socket.io events, the sizing a launch sends and its totals.
 */

export type { ClusterModel, ClusterState, ExecutorModel, JobProgress, LaunchPhase, LaunchRequest } from './cluster.js';
export { optionAllows, podMemoryOverheadMiB, podOverheadMiB } from './me.js';
export type { GpuType, Limits, Me, NodeCapacity, NumberOption, Profile, ProfileOptions, TextOption } from './me.js';
export type { GpuMetrics, GpuMetricsOffReason, GpuSample } from './gpu.js';
export type { CellJob, CellProgress, CellStage, TaskCounts } from './progress.js';
export { STATUS_NAMESPACE } from './events.js';
export type { ClientToServerEvents, ClusterRemoved, ServerToClientEvents } from './events.js';
export { maxExecutors, totalsOf, totalsWith } from './sizing.js';
export type { ExecutorSizing, JvmSizing, Resources, Sizing } from './sizing.js';
