/**
 * Live GPU use of a cluster (issue 17): what the gateway reads from Prometheus (NVIDIA DCGM
 * exporter series of the cluster's driver and executor pods) and streams on `/status` as
 * `gpu:metrics`, to the cluster's owner only.
 */

/** One GPU held by one pod of a cluster, at the time Prometheus last scraped it. */
export interface GpuSample {
  /** The pod holding the GPU (the driver's or an executor's). */
  pod: string;
  role: 'driver' | 'executor';
  /** Spark's executor id (the pod's `spark-exec-id`); null for the driver. */
  executorId: string | null;
  /** The node (DCGM's `Hostname`/`hostname`); null when the exporter does not say. */
  node: string | null;
  /** The GPU's index on its node (DCGM's `gpu` label). */
  gpu: string;
  /** `GPU-…`, DCGM's `UUID` label; `''` when absent. */
  uuid: string;
  /** DCGM_FI_DEV_GPU_UTIL, 0..100; null when that series is missing. */
  utilPercent: number | null;
  /** DCGM_FI_DEV_FB_USED (MiB). */
  memUsedMiB: number | null;
  /** FB_USED + FB_FREE (+ FB_RESERVED where the exporter has it), MiB. */
  memTotalMiB: number | null;
  /** DCGM_FI_DEV_POWER_USAGE (W). */
  powerW: number | null;
}

/** Why no live numbers come at all: none configured (`gpuMetrics` absent), or no pods to ask about (local backend). */
export type GpuMetricsOffReason = 'not-configured' | 'no-pods';

/**
 * `gpu:metrics` payload.
 * - `live`: this cluster's GPUs as Prometheus last saw them (`gpus` empty: none held, or not scraped yet).
 * - `unavailable`: Prometheus could not be asked; `message` is `GPU metrics unavailable: <cause>`.
 * - `off`: sent once per connect, for every cluster of the user (`kernelId` null).
 */
export type GpuMetrics =
  | { state: 'live'; kernelId: string; /** ISO 8601, when the gateway asked. */ at: string; gpus: GpuSample[] }
  | { state: 'unavailable'; kernelId: string; at: string; message: string }
  | { state: 'off'; kernelId: null; reason: GpuMetricsOffReason };
