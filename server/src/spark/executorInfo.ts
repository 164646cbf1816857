/** One executor as Spark's REST API (`/applications/<app>/executors`) describes it. */
export interface SparkExecutorInfo {
  /** Spark's executor id (`"driver"` for the driver's own entry). */
  id: string;
  /** `host:port` of its block manager; on Kubernetes the host is the pod IP. */
  hostPort: string;
  isActive: boolean;
  cores: number;
  /** GPU addresses Spark assigned (resource `gpu`), empty without. */
  gpuAddresses: string[];
  activeTasks: number;
  completedTasks: number;
  failedTasks: number;
}

/** An entry of `/applications/<app>/executors` (the fields the gateway reads). */
export interface SparkExecutorData {
  id: string;
  hostPort?: string;
  isActive?: boolean;
  totalCores?: number;
  activeTasks?: number;
  completedTasks?: number;
  failedTasks?: number;
  resources?: Record<string, { addresses?: unknown }>;
}

/** Spark's description of an executor as a {@link SparkExecutorInfo}; missing figures count 0. */
export function toExecutorInfo(e: SparkExecutorData): SparkExecutorInfo {
  const gpus = e.resources?.gpu?.addresses;
  return {
    id: e.id,
    hostPort: typeof e.hostPort === 'string' ? e.hostPort : '',
    isActive: e.isActive !== false,
    cores: count(e.totalCores),
    gpuAddresses: Array.isArray(gpus) ? gpus.filter((a): a is string => typeof a === 'string') : [],
    activeTasks: count(e.activeTasks),
    completedTasks: count(e.completedTasks),
    failedTasks: count(e.failedTasks)
  };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
