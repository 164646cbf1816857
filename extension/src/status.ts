/**
 * Pure presentation logic for cluster status: labels, launch steps, executor and job summaries,
 * uptime, the idle-cull countdown, matching a notebook's kernel to its cluster, and what the
 * notebook toolbar item shows. Small pure functions read by the panel and the notebook widget;
 * every string goes through a translation bundle (`trans`, default untranslated).
 */

import type { ClusterState, IClusterModel, IJobProgress, LaunchPhase } from './api';
import { plainTrans } from './trans';
import type { ITrans } from './trans';

/** How a status should look: drives the CSS modifier class. */
export type Tone = 'pending' | 'ok' | 'busy' | 'error' | 'off';

/** What the notebook widget shows for the driver. */
export interface IDriverStatus {
  label: 'Pending' | 'Starting' | 'Ready' | 'Busy' | 'Failed' | 'Dead';
  /** Why it is pending or failed, when the gateway knows (e.g. "Insufficient nvidia.com/gpu"). */
  reason: string | null;
  tone: Tone;
}

/** Cluster states the user can still use or wait for. */
export function isActive(state: ClusterState): boolean {
  return state !== 'failed' && state !== 'dead';
}

/** Short label for a cluster state. */
export function stateLabel(state: ClusterState, trans: ITrans = plainTrans): string {
  switch (state) {
    case 'requested':
      return trans.__('Requested');
    case 'launching':
      return trans.__('Launching');
    case 'ready':
      return trans.__('Ready');
    case 'busy':
      return trans.__('Busy');
    case 'failed':
      return trans.__('Failed');
    case 'dead':
      return trans.__('Dead');
  }
}

/** Tone of a cluster state. */
export function stateTone(state: ClusterState): Tone {
  switch (state) {
    case 'requested':
    case 'launching':
      return 'pending';
    case 'ready':
      return 'ok';
    case 'busy':
      return 'busy';
    case 'failed':
      return 'error';
    case 'dead':
      return 'off';
  }
}

/**
 * The driver's status: Pending (not scheduled yet, with the scheduler's reason) → Starting
 * (image pull, container and kernel start) → Ready / Busy, or Failed / Dead.
 */
export function driverStatus(cluster: IClusterModel): IDriverStatus {
  const reason = cluster.driver.reason ?? cluster.reason;
  switch (cluster.state) {
    case 'failed':
      return { label: 'Failed', reason, tone: 'error' };
    case 'dead':
      return { label: 'Dead', reason, tone: 'off' };
    case 'busy':
      return { label: 'Busy', reason: null, tone: 'busy' };
    case 'ready':
      return { label: 'Ready', reason: null, tone: 'ok' };
    case 'requested':
    case 'launching':
      if (cluster.phase === null || cluster.phase === 'requested' || cluster.phase === 'scheduling') {
        return { label: 'Pending', reason, tone: 'pending' };
      }
      return { label: 'Starting', reason: null, tone: 'pending' };
  }
}

/** The words for a driver label (the label itself stays the English key). */
export function driverLabel(label: IDriverStatus['label'], trans: ITrans = plainTrans): string {
  switch (label) {
    case 'Pending':
      return trans.__('Pending');
    case 'Starting':
      return trans.__('Starting');
    case 'Ready':
      return trans.__('Ready');
    case 'Busy':
      return trans.__('Busy');
    case 'Failed':
      return trans.__('Failed');
    case 'Dead':
      return trans.__('Dead');
  }
}

/** One step of the launch progress list. */
export interface ILaunchStep {
  label: string;
  status: 'done' | 'active' | 'todo' | 'failed';
}

/** The steps the panel shows, and the phases each covers. */
export const LAUNCH_STEPS: readonly { label: string; phases: readonly LaunchPhase[] }[] = [
  { label: 'Requested', phases: ['requested'] },
  { label: 'Scheduling', phases: ['scheduling'] },
  { label: 'Pulling image / starting', phases: ['pulling', 'starting'] },
  { label: 'Kernel ready', phases: ['kernel-ready'] },
  { label: 'Spark ready', phases: ['spark-ready'] }
];

