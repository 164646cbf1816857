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
