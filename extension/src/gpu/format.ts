/**
 * What the notebook shows of a cluster's live GPU use (`gpu:metrics`), as plain strings: the
 * toolbar's "4 GPUs · 63%" and the executors popup's one row per executor and GPU. Pure (no
 * DOM), so unit tests cover it; statusWidget.ts and executors/popup.ts render it.
 */

import type { GpuMetricsOffReason, GpuSample } from '@sparkgate/contract';

import type { IClusterModel } from '../api';
import type { ITrans } from '../trans';

/** What the extension knows of one cluster's GPU numbers. */
export type GpuView =
  /** The gateway said on connect that none will come. */
  | { kind: 'off'; reason: GpuMetricsOffReason }
  /** Nothing heard for this cluster yet (configured: the first poll is on its way). */
  | { kind: 'waiting' }
  | { kind: 'live'; at: string; gpus: readonly GpuSample[] }
  | { kind: 'unavailable'; at: string; message: string };

/** The toolbar's GPU item. */
export interface IGpuToolbar {
  /** `4 GPUs · 63%`, `4 GPUs`, `4 GPUs · live use unavailable`. */
  text: string;
  /** Hover text: what the numbers are, or why there are none. */
  title: string;
  /** Mean utilisation shown, 0..100; null when none. */
  utilPercent: number | null;
  /** Whether the note is a failure (drawn as a warning). */
  warn: boolean;
}

/** One row of the popup's GPU table. */
export interface IGpuRowView {
  /** Stable key: pod and GPU. */
  key: string;
  /** `Driver`, or the executor id (`—` before it registered). */
  executor: string;
  pod: string;
  /** The GPU index on its node, e.g. `0`. */
  gpu: string;
  /** Hover text of the GPU cell: UUID and node. */
  gpuTitle: string;
  /** `63%`, `—`. */
  util: string;
  /** 0..100 for a bar; null when unknown. */
  utilPercent: number | null;
  /** `4.0 / 80.0 GiB`, `4.0 GiB`, `—`. */
  memory: string;
  /** `232 W`, `—`. */
  power: string;
}

/** The popup's GPU section: rows, or a sentence saying why there are none. */
export interface IGpuSection {
  heading: string;
  /** `Updated 14:02:05` for live numbers; `''` otherwise. */
  updated: string;
  /** Why there are no rows (or a failure note); null when rows say it all. */
  message: string | null;
  /** Whether `message` is a failure (the Prometheus error). */
  warn: boolean;
  rows: IGpuRowView[];
}

const DASH = '—';

/** Pure: mean utilisation of the GPUs that report it, rounded; null when none does. */
export function meanUtil(gpus: readonly GpuSample[]): number | null {
  const known = gpus.map(g => g.utilPercent).filter((u): u is number => u !== null && Number.isFinite(u));
  return known.length === 0 ? null : Math.round(known.reduce((a, b) => a + b, 0) / known.length);
}

/**
 * Pure: the toolbar's GPU item: the GPUs held and, with live numbers, their mean utilisation
 * (`4 GPUs · 63%`); no percentage without numbers, a short note when Prometheus fails.
 */
export function gpuToolbar(cluster: Pick<IClusterModel, 'gpus'>, view: GpuView, trans: ITrans): IGpuToolbar {
  const held = trans._n('%1 GPU', '%1 GPUs', cluster.gpus.held);
  const base = trans.__('GPUs held by the driver and executors');
  switch (view.kind) {
    case 'live': {
      const util = view.gpus.length > 0 ? meanUtil(view.gpus) : null;
      if (util === null) {
        return { text: held, title: cluster.gpus.held > 0 ? `${base}\n${waitingText(trans)}` : base, utilPercent: null, warn: false };
      }
      return {
        text: trans.__('%1 · %2%%', held, util),
        title: `${base}\n${trans._n('Mean utilisation of %1 GPU: %2%%', 'Mean utilisation of %1 GPUs: %2%%', view.gpus.length, util)}`,
        utilPercent: util,
        warn: false
      };
    }
    case 'unavailable':
      return cluster.gpus.held > 0
        ? { text: trans.__('%1 · live use unavailable', held), title: `${base}\n${view.message}`, utilPercent: null, warn: true }
        : { text: held, title: `${base}\n${view.message}`, utilPercent: null, warn: false };
    case 'off':
      return { text: held, title: `${base}\n${offText(view.reason, trans)}`, utilPercent: null, warn: false };
    case 'waiting':
      return { text: held, title: base, utilPercent: null, warn: false };
  }
}

