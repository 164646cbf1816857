/**
 * Spark work as a notebook cell sees it: the jobs one cell ran (the kernel tags every Spark job
 * with the id of the `execute_request` that started it), with their stages and tasks.
 */

/** Tasks of a job or a stage. `done` counts completed and skipped tasks. */
export interface TaskCounts {
  done: number;
  running: number;
  failed: number;
  total: number;
}

/** One stage of a cell's job. */
export interface CellStage {
  id: number;
  name: string;
  status: 'pending' | 'active' | 'complete' | 'failed' | 'skipped';
  tasks: TaskCounts;
}

/** One Spark job a cell ran. */
export interface CellJob {
  id: number;
  name: string;
  status: 'running' | 'succeeded' | 'failed' | 'unknown';
  /** ISO 8601; null when Spark did not say. */
  submittedAt: string | null;
  completedAt: string | null;
  stages: CellStage[];
  tasks: TaskCounts;
  /** This job's page in the Spark UI, relative to the gateway root (`ui/<cluster>/jobs/job/?id=<n>`). */
  uiPath: string;
}

/** `cell:progress` payload: the Spark jobs of one cell of one cluster. */
export interface CellProgress {
  /** The cluster (= kernel) id. */
  clusterId: string;
  /** The `msg_id` of the cell's `execute_request`. */
  cell: string;
  jobs: CellJob[];
  /** False once the cell has finished: this is its final summary. */
  running: boolean;
  /**
   * Why the cell's Spark work waits, in the scheduler's or Spark's words (e.g. "waiting for
   * executors: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu"); null when it does not.
   */
  waiting: string | null;
}
