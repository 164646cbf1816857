/**
 * Launch progress as the panel tells it: the steps (with "Executors ready (n/m)" after Spark),
 * the one-line summary read out by screen readers, and the state chip, which stays not-green
 * until Spark and its executors are up. Pure: no DOM, no clock.
 */

import type { IClusterModel, LaunchPhase } from '../api';
import type { Tone } from '../status';
import type { ITrans } from '../trans';

/** One step of a launch. */
export interface IPanelStep {
  /** Stable key, for tests and CSS. */
  key: 'requested' | 'scheduling' | 'starting' | 'kernel' | 'spark' | 'executors';
  label: string;
  status: 'done' | 'active' | 'todo' | 'failed';
  /** Text under the step, e.g. why executors are pending (the scheduler's words). */
  detail: string | null;
}

/** How far the executors are: `ready` of the `needed` that make the cluster usable. */
export interface IExecutorGoal {
  ready: number;
  needed: number;
  pending: number;
  /** Dynamic allocation: `needed` is the minimum. */
  dynamic: boolean;
  reason: string | null;
}

/** The chip of a cluster in the panel. */
export interface IPanelChip {
  label: string;
  tone: Tone;
}

/** Whether the cluster runs Spark (profiles without Spark have no Spark UI). */
export function hasSpark(c: Pick<IClusterModel, 'sparkUi'>): boolean {
  return c.sparkUi !== null;
}

/**
 * The executors a cluster waits for: the gateway's `desired` (a fixed count), or with dynamic
 * allocation its minimum (Spark may ask for more later; the cluster is usable at the minimum).
 *
 * #### Notes
 * The local backend runs executors as threads of the driver and reports `desired: 0`, so a local
 * cluster waits for none.
 */
export function executorGoal(c: Pick<IClusterModel, 'executors' | 'sizing'>): IExecutorGoal {
  const e = c.executors;
  const dynamic = c.sizing.executors.count === undefined;
  const needed = dynamic ? Math.min(c.sizing.executors.min ?? 0, e.desired) : e.desired;
  return { ready: e.ready, needed, pending: e.pending, dynamic, reason: e.pending > 0 ? e.pendingReason : null };
}

/** Whether the cluster has the executors it waits for. */
export function executorsReady(c: Pick<IClusterModel, 'executors' | 'sizing'>): boolean {
  const g = executorGoal(c);
  return g.ready >= g.needed;
}

/** Whether the cluster is fully up: driver running, Spark up, executors there. */
export function isFullyUp(c: IClusterModel): boolean {
  if (c.state !== 'ready' && c.state !== 'busy') {
    return false;
  }
  return !hasSpark(c) || (c.phase === 'spark-ready' && executorsReady(c));
}

/**
 * The launch steps of a cluster. The step the launch is at is `active` (or `failed` if the
 * cluster failed or died there); executors are a step of their own, done when ready ≥ needed.
 */
export function launchSteps(c: IClusterModel, trans: ITrans): IPanelStep[] {
  const spark = hasSpark(c);
  const goal = executorGoal(c);
  const specs: { key: IPanelStep['key']; label: string; phases: readonly LaunchPhase[] }[] = [
    { key: 'requested', label: trans.__('Requested'), phases: ['requested'] },
    { key: 'scheduling', label: trans.__('Scheduling'), phases: ['scheduling'] },
    { key: 'starting', label: trans.__('Pulling image / starting'), phases: ['pulling', 'starting'] },
    // Without Spark the gateway reports `spark-ready` right after the kernel answers.
    { key: 'kernel', label: trans.__('Kernel ready'), phases: spark ? ['kernel-ready'] : ['kernel-ready', 'spark-ready'] }
  ];
  if (spark) {
    specs.push({ key: 'spark', label: trans.__('Spark ready'), phases: ['spark-ready'] });
  }
  const up = c.state === 'ready' || c.state === 'busy';
  // How many steps are done: those before the phase's step, and that step itself once the
  // driver answers (a phase names what was reached, e.g. `kernel-ready`).
  const at = c.phase === null ? 0 : Math.max(0, specs.findIndex(s => s.phases.includes(c.phase as LaunchPhase)));
  const reached = c.phase === 'kernel-ready' || c.phase === 'spark-ready';
  let done = reached ? at + 1 : at;
  if (!spark && up) {
    done = specs.length;
  }
  const steps: IPanelStep[] = specs.map((s, i) => ({ key: s.key, label: s.label, status: i < done ? 'done' : 'todo', detail: null }));
  if (spark && (goal.needed > 0 || goal.ready + goal.pending > 0)) {
    const sparkUp = c.phase === 'spark-ready';
    const label = goal.dynamic
      ? trans.__('Executors ready (%1/%2 minimum)', goal.ready, goal.needed)
      : trans.__('Executors ready (%1/%2)', goal.ready, goal.needed);
    const detail = goal.reason
      ? trans._n('%1 pending: %2', '%1 pending: %2', goal.pending, goal.reason)
      : goal.pending > 0
        ? trans._n('%1 pending', '%1 pending', goal.pending)
        : null;
    steps.push({ key: 'executors', label, status: sparkUp && goal.ready >= goal.needed ? 'done' : 'todo', detail });
  }
  const next = steps.findIndex(s => s.status !== 'done');
  if (next >= 0) {
    const failed = c.state === 'failed' || c.state === 'dead';
    steps[next]!.status = failed ? 'failed' : 'active';
  }
  return steps;
}

/**
 * One line for the launch's live region: where it is, or that it is up, or why it failed.
 * Changes only when the step, its count or the outcome changes, so a screen reader hears each
 * once.
 */
export function launchSummary(c: IClusterModel, trans: ITrans): string {
  const steps = launchSteps(c, trans);
  const i = steps.findIndex(s => s.status !== 'done');
  const name = c.displayName;
  if (c.state === 'failed' || c.state === 'dead') {
    return trans.__('Launch of %1 failed: %2', name, failureReason(c, trans));
  }
  if (i < 0) {
    return trans.__('%1 is ready.', name);
  }
  const s = steps[i]!;
  return trans.__('Launch of %1: step %2 of %3, %4', name, i + 1, steps.length, s.label);
}

/** Why a cluster failed or died, in the gateway's words. */
export function failureReason(c: Pick<IClusterModel, 'reason' | 'driver'>, trans: ITrans): string {
  return c.reason ?? c.driver.reason ?? trans.__('no reason given');
}

/**
 * The chip: green "Ready" only when Spark and its executors are up; meanwhile "Starting Spark"
 * or "Waiting for executors".
 */
export function panelChip(c: IClusterModel, trans: ITrans): IPanelChip {
  switch (c.state) {
    case 'requested':
      return { label: trans.__('Requested'), tone: 'pending' };
    case 'launching':
      return { label: trans.__('Launching'), tone: 'pending' };
    case 'failed':
      return { label: trans.__('Failed'), tone: 'error' };
    case 'dead':
      return { label: trans.__('Dead'), tone: 'off' };
    case 'ready':
    case 'busy':
      if (hasSpark(c) && c.phase !== 'spark-ready') {
        return { label: trans.__('Starting Spark'), tone: 'pending' };
      }
      if (hasSpark(c) && !executorsReady(c)) {
        return { label: trans.__('Waiting for executors'), tone: 'pending' };
      }
      return c.state === 'busy' ? { label: trans.__('Busy'), tone: 'busy' } : { label: trans.__('Ready'), tone: 'ok' };
  }
}