/** Index in {@link LAUNCH_STEPS} of a phase; -1 for `null`. */
export function launchStepIndex(phase: LaunchPhase | null): number {
  return phase === null ? -1 : LAUNCH_STEPS.findIndex(s => s.phases.includes(phase));
}

/**
 * The launch steps for a cluster at `phase`. A failed launch marks the step it stopped at as
 * failed; a cluster that reached Spark ready has every step done.
 */
export function launchSteps(phase: LaunchPhase | null, state: ClusterState, trans: ITrans = plainTrans): ILaunchStep[] {
  const at = Math.max(0, launchStepIndex(phase));
  const failed = state === 'failed' || state === 'dead';
  const allDone = phase === 'spark-ready' || (!failed && (state === 'ready' || state === 'busy'));
  // Literal msgids, so string extraction finds them.
  const labels = [trans.__('Requested'), trans.__('Scheduling'), trans.__('Pulling image / starting'), trans.__('Kernel ready'), trans.__('Spark ready')];
  return LAUNCH_STEPS.map((_, i) => {
    const label = labels[i] ?? '';
    if (allDone || i < at) {
      return { label, status: 'done' };
    }
    if (i === at) {
      return { label, status: failed ? 'failed' : 'active' };
    }
    return { label, status: 'todo' };
  });
}

/** `3/4 executors` (`%2/%1`: the plural follows the desired count). */
function executorCount(e: IClusterModel['executors'], trans: ITrans): string {
  return trans._n('%2/%1 executor', '%2/%1 executors', e.desired, e.ready);
}

/** `3/4 executors`, `3/4 executors · 1 pending`. */
export function executorsText(cluster: Pick<IClusterModel, 'executors'>, trans: ITrans = plainTrans): string {
  const e = cluster.executors;
  const base = executorCount(e, trans);
  return e.pending > 0 ? trans.__('%1 · %2 pending', base, e.pending) : base;
}

/** Hover text for executors: why some are pending, if the gateway knows. */
export function executorsTitle(cluster: Pick<IClusterModel, 'executors'>, trans: ITrans = plainTrans): string {
  const e = cluster.executors;
  const lines = [trans.__('%1 ready, %2 pending, %3 desired', e.ready, e.pending, e.desired)];
  if (e.pending > 0 && e.pendingReason) {
    lines.push(trans.__('Pending: %1', e.pendingReason));
  }
  return lines.join('\n');
}

/** What the toolbar shows where the executor count is. */
export interface IExecutorsInline {
  /** `0/2 executors · waiting: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu` (CSS truncates it). */
  text: string;
  /** The same in full, plus what a click does: the accessible name. */
  label: string;
  /** Whether some executors wait (drawn as pending). */
  pending: boolean;
}

/**
 * The executor count with why executors wait inline, not only on hover: a user waiting for GPUs
 * sees the scheduler's reason where they look.
 */
export function executorsInline(cluster: Pick<IClusterModel, 'executors'>, trans: ITrans = plainTrans): IExecutorsInline {
  const e = cluster.executors;
  const pending = e.pending > 0;
  const text = pending && e.pendingReason ? trans.__('%1 · waiting: %2', executorCount(e, trans), e.pendingReason) : executorsText(cluster, trans);
  return { text, label: trans.__('%1. Show the executors', text), pending };
}

/** `45s`, `12m`, `3h 05m`, `2d 4h` since `createdAt`; `—` if the date is unreadable. */
export function formatUptime(createdAt: string, now: number, trans: ITrans = plainTrans): string {
  const start = Date.parse(createdAt);
  if (Number.isNaN(start)) {
    return '—';
  }
  const s = Math.max(0, Math.floor((now - start) / 1000));
  if (s < 60) {
    return trans.__('%1s', s);
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return trans.__('%1m', m);
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return trans.__('%1h %2m', h, String(m % 60).padStart(2, '0'));
  }
  return trans.__('%1d %2h', Math.floor(h / 24), h % 24);
}

/** Fractions (0..1) and text for a job progress bar. */
export interface IJobBar {
  /** Finished tasks / total tasks. */
  done: number;
  /** Running tasks / total tasks (drawn after `done`). */
  running: number;
  label: string;
  title: string;
}

