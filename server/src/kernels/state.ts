/**
 * A kernel's state as one value and its one transition function: `GatewayKernel.update` applies
 * patches through `applyPatch`, so every rule about what may follow what lives here.
 */
import type { CellProgress } from '@sparkgate/contract';
import type { LaunchedKernel, LaunchPhase } from '../backends/types.js';
import type { ExecutionState } from '../protocol/messages.js';
import type { SparkExecutorInfo } from '../spark/executorInfo.js';
import type { JobProgress } from '../spark/restClient.js';

/** Everything about a kernel that changes over its life and that a model shows. */
export interface KernelState {
  readonly state: ExecutionState;
  /** Why the kernel is in `state` (a dead kernel's cause). */
  readonly reason: string | null;
  /** Where the launch is; null before the first launch. */
  readonly phase: LaunchPhase | null;
  readonly phaseDetail: string | null;
  /** The running process or pod; null while (re)starting, after death or shutdown. */
  readonly launched: LaunchedKernel | null;
  /** The Spark job running now (only followed while busy). */
  readonly job: JobProgress | null;
  /** Spark's executors as the Spark monitor last saw them; null before it asked. */
  readonly sparkExecutors: readonly SparkExecutorInfo[] | null;
  /** The `msg_id` of the `execute_request` running now (from its busy to its idle); null when none. */
  readonly cell: string | null;
  /** Spark work of the running cell, or the final summary of the last one; null before any. */
  readonly cellProgress: CellProgress | null;
}

/** A new kernel: starting, launch requested, nothing running. */
export const INITIAL_STATE: KernelState = Object.freeze({
  state: 'starting',
  reason: null,
  phase: 'requested',
  phaseDetail: null,
  launched: null,
  job: null,
  sparkExecutors: null,
  cell: null,
  cellProgress: null
});

/** One change of a kernel's state; absent fields stay as they are. */
export interface KernelPatch {
  /** The new execution state; ignored after `dead` unless it is a (re)start. */
  state?: ExecutionState;
  /** Why, for `state` (read only with it: a reason belongs to the state it explains; default none). */
  reason?: string | null;
  /** Launch progress (scheduling, pulling, starting, kernel-ready, spark-ready). */
  phase?: LaunchPhase;
  /** Detail of `phase` (read only with it; default none). */
  phaseDetail?: string | null;
  /** The running process or pod, or null once it is gone (or let go). */
  launched?: LaunchedKernel | null;
  /** The Spark job running now, or null. */
  job?: JobProgress | null;
  /** Spark's executors, or null. */
  sparkExecutors?: readonly SparkExecutorInfo[] | null;
  /** The cell that started (its `msg_id`) or null once it ended; always null after a (re)start or death. */
  cell?: string | null;
  /** The Spark monitor's latest `CellProgress`. */
  cellProgress?: CellProgress | null;
}

/** Pure: the state after `patch`, or null when the patch changes nothing (a no-op emits no change). */
export function applyPatch(current: KernelState, patch: KernelPatch): KernelState | null {
  const next = { ...current };
  let changed = false;
  if (patch.state !== undefined) {
    const reason = patch.reason ?? null;
    const same = patch.state === current.state && reason === current.reason;
    // A dead kernel stays dead (late iopub, late phases) until the user restarts it.
    const afterDeath = current.state === 'dead' && patch.state !== 'restarting' && patch.state !== 'starting';
    if (!same && !afterDeath) {
      next.state = patch.state;
      next.reason = reason;
      changed = true;
    }
  }
  if (patch.phase !== undefined) {
    const detail = patch.phaseDetail ?? null;
    if (patch.phase !== current.phase || detail !== current.phaseDetail) {
      next.phase = patch.phase;
      next.phaseDetail = detail;
      changed = true;
    }
  }
  if (patch.launched !== undefined && patch.launched !== current.launched) {
    next.launched = patch.launched;
    changed = true;
  }
  if (patch.sparkExecutors !== undefined && JSON.stringify(patch.sparkExecutors) !== JSON.stringify(current.sparkExecutors)) {
    next.sparkExecutors = patch.sparkExecutors;
    changed = true;
  }
  if (patch.job !== undefined && JSON.stringify(patch.job) !== JSON.stringify(current.job)) {
    next.job = patch.job;
    changed = true;
  }
  // A cell runs in one kernel process: a death or (re)start ends it (its idle never comes).
  const ended = next.state === 'dead' || next.state === 'restarting' || next.state === 'starting';
  const cell = ended ? null : (patch.cell === undefined ? current.cell : patch.cell);
  if (cell !== current.cell) {
    next.cell = cell;
    changed = true;
  }
  if (patch.cellProgress !== undefined && JSON.stringify(patch.cellProgress) !== JSON.stringify(current.cellProgress)) {
    next.cellProgress = patch.cellProgress;
    changed = true;
  }
  return changed ? next : null;
}
