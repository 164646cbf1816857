/**
 * One notebook cell's Spark work, from what Spark's REST API says (pure: no I/O, no clock). The
 * kernel tags every job a cell runs with {@link cellTag} of the cell's `execute_request` msg_id
 * (images/kernel/sparkgate_launcher.py), so a job belongs to a cell by its tags alone: jobs of an
 * earlier cell, another notebook's kernel or a background thread never show under this one.
 *
 * Bounded: the newest {@link MAX_JOBS} jobs of the cell, {@link MAX_STAGES} stages over them.
 */
import { createHash } from 'node:crypto';
import type { CellJob, CellProgress, CellStage, TaskCounts } from '@sparkgate/contract';
import type { SparkJob, SparkStage } from './restClient.js';

/** Jobs shown per cell (the newest). */
export const MAX_JOBS = 20;
/** Stages shown per cell, over its shown jobs (the newest jobs' first). */
export const MAX_STAGES = 50;
/** Asks of one stage that Spark did not answer before the monitor stops asking. */
const MAX_STAGE_ASKS = 3;

const TAG_PREFIX = 'sparkgate-cell-';
/** msg_ids used as they are; any other is hashed (a Spark tag may not contain ','). */
const PLAIN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The Spark job tag of the cell whose `execute_request` has `msgId`; the launcher's `cell_tag`. */
export function cellTag(msgId: string): string {
  return PLAIN_ID.test(msgId) ? TAG_PREFIX + msgId : `${TAG_PREFIX}h-${createHash('sha256').update(msgId, 'utf8').digest('hex').slice(0, 32)}`;
}

const FINAL_STAGE = new Set<CellStage['status']>(['complete', 'failed', 'skipped']);

/** What REST said of one cell so far; `progress()` turns it into a `CellProgress`. */
export class CellWork {
  readonly tag: string;
  /** Whether Spark was asked about this cell at all (a cell never asked gets no final summary). */
  polled = false;
  /** Whether a progress of it went out: a cell without Spark work shows nothing, not even a summary. */
  shown = false;

  constructor(
    readonly clusterId: string,
    readonly cell: string
  ) {
    this.tag = cellTag(cell);
  }

  /** Takes in jobs from any answer (running ones, all, one): only this cell's are kept. */
  addJobs(jobs: readonly SparkJob[]): void {
    for (const job of jobs) {
      if (job.jobTags?.includes(this.tag)) {
        this._jobs.set(job.jobId, job);
      }
    }
    if (this._jobs.size > MAX_JOBS) {
      const ids = [...this._jobs.keys()].sort((a, b) => b - a);
      for (const id of ids.slice(MAX_JOBS)) {
        this._jobs.delete(id);
      }
    }
  }

  /** Takes in stage attempts (a listing or one stage's): the newest attempt of each shown stage. */
  addStages(stages: readonly SparkStage[]): void {
    const shown = new Set(this._shownStageIds());
    for (const stage of stages) {
      const known = this._stages.get(stage.stageId);
      if (shown.has(stage.stageId) && (known === undefined || stage.attemptId >= known.attemptId)) {
        this._stages.set(stage.stageId, stage);
      }
    }
    for (const id of this._stages.keys()) {
      if (!shown.has(id)) {
        this._stages.delete(id);
      }
    }
  }

  /** Notes that Spark had no answer for a stage (not in its store yet, or gone). */
  stageUnanswered(stageId: number): void {
    this._unanswered.set(stageId, (this._unanswered.get(stageId) ?? 0) + 1);
  }

  /** Whether Spark last said one of this cell's jobs is running. */
  get running(): boolean {
    return this.runningJobIds().length > 0;
  }

  /** Tasks Spark last said this cell's running jobs run. */
  tasksRunning(): number {
    return [...this._jobs.values()].filter(j => j.status === 'RUNNING').reduce((sum, j) => sum + count(j.numActiveTasks), 0);
  }

  runningJobIds(): number[] {
    return [...this._jobs.values()].filter(j => j.status === 'RUNNING').map(j => j.jobId);
  }

  /** Jobs last seen running that `running` (Spark's running jobs now) no longer lists: ended since. */
  endedJobIds(running: readonly SparkJob[]): number[] {
    const now = new Set(running.map(j => j.jobId));
    return this.runningJobIds().filter(id => !now.has(id));
  }