/** Progress bar model for a running job. */
export function jobBar(job: IJobProgress, trans: ITrans = plainTrans): IJobBar {
  const t = job.tasks;
  const frac = (n: number): number => (t.total > 0 ? Math.min(1, Math.max(0, n / t.total)) : 0);
  const done = frac(t.done);
  return {
    done,
    running: Math.min(1 - done, frac(t.running)),
    label: trans.__('Job %1: stages %2/%3, tasks %4/%5', job.id, job.stages.done, job.stages.total, t.done, t.total),
    title: [
      job.name,
      trans.__('Stages %1/%2 done', job.stages.done, job.stages.total),
      trans.__('Tasks %1/%2 done, %3 running', t.done, t.total, t.running)
    ].join('\n')
  };
}

/** The cluster whose kernel is `kernelId`, if any. */
export function clusterForKernel(
  clusters: Iterable<IClusterModel>,
  kernelId: string | null | undefined
): IClusterModel | undefined {
  if (!kernelId) {
    return undefined;
  }
  for (const c of clusters) {
    if (c.kernelId === kernelId) {
      return c;
    }
  }
  return undefined;
}

/**
 * Whether a kernelspec name is a cluster's (`<profile kernelspec>--<cluster id>`),
 * e.g. `pyspark-gpu--a1b2c3` or `pyspark--0f8e…-…` (a UUID).
 */
export function isClusterKernelName(name: string | null | undefined): boolean {
  // Cluster ids may be UUIDs, hyphens included.
  return !!name && /^[A-Za-z0-9._-]*[A-Za-z0-9]--[A-Za-z0-9][A-Za-z0-9-]*$/.test(name);
}

