/**
 * Pure: the one Prometheus query a tenant's GPUs need, and its DCGM series turned into one
 * {@link GpuSample} per GPU of each cluster's driver and executor pods. No I/O, no clock.
 */

import type { GpuSample } from '@sparkgate/contract';
import type { PromSeries } from './prometheus.js';

/** The DCGM exporter gauges read (README "GPU metrics"); FB_RESERVED only exists on newer drivers. */
export const DCGM = {
  util: 'DCGM_FI_DEV_GPU_UTIL',
  fbUsed: 'DCGM_FI_DEV_FB_USED',
  fbFree: 'DCGM_FI_DEV_FB_FREE',
  fbReserved: 'DCGM_FI_DEV_FB_RESERVED',
  power: 'DCGM_FI_DEV_POWER_USAGE'
} as const;

/**
 * The instant query of every DCGM gauge of `namespace`'s pods. Prometheus scraping the exporter
 * with `honorLabels: false` renames its `namespace`/`pod` to `exported_namespace`/`exported_pod`
 * (the target's own labels win), so both spellings are asked for; `or` keeps one of identical series.
 */
export function tenantQuery(namespace: string): string {
  const names = Object.values(DCGM).join('|');
  const ns = quote(namespace);
  return `{__name__=~"${names}",namespace=${ns}} or {__name__=~"${names}",exported_namespace=${ns}}`;
}

/** What a cluster's pods are called, to find its GPUs among a tenant's series. */
export interface ClusterPods {
  kernelId: string;
  /** The driver pod, when known exactly. */
  driverPod: string | null;
  /**
   * Else: a driver pod is `<driverPrefix><suffix>` (one DNS label, no further `-`): sparkgate
   * names it `sg-<first 8 of the kernel id>-<suffix>`, with a new suffix on every restart.
   */
  driverPrefix: string | null;
  /** Executor pods by name, with Spark's executor id when the pod carries it. */
  executors: ReadonlyMap<string, string | null>;
}

/**
 * Pure: the pods of a cluster from its executor pod rows. Spark names executors
 * `<spark.kubernetes.executor.podNamePrefix>-exec-<n>` and sparkgate sets that prefix to the
 * driver pod's name, so an executor tells the driver's exact name.
 */
export function clusterPods(kernelId: string, executors: readonly { name: string; execId: string | null }[]): ClusterPods {
  const byName = new Map(executors.map(e => [e.name, e.execId]));
  const named = executors.map(e => /^(.+)-exec-\d+$/.exec(e.name)?.[1]).find(n => n !== undefined) ?? null;
  return { kernelId, driverPod: named, driverPrefix: named === null ? `sg-${kernelId.slice(0, 8)}-` : null, executors: byName };
}

/**
 * Pure: each cluster's GPUs from one tenant query's series. Series are grouped by pod and GPU
 * (UUID, else index); a pod that is no cluster's driver or executor (another user's pod, a free
 * GPU) is left out. Every cluster of `clusters` has an entry, empty when it holds no GPU Prometheus
 * knows of. Rows: the driver first, then executors by id, each GPU by index.
 */
export function samplesByCluster(series: readonly PromSeries[], namespace: string, clusters: readonly ClusterPods[]): Map<string, GpuSample[]> {
  const gpus = new Map<string, { kernelId: string; sample: GpuSample; fb: { used?: number; free?: number; reserved?: number } }>();
  for (const s of series) {
    const where = podOf(s.metric);
    if (where === null || where.namespace !== namespace) {
      continue;
    }
    const owner = roleOf(where.pod, clusters);
    if (owner === null) {
      continue;
    }
    const uuid = s.metric.UUID ?? '';
    const gpu = s.metric.gpu ?? '';
    const key = `${where.pod}\u0000${uuid || gpu}`;
    let entry = gpus.get(key);
    if (!entry) {
      entry = {
        kernelId: owner.kernelId,
        sample: {
          pod: where.pod,
          role: owner.role,
          executorId: owner.executorId,
          node: s.metric.Hostname ?? s.metric.hostname ?? null,
          gpu,
          uuid,
          utilPercent: null,
          memUsedMiB: null,
          memTotalMiB: null,
          powerW: null
        },
        fb: {}
      };
      gpus.set(key, entry);
    }
    const value = Number.isFinite(s.value) ? s.value : null;
    if (value === null) {
      continue;
    }
    switch (s.metric.__name__) {
      case DCGM.util:
        entry.sample.utilPercent = value;
        break;
      case DCGM.power:
        entry.sample.powerW = value;
        break;
      case DCGM.fbUsed:
        entry.fb.used = value;
        break;
      case DCGM.fbFree:
        entry.fb.free = value;
        break;
      case DCGM.fbReserved:
        entry.fb.reserved = value;
        break;
    }
  }
  const out = new Map<string, GpuSample[]>(clusters.map(c => [c.kernelId, []]));
  for (const { kernelId, sample, fb } of gpus.values()) {
    sample.memUsedMiB = fb.used ?? null;
    sample.memTotalMiB = fb.used !== undefined && fb.free !== undefined ? fb.used + fb.free + (fb.reserved ?? 0) : null;
    out.get(kernelId)?.push(sample);
  }
  for (const list of out.values()) {
    list.sort(compareSamples);
  }
  return out;
}

/** The pod a series is about: the exporter's own labels, renamed `exported_*` when Prometheus kept its target's. */
function podOf(metric: Record<string, string>): { pod: string; namespace: string } | null {
  const exported = metric.exported_namespace !== undefined;
  const pod = exported ? metric.exported_pod : metric.pod;
  const namespace = exported ? metric.exported_namespace : metric.namespace;
  return pod && namespace ? { pod, namespace } : null;
}

function roleOf(pod: string, clusters: readonly ClusterPods[]): { kernelId: string; role: GpuSample['role']; executorId: string | null } | null {
  for (const c of clusters) {
    if (c.executors.has(pod)) {
      return { kernelId: c.kernelId, role: 'executor', executorId: c.executors.get(pod) ?? null };
    }
    const driver =
      c.driverPod !== null ? pod === c.driverPod : c.driverPrefix !== null && pod.startsWith(c.driverPrefix) && /^[a-z0-9]+$/.test(pod.slice(c.driverPrefix.length));
    if (driver) {
      return { kernelId: c.kernelId, role: 'driver', executorId: null };
    }
  }
  return null;
}

function compareSamples(a: GpuSample, b: GpuSample): number {
  if (a.role !== b.role) {
    return a.role === 'driver' ? -1 : 1;
  }
  return (
    numeric(a.executorId, b.executorId) || a.pod.localeCompare(b.pod, 'en', { numeric: true }) || a.gpu.localeCompare(b.gpu, 'en', { numeric: true })
  );
}

/** Executor ids in number order; unregistered ones last. */
function numeric(a: string | null, b: string | null): number {
  if (a === b) {
    return 0;
  }
  if (a === null || b === null) {
    return a === null ? 1 : -1;
  }
  return a.localeCompare(b, 'en', { numeric: true });
}

/** A PromQL string literal. */
function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
