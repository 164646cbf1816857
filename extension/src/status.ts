/**
 * Pure presentation logic for cluster status: labels, launch steps, executor and job summaries,
 * uptime, the idle-cull countdown, and matching a notebook's kernel to its cluster. A little over
 * 250 lines of small pure functions, all read by the same two views (panel and notebook widget).
 */

import type { ClusterState, IClusterModel, IJobProgress, LaunchPhase } from './api';

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
export function stateLabel(state: ClusterState): string {
  switch (state) {
    case 'requested':
      return 'Requested';
    case 'launching':
      return 'Launching';
    case 'ready':
      return 'Ready';
    case 'busy':
      return 'Busy';
    case 'failed':
      return 'Failed';
    case 'dead':
      return 'Dead';
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
export function launchSteps(phase: LaunchPhase | null, state: ClusterState): ILaunchStep[] {
  const at = Math.max(0, launchStepIndex(phase));
  const failed = state === 'failed' || state === 'dead';
  const allDone = phase === 'spark-ready' || (!failed && (state === 'ready' || state === 'busy'));
  return LAUNCH_STEPS.map((s, i) => {
    if (allDone || i < at) {
      return { label: s.label, status: 'done' };
    }
    if (i === at) {
      return { label: s.label, status: failed ? 'failed' : 'active' };
    }
    return { label: s.label, status: 'todo' };
  });
}

/** `3/4 executors`, `3/4 executors · 1 pending`. */
export function executorsText(cluster: Pick<IClusterModel, 'executors'>): string {
  const e = cluster.executors;
  const base = `${e.ready}/${e.desired} ${e.desired === 1 ? 'executor' : 'executors'}`;
  return e.pending > 0 ? `${base} · ${e.pending} pending` : base;
}

/** Hover text for executors: why some are pending, if the gateway knows. */
export function executorsTitle(cluster: Pick<IClusterModel, 'executors'>): string {
  const e = cluster.executors;
  const lines = [`${e.ready} ready, ${e.pending} pending, ${e.desired} desired`];
  if (e.pending > 0 && e.pendingReason) {
    lines.push(`Pending: ${e.pendingReason}`);
  }
  return lines.join('\n');
}

/** `45s`, `12m`, `3h 05m`, `2d 4h` since `createdAt`; `—` if the date is unreadable. */
export function formatUptime(createdAt: string, now: number): string {
  const start = Date.parse(createdAt);
  if (Number.isNaN(start)) {
    return '—';
  }
  const s = Math.max(0, Math.floor((now - start) / 1000));
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m`;
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  }
  return `${Math.floor(h / 24)}d ${h % 24}h`;
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
export function jobBar(job: IJobProgress): IJobBar {
  const t = job.tasks;
  const frac = (n: number): number => (t.total > 0 ? Math.min(1, Math.max(0, n / t.total)) : 0);
  const done = frac(t.done);
  return {
    done,
    running: Math.min(1 - done, frac(t.running)),
    label: `Job ${job.id}: stages ${job.stages.done}/${job.stages.total}, tasks ${t.done}/${t.total}`,
    title: `${job.name}\nStages ${job.stages.done}/${job.stages.total} done\nTasks ${t.done}/${t.total} done, ${t.running} running`
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

/** `45 s`, `5 min` (rounded up: the user has at least that long), `now`. */
export function timeLeft(ms: number): string {
  if (ms <= 0) {
    return 'now';
  }
  return ms < 60_000 ? `in ${Math.ceil(ms / 1000)} s` : `in ${Math.ceil(ms / 60_000)} min`;
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
  clock: (date: Date) => string = clockTime
): ICullNotice | null {
  const at = cluster.cullAt ? Date.parse(cluster.cullAt) : NaN;
  if (!isActive(cluster.state) || Number.isNaN(at)) {
    return null;
  }
  const since = cluster.idleSince ? new Date(cluster.idleSince) : null;
  const idle = since && !Number.isNaN(since.getTime()) ? ` — idle since ${clock(since)}` : '';
  return {
    text: `shutting down ${timeLeft(at - now)}${idle}`,
    title: `sparkgate shuts idle clusters down to free their resources${idle ? `; this one is idle since ${clock(since as Date)}` : ''}. Keep it to start the idle time over, or run something.`
  };
}

/** The reason the widget shows beside the driver chip: why it is pending, or why it died (e.g. culled). */
export function visibleReason(driver: IDriverStatus): string | null {
  return driver.label === 'Pending' || driver.label === 'Dead' || driver.label === 'Failed' ? driver.reason : null;
}