/** `14:02`: a local wall-clock time, as a user reads "idle since". */
export function clockTime(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** `in 45 s`, `in 5 min` (rounded up: the user has at least that long), `now`. */
export function timeLeft(ms: number, trans: ITrans = plainTrans): string {
  if (ms <= 0) {
    return trans.__('now');
  }
  return ms < 60_000 ? trans.__('in %1 s', Math.ceil(ms / 1000)) : trans.__('in %1 min', Math.ceil(ms / 60_000));
}

/** What the notebook widget says about an announced idle cull. */
export interface ICullNotice {
  /** `shutting down in 5 min — idle since 14:02` */
  text: string;
  title: string;
}

/**
 * The announced cull of a running cluster (`cullAt`, `idleSince` on its model), or null when none
 * is due. `clock` formats `idleSince` (default local `HH:MM`).
 */
export function cullNotice(
  cluster: Pick<IClusterModel, 'state' | 'cullAt' | 'idleSince'>,
  now: number,
  clock: (date: Date) => string = clockTime,
  trans: ITrans = plainTrans
): ICullNotice | null {
  const at = cluster.cullAt ? Date.parse(cluster.cullAt) : NaN;
  if (!isActive(cluster.state) || Number.isNaN(at)) {
    return null;
  }
  const since = cluster.idleSince ? new Date(cluster.idleSince) : null;
  const when = timeLeft(at - now, trans);
  if (!since || Number.isNaN(since.getTime())) {
    return {
      text: trans.__('shutting down %1', when),
      title: trans.__('sparkgate shuts idle clusters down to free their resources. Keep it to start the idle time over, or run something.')
    };
  }
  return {
    text: trans.__('shutting down %1 — idle since %2', when, clock(since)),
    title: trans.__(
      'sparkgate shuts idle clusters down to free their resources; this one is idle since %1. Keep it to start the idle time over, or run something.',
      clock(since)
    )
  };
}

/** The reason the widget shows beside the driver chip: why it is pending, or why it died (e.g. culled). */
export function visibleReason(driver: IDriverStatus): string | null {
  return driver.label === 'Pending' || driver.label === 'Dead' || driver.label === 'Failed' ? driver.reason : null;
}

/** What a notebook knows of its kernel, to find its cluster. */
export interface INotebookKernel {
  /** The session's kernel id, if a kernel is attached. */
  id?: string | null;
  /** The session's kernel name, if a kernel is attached. */
  name?: string | null;
  /**
   * The kernel the notebook is about to start (`sessionContext.kernelPreference.name`): a launched
   * notebook names its cluster's kernel before the kernel is up.
   */
  pendingName?: string | null;
}

/**
 * The cluster behind a notebook: by kernel id, by kernel name, or (no kernel yet) by the kernel it
 * is starting, so a notebook whose own cluster is still launching finds it.
 */
export function clusterForNotebook(clusters: Iterable<IClusterModel>, kernel: INotebookKernel): IClusterModel | undefined {
  const list = [...clusters];
  const byName = (name: string | null | undefined): IClusterModel | undefined => (name ? list.find(c => c.kernelName === name) : undefined);
  return clusterForKernel(list, kernel.id) ?? byName(kernel.name) ?? (kernel.id ? undefined : byName(kernel.pendingName));
}

/** What the notebook toolbar item shows. */
export type ToolbarMode = 'cluster' | 'unreachable' | 'starting' | 'shut-down' | 'relaunch' | 'none';

/** What {@link toolbarView} decides from. */
export interface IToolbarFacts {
  /** The notebook's cluster in the store ({@link clusterForNotebook}). */
  cluster: Pick<IClusterModel, 'state'> | undefined;
  /** The kernel name the notebook runs or is starting. */
  kernelName: string | null | undefined;
  /** This notebook showed a cluster for its current kernel, and the store no longer has it. */
  clusterGone: boolean;
  connection: 'connecting' | 'connected' | 'unreachable';
  /** Whether the store has its first cluster list (absence of a cluster is meaningful). */
  hasSnapshot: boolean;
  /** Whether the notebook stores a cluster shape (`metadata.sparkgate`). */
  hasShape: boolean;
  /** Whether every cell is blank: nothing to rerun, so no relaunch offer. */
  emptyNotebook: boolean;
}

/** The toolbar item's mode, and whether it offers to relaunch the notebook's stored shape. */
export interface IToolbarView {
  mode: ToolbarMode;
  relaunch: boolean;
}

/**
 * What the toolbar item shows.
 *
 * A cluster-named kernel (`<kernelspec>--<id>`) without its cluster is either not reported yet
 * (no cluster list yet: "starting") or gone (the list has come and lacks it: "shut down"); the
 * launch puts a new cluster in the store before its notebook opens, so a listed store lacking it
 * means it was shut down. The relaunch offer needs a stored shape, a notebook with something in
 * it, and no live cluster of its own (one still requested or launching counts as live).
 */
export function toolbarView(f: IToolbarFacts): IToolbarView {
  const offer = f.hasShape && !f.emptyNotebook && f.hasSnapshot && (!f.cluster || !isActive(f.cluster.state));
  if (f.cluster) {
    return { mode: 'cluster', relaunch: offer };
  }
  const looksLikeCluster = isClusterKernelName(f.kernelName);
  if (f.connection === 'unreachable' && (looksLikeCluster || f.hasShape)) {
    return { mode: 'unreachable', relaunch: false };
  }
  if (f.clusterGone || (looksLikeCluster && f.hasSnapshot)) {
    return { mode: 'shut-down', relaunch: offer };
  }
  if (looksLikeCluster) {
    return { mode: 'starting', relaunch: false };
  }
  return offer ? { mode: 'relaunch', relaunch: true } : { mode: 'none', relaunch: false };
}

/** A relaunch asked from a notebook: its profile, and the clusters that existed already. */
export interface IRelaunch {
  profile: string;
  known: ReadonlySet<string>;
}

/**
 * The first (store order: newest) cluster started since `relaunch` was asked, of its profile, and
 * still live: launching, or up and about to be attached to the notebook.
 */
export function relaunchedCluster(clusters: Iterable<IClusterModel>, relaunch: IRelaunch): IClusterModel | undefined {
  for (const c of clusters) {
    if (!relaunch.known.has(c.id) && c.profile === relaunch.profile && isActive(c.state)) {
      return c;
    }
  }
  return undefined;
}
