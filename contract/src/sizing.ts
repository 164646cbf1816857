/**
 * The shape of a cluster and what it adds up to. The gateway checks these totals against a
 * tenant's limits; the extension shows the same totals before launch, so both compute them here.
 * Pure: no I/O, no validation (each side validates what crosses into it).
 */

/** Compute of one JVM (the driver or one executor), or totals of a cluster. Memory in MiB. */
export interface Resources {
  gpus: number;
  cores: number;
  memoryMiB: number;
}

/**
 * One JVM of a cluster (the driver, or each executor): its compute plus what its pod asks of a
 * node beyond that (issue 18). Both extras are absent unless the profile sets them.
 */
export interface JvmSizing extends Resources {
  /** Pod memory beyond the heap, MiB (e.g. RAPIDS' pinned memory); absent = `podOverheadMiB`'s default. */
  memoryOverheadMiB?: number;
  /** The GPU model (node label `nvidia.com/gpu.product`) the pod selects when it asks for GPUs; absent = any. */
  gpuType?: string;
}

/** Executors: a fixed `count`, or Spark dynamic allocation between `min` and `max`. */
export interface ExecutorSizing extends JvmSizing {
  count?: number;
  min?: number;
  max?: number;
}

/**
 * The shape of a Spark cluster: one driver (the kernel) plus executors. What a profile defaults
 * to, what the extension sends to launch, what a cluster reports and what notebooks store.
 */
export interface Sizing {
  /** Cores may be fractional (a driver is mostly idle); GPUs and memory are whole. */
  driver: JvmSizing;
  executors: ExecutorSizing;
}

/** Executors a sizing may run at most: the fixed count or the dynamic-allocation maximum. */
export function maxExecutors(sizing: Sizing): number {
  return sizing.executors.count ?? sizing.executors.max ?? 0;
}

/** What a sizing holds with `n` executors running. */
export function totalsWith(sizing: Sizing, n: number): Resources {
  const d = sizing.driver;
  if (n === 0) {
    // Executor fields do not count (and may be blank in the panel's form) when none run.
    return { gpus: d.gpus, cores: d.cores, memoryMiB: d.memoryMiB };
  }
  const e = sizing.executors;
  return { gpus: d.gpus + n * e.gpus, cores: d.cores + n * e.cores, memoryMiB: d.memoryMiB + n * e.memoryMiB };
}

/** What a cluster of this shape holds at most (driver plus the largest executor set): what limits are checked against. */
export function totalsOf(sizing: Sizing): Resources {
  return totalsWith(sizing, maxExecutors(sizing));
}