/**
 * Pure: the popup's GPU section for a cluster, or null when there is nothing to say (it holds no
 * GPU and no numbers came). Rows: the driver's GPUs first, then each executor's, by GPU index.
 */
export function gpuSection(cluster: Pick<IClusterModel, 'gpus'>, view: GpuView, trans: ITrans, clock: (date: Date) => string = clockSeconds): IGpuSection | null {
  const heading = trans.__('GPU use');
  const empty = (message: string, warn = false): IGpuSection => ({ heading, updated: '', message, warn, rows: [] });
  const live = view.kind === 'live' && view.gpus.length > 0;
  if (!live && cluster.gpus.held === 0) {
    return null;
  }
  switch (view.kind) {
    case 'off':
      return empty(offText(view.reason, trans));
    case 'waiting':
      return empty(trans.__('Waiting for live GPU numbers…'));
    case 'unavailable':
      return empty(view.message, true);
    case 'live': {
      if (view.gpus.length === 0) {
        return empty(waitingText(trans));
      }
      const at = new Date(view.at);
      return {
        heading,
        updated: Number.isNaN(at.getTime()) ? '' : trans.__('Updated %1', clock(at)),
        message: null,
        warn: false,
        rows: view.gpus.map(g => gpuRow(g, trans))
      };
    }
  }
}

/** Pure: one GPU row. */
export function gpuRow(g: GpuSample, trans: ITrans): IGpuRowView {
  const util = g.utilPercent !== null && Number.isFinite(g.utilPercent) ? Math.round(g.utilPercent) : null;
  return {
    key: `${g.pod}/${g.uuid || g.gpu}`,
    executor: g.role === 'driver' ? trans.__('Driver') : (g.executorId ?? DASH),
    pod: g.pod,
    gpu: g.gpu || DASH,
    gpuTitle: [g.uuid, g.node ? trans.__('on %1', g.node) : ''].filter(Boolean).join(' '),
    util: util === null ? DASH : trans.__('%1%%', util),
    utilPercent: util === null ? null : Math.max(0, Math.min(100, util)),
    memory: memoryText(g.memUsedMiB, g.memTotalMiB, trans),
    power: g.powerW !== null && Number.isFinite(g.powerW) ? trans.__('%1 W', Math.round(g.powerW)) : DASH
  };
}

/** Pure: the GPU table's column headers, in row order. */
export function gpuColumns(trans: ITrans): string[] {
  return [trans.__('Executor'), trans.__('Pod'), trans.__('GPU'), trans.__('Utilisation'), trans.__('Memory'), trans.__('Power')];
}

/** `4.0 / 80.0 GiB` (MiB in, one decimal). */
function memoryText(used: number | null, total: number | null, trans: ITrans): string {
  const gib = (mib: number): string => (mib / 1024).toFixed(1);
  if (used === null) {
    return DASH;
  }
  return total === null ? trans.__('%1 GiB', gib(used)) : trans.__('%1 / %2 GiB', gib(used), gib(total));
}

function offText(reason: GpuMetricsOffReason, trans: ITrans): string {
  switch (reason) {
    case 'not-configured':
      return trans.__('Live GPU numbers are not configured (gpuMetrics)');
    case 'no-pods':
      return trans.__('Live GPU numbers need the Kubernetes backend (the local backend has no pods to ask Prometheus about)');
  }
}

function waitingText(trans: ITrans): string {
  return trans.__("No GPU numbers in Prometheus yet: they lag by the DCGM exporter's collect interval plus the scrape interval");
}

/** `14:02:05`: local wall-clock time with seconds (numbers change every interval). */
function clockSeconds(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map(n => String(n).padStart(2, '0')).join(':');
}