  /**
   * Shown stages whose final state is still to be asked one by one: not final yet and not in
   * `listed` (the ids of Spark's active and pending stages just asked; those need no ask).
   */
  stagesToAsk(listed: ReadonlySet<number>): number[] {
    return this._shownStageIds().filter(id => {
      const status = this._stages.get(id)?.status;
      return !listed.has(id) && !(status !== undefined && FINAL_STAGE.has(stageStatus(status))) && (this._unanswered.get(id) ?? 0) < MAX_STAGE_ASKS;
    });
  }

  /** The cell's jobs, oldest first, with their stages; `running` false for the final summary. */
  progress(running: boolean, waiting: string | null): CellProgress {
    const budget = this._stageBudget();
    const jobs = [...this._jobs.values()].sort((a, b) => a.jobId - b.jobId).map(job => this._job(job, budget.get(job.jobId) ?? []));
    return { clusterId: this.clusterId, cell: this.cell, jobs, running, waiting };
  }

  private _job(job: SparkJob, stageIds: readonly number[]): CellJob {
    const status = jobStatus(job.status);
    const total = count(job.numTasks);
    return {
      id: job.jobId,
      name: typeof job.name === 'string' ? job.name : '',
      status,
      submittedAt: isoTime(job.submissionTime),
      completedAt: isoTime(job.completionTime),
      stages: stageIds.map(id => this._stage(id, status)),
      tasks: {
        done: Math.min(total, count(job.numCompletedIndices ?? job.numCompletedTasks) + count(job.numSkippedTasks)),
        running: status === 'running' ? count(job.numActiveTasks) : 0,
        failed: count(job.numFailedTasks),
        total
      },
      uiPath: `ui/${this.clusterId}/jobs/job/?id=${job.jobId}`
    };
  }

  private _stage(id: number, jobStatusNow: CellJob['status']): CellStage {
    const stage = this._stages.get(id);
    let status = stage ? stageStatus(stage.status) : 'pending';
    // A job that ended without running a stage skipped it (its data was there already).
    if (status === 'pending' && jobStatusNow !== 'running') {
      status = 'skipped';
    }
    const total = count(stage?.numTasks);
    const tasks: TaskCounts =
      status === 'skipped'
        ? { done: total, running: 0, failed: 0, total }
        : {
            done: Math.min(total, count(stage?.numCompletedIndices ?? stage?.numCompleteTasks)),
            running: status === 'active' ? count(stage?.numActiveTasks) : 0,
            failed: count(stage?.numFailedTasks),
            total
          };
    return { id, name: stage?.name ?? '', status, tasks };
  }

  /** Which stages each shown job shows: its stage ids in order, the newest jobs first, MAX_STAGES in all. */
  private _stageBudget(): Map<number, number[]> {
    const budget = new Map<number, number[]>();
    let left = MAX_STAGES;
    for (const job of [...this._jobs.values()].sort((a, b) => b.jobId - a.jobId)) {
      const ids = [...job.stageIds].sort((a, b) => a - b).slice(0, Math.max(0, left));
      left -= ids.length;
      budget.set(job.jobId, ids);
    }
    return budget;
  }

  private _shownStageIds(): number[] {
    return [...this._stageBudget().values()].flat();
  }

  private readonly _jobs = new Map<number, SparkJob>();
  private readonly _stages = new Map<number, SparkStage>();
  private readonly _unanswered = new Map<number, number>();
}

function jobStatus(status: string): CellJob['status'] {
  switch (status) {
    case 'RUNNING':
      return 'running';
    case 'SUCCEEDED':
      return 'succeeded';
    case 'FAILED':
      return 'failed';
    default:
      return 'unknown';
  }
}

function stageStatus(status: string): CellStage['status'] {
  switch (status) {
    case 'ACTIVE':
      return 'active';
    case 'COMPLETE':
      return 'complete';
    case 'FAILED':
      return 'failed';
    case 'SKIPPED':
      return 'skipped';
    default:
      return 'pending';
  }
}

/** Spark's `2026-12-03T00:03:40.045GMT` as ISO 8601 (`…Z`); null when absent or odd. */
export function isoTime(time: string | undefined): string | null {
  if (typeof time !== 'string') {
    return null;
  }
  const ms = Date.parse(time.replace(/GMT$/, 'Z'));
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
