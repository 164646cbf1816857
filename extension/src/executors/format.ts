/**
 * What the executors popup shows, as plain strings: one row per executor of a cluster and the
 * header above them. Pure (no DOM), so unit tests cover it; popup.ts renders it.
 */

import type { ExecutorModel } from '@sparkgate/contract';

import type { IClusterModel } from '../api';
import type { ITrans } from '../trans';

/** The translation seam of the formatting (defined once in ../trans.ts; a whole `TranslationBundle` fits). */
export type { ITrans } from '../trans';

/** One executor row, ready to render. */
export interface IExecutorRowView {
  /** Stable key for the row: the pod name, else Spark's executor id. */
  key: string;
  state: ExecutorModel['state'];
  /** Pod name, `''` without one (local backend); the row's `data-pod`. */
  pod: string;
  /** Spark's executor id, `''` before it registered; the row's `data-executor`. */
  executorId: string;
  id: string;
  podText: string;
  node: string;
  stateLabel: string;
  /** Why it waits or ended, shown as text under the row; `null` when running normally. */
  reason: string | null;
  cores: string;
  /** GPU count, e.g. `2`; `—` for none. */
  gpus: string;
  /** GPU addresses Spark assigned, e.g. `0, 1`; `''` when none or not known yet. */
  gpuAddresses: string;
  /** Tasks from Spark; `—` before the executor registered. */
  tasksActive: string;
  tasksCompleted: string;
  tasksFailed: string;
}

/** The popup's header: counts and, if some executor waits, why. */
export interface IExecutorsHeader {
  summary: string;
  pendingReason: string | null;
}

const DASH = '—';

/** Pure: the rows of a cluster's executors, in the gateway's order (running, pending, ended). */
export function executorRows(cluster: Pick<IClusterModel, 'executors'>, trans: ITrans): IExecutorRowView[] {
  return (cluster.executors.list ?? []).map((e, i) => executorRow(e, i, trans));
}

/** Pure: one row. `index` keys a row that has neither pod nor id. */
export function executorRow(e: ExecutorModel, index: number, trans: ITrans): IExecutorRowView {
  return {
    key: e.pod ?? (e.id !== null ? `id:${e.id}` : `row:${index}`),
    state: e.state,
    pod: e.pod ?? '',
    executorId: e.id ?? '',
    id: e.id ?? DASH,
    podText: e.pod ?? DASH,
    node: e.node ?? (e.state === 'pending' ? trans.__('not scheduled') : DASH),
    stateLabel: stateLabel(e.state, trans),
    reason: e.reason,
    cores: e.cores > 0 ? formatNumber(e.cores) : DASH,
    gpus: e.gpus > 0 ? String(e.gpus) : DASH,
    gpuAddresses: e.gpuAddresses.join(', '),
    tasksActive: e.tasks ? String(e.tasks.active) : DASH,
    tasksCompleted: e.tasks ? String(e.tasks.completed) : DASH,
    tasksFailed: e.tasks ? String(e.tasks.failed) : DASH
  };
}

/** Pure: "N ready · M pending of D" and the pending reason, if there is one. */
export function executorsHeader(cluster: Pick<IClusterModel, 'executors'>, trans: ITrans): IExecutorsHeader {
  const e = cluster.executors;
  const list = e.list ?? [];
  let summary: string;
  if (e.desired === 0 && e.ready === 0 && e.pending === 0 && list.length > 0) {
    // No pods to count (local backend): Spark's executors, or the driver of a local master.
    const running = list.filter(x => x.state === 'running').length;
    summary = trans._n('%1 executor running', '%1 executors running', running);
  } else {
    summary = trans.__('%1 ready · %2 pending of %3', e.ready, e.pending, e.desired);
  }
  const pendingReason = e.pending > 0 ? (e.pendingReason ?? list.find(x => x.state === 'pending' && x.reason)?.reason ?? null) : null;
  return { summary, pendingReason };
}

/** Pure: the column headers, in row order. */
export function executorColumns(trans: ITrans): string[] {
  return [
    trans.__('Executor'),
    trans.__('Pod'),
    trans.__('Node'),
    trans.__('State'),
    trans.__('Cores'),
    trans.__('GPUs'),
    trans.__('Active'),
    trans.__('Done'),
    trans.__('Failed')
  ];
}

function stateLabel(state: ExecutorModel['state'], trans: ITrans): string {
  switch (state) {
    case 'running':
      return trans.__('Running');
    case 'pending':
      return trans.__('Pending');
    case 'ended':
      return trans.__('Ended');
  }
}

/** `2`, `0.5`, `1.25`: at most two decimals, no trailing zeros. */
function formatNumber(n: number): string {
  return String(Math.round(n * 100) / 100);
}
