/**
 * Spark progress of kernels that need it: until the SparkContext is up (launch phase
 * `spark-ready`), and while a kernel is busy (job progress). Idle kernels cost nothing: Spark has
 * no push API for this, so the monitor asks the driver's UI once a second, only for those kernels.
 * What it learns goes into the kernel through the kernel's own mutator, so status streams (or
 * nobody) just hear the kernel change.
 *
 * Spark's REST API (`/api/v1`, Jersey) initializes on its first request: ~2 s of driver CPU. Asked
 * during every start, that made a kernel's first answer ~1.9 s slower through the gateway than
 * without it (issue 15, item 5). So `spark-ready` comes from the UI's root (Jetty alone), and a
 * busy kernel's job progress is asked only once it has been busy `progressAfterMs` with Spark up —
 * `startCellAfterMs` for a cell sent before Spark was up: it waits for the SparkSession and runs the
 * JVM's slowest (first) job, which is the kernel's first answer.
 *
 * Per cell (issue 16): the kernel tags each cell's jobs with the cell's msg_id (cellProgress.ts),
 * so while a cell runs its jobs, stages and tasks become the kernel's `cellProgress` (status
 * streams send it as `cell:progress`), and once the cell ends one last ask gives its final summary
 * (`running: false`). A tick asks the running jobs, the active and pending stages, and, one by
 * one, the final state of what ended since; the full job list only at a cell's first and last
 * ask (jobs that ran between two ticks). Spark's executors are asked every few busy ticks, a few
 * seconds after `spark-ready` and after the backend's ready executor count changed.
 */
import type { CellProgress } from '@sparkgate/contract';
import type { Logger } from '../log.js';
import { CellWork, MAX_STAGES } from './cellProgress.js';
import type { SparkExecutorInfo } from './executorInfo.js';
import { sparkRestClient, toProgress, type JobProgress, type SparkJob, type SparkRestClient } from './restClient.js';

/** What the monitor may change of a kernel. */
export interface MonitorPatch {
  phase?: 'spark-ready';
  job?: JobProgress | null;
  cellProgress?: CellProgress;
  sparkExecutors?: readonly SparkExecutorInfo[];
}

/** What the monitor reads of the backend's view of a cluster (backends' `ClusterStatus`). */
export interface MonitoredStatus {
  readonly executors: { readonly ready: number; readonly pendingReason: string | null };
}

/** What the monitor needs of a kernel (kernels/types.ts `Kernel` plus its mutator). */
export interface MonitoredKernel {
  readonly id: string;
  readonly profile: { readonly spark: boolean };
  readonly launched: { readonly sparkUi: string | null; status?(): MonitoredStatus | null } | null;
  readonly state: string;
  readonly phase: string | null;
  /** The msg_id of the `execute_request` running now; null or absent when none. */
  readonly cell?: string | null;
  update(patch: MonitorPatch): void;
}

/** Calls `tick` every `intervalMs` until the returned function is called. */
export type Repeat = (tick: () => void, intervalMs: number) => () => void;

/** The default {@link Repeat}: an interval that does not keep the process alive. */
const repeat: Repeat = (tick, intervalMs) => {
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
};

const sleep = (ms: number): Promise<void> =>
  new Promise(resolve => {
    setTimeout(resolve, ms).unref();
  });

/** Asks again, `executorsAfterMs` apart, while Spark has registered fewer executors than run (pods). */
const EXECUTORS_RETRIES = 10;

/** Busy ticks between two asks for Spark's executors. */
const EXECUTORS_EVERY = 5;
/** Stages asked one by one per tick (the final ask takes all, at most MAX_STAGES). */
const STAGE_ASKS_PER_TICK = 10;
/**
 * Spark's status store hears of a job's end through its listener bus, possibly after the cell got
 * the job's result: the final ask is repeated this often while it still says a job runs.
 */
const FINAL_RETRIES = 3;

export interface SparkMonitorOptions {
  logger: Logger;
  /** How often a followed kernel is asked; default 1000 ms. */
  intervalMs?: number;
  /** A REST client of the Spark UI at host:port; default `sparkRestClient`. */
  client?: (hostPort: string) => SparkRestClient;
  /** The timer; tests drive ticks themselves. */
  repeat?: Repeat;
  /** How long a kernel is busy with Spark up before its job progress is asked; default 1000 ms. */
  progressAfterMs?: number;
  /**
   * The same for a cell that was running before Spark was up; default 3 s: a short first cell (a
   * count: ~3 s after Spark is up) is answered before the REST API is woken, while a long first job
   * still shows its progress a few seconds in (at 10 s, a 16 s job in the browser test showed none).
   */
  startCellAfterMs?: number;
  /**
   * How long after `spark-ready` (or a change of the backend's ready executors) an idle kernel's
   * executors are asked; default 3000 ms: not in the way of a first cell sent at once (the REST
   * API's first request costs the driver ~2 s of CPU), and executors have registered with Spark.
   */
  executorsAfterMs?: number;
  /** Pause between the final asks of a cell (see FINAL_RETRIES); default 300 ms. */
  finalRetryMs?: number;
  /** Milliseconds clock; default `Date.now`. */
  now?: () => number;
  /** Waits `ms` (the final asks' pause); default an unref'd timer. */
  sleep?: (ms: number) => Promise<void>;
}

/** Follows the kernels that need it; the owner calls `update` on every kernel change. */
export class SparkMonitor {
  constructor(options: SparkMonitorOptions) {
    this._o = options;
  }

  /** Whether the kernel is followed now. */
  follows(kernelId: string): boolean {
    return this._stops.has(kernelId);
  }

  /** Re-evaluates whether `kernel` needs following; call on every kernel change. */
  update(kernel: MonitoredKernel): void {
    const cell = kernel.cell ?? null;
    const work = this._cells.get(kernel.id);
    if (work && work.cell !== cell) {
      this._cells.delete(kernel.id);
      void this._finish(kernel, work);
    }
    if (cell !== null && kernel.profile.spark && !this._cells.has(kernel.id)) {
      this._cells.set(kernel.id, new CellWork(kernel.id, cell));
    }
    this._noteExecutorCount(kernel);
    // Busy with a cell even when a control request's idle made the kernel look idle mid-cell.
    const busy = kernel.state === 'busy' || cell !== null;
    const wants =
      kernel.profile.spark &&
      kernel.launched?.sparkUi != null &&
      (busy || (kernel.state === 'idle' && kernel.phase === 'kernel-ready') || (kernel.phase === 'spark-ready' && this._executorsDue.has(kernel.id)));
    if (wants && busy && kernel.phase === 'spark-ready') {
      if (!this._busySince.has(kernel.id)) {
        this._busySince.set(kernel.id, this._now());
      }
    } else {
      this._busySince.delete(kernel.id);
    }
    if (wants && busy && kernel.phase === 'kernel-ready') {
      this._startCell.add(kernel.id);
    } else if (!busy) {
      this._startCell.delete(kernel.id);
    }
    if (wants && !this._stops.has(kernel.id)) {
      this._stops.set(kernel.id, (this._o.repeat ?? repeat)(() => void this._tick(kernel), this._o.intervalMs ?? 1000));
      void this._tick(kernel);
    } else if (!wants) {
      this._stop(kernel.id);
      kernel.update({ job: null });
    }
  }

  /** The kernel is gone: stop following it. */
  remove(kernelId: string): void {
    this._stop(kernelId);
    this._cells.delete(kernelId);
    this._finishing.delete(kernelId);
    this._executorsDue.delete(kernelId);
    this._executorRetries.delete(kernelId);
    this._readyExecutors.delete(kernelId);
  }

  dispose(): void {
    for (const id of new Set([...this._stops.keys(), ...this._cells.keys(), ...this._finishing.keys(), ...this._readyExecutors.keys()])) {
      this.remove(id);
    }
  }

  private async _tick(kernel: MonitoredKernel): Promise<void> {
    const hostPort = kernel.launched?.sparkUi;
    if (!hostPort || this._inFlight.has(kernel.id) || !this._stops.has(kernel.id)) {
      return;
    }
    this._inFlight.add(kernel.id);
    try {
      const client = (this._o.client ?? sparkRestClient)(hostPort);
      if (kernel.phase === 'kernel-ready') {
        const up = client.uiUp ? await client.uiUp() : (await client.applicationId()) !== null;
        if (!up) {
          return;
        }
        // Before the patch: the patch may end the following, which a due ask keeps on.
        if (client.executors) {
          this._executorsDue.set(kernel.id, this._now() + (this._o.executorsAfterMs ?? 3000));
        }
        kernel.update({ phase: 'spark-ready' });
      }
      if (kernel.state !== 'busy' && (kernel.cell ?? null) === null) {
        await this._idleTick(kernel, client);
        return;
      }
      const since = this._busySince.get(kernel.id);
      const after = this._startCell.has(kernel.id) ? (this._o.startCellAfterMs ?? 3000) : (this._o.progressAfterMs ?? 1000);
      if (since === undefined || this._now() - since < after) {
        return;
      }
      await this._busyTick(kernel, client);
      this.update(kernel);
    } catch (error) {
      this._o.logger.debug('spark status unavailable', { kernel: kernel.id, error });
    } finally {
      this._inFlight.delete(kernel.id);
    }
  }

  /** An idle kernel is followed only for a due ask of its executors. */
  private async _idleTick(kernel: MonitoredKernel, client: SparkRestClient): Promise<void> {
    const due = this._executorsDue.get(kernel.id);
    if (due !== undefined && this._now() >= due) {
      this._executorsDue.delete(kernel.id);
      const app = await client.applicationId();
      if (app !== null) {
        await this._askExecutors(kernel, client, app);
      }
    }
    this.update(kernel);
  }

  private async _busyTick(kernel: MonitoredKernel, client: SparkRestClient): Promise<void> {
    const app = await client.applicationId();
    if (app === null) {
      if (this._stops.has(kernel.id)) {
        kernel.update({ job: null });
      }
      return;
    }
    const work = this._cells.get(kernel.id);
    let job: JobProgress | null;
    let progress: CellProgress | undefined;
    if (client.jobs) {
      // A cell's first ask takes every job: the cell may have run some before it.
      const first = work !== undefined && !work.polled;
      if (work) {
        work.polled = true;
      }
      const jobs = (await client.jobs(app, first ? undefined : 'running')) ?? [];
      const running = jobs.filter(j => j.status === 'RUNNING');
      job = toProgress(running);
      if (work) {
        await this._learn(client, app, work, jobs, running, STAGE_ASKS_PER_TICK);
        const now = work.progress(true, this._waiting(kernel, work));
        progress = work.shown || now.jobs.length > 0 || now.waiting !== null ? now : undefined;
      }
    } else {
      job = await client.runningJob(app);
    }
    const ticks = (this._restTicks.get(kernel.id) ?? 0) + 1;
    this._restTicks.set(kernel.id, ticks);
    const due = this._executorsDue.get(kernel.id);
    if (client.executors && (ticks % EXECUTORS_EVERY === 1 || (due !== undefined && this._now() >= due))) {
      this._executorsDue.delete(kernel.id);
      await this._askExecutors(kernel, client, app);
    }
    // Only followed kernels get progress: one that went idle meanwhile has had its job cleared,
    // and a cell that ended meanwhile gets its final summary from `_finish`, not this.
    if (this._stops.has(kernel.id)) {
      const shows = progress !== undefined && work !== undefined && this._cells.get(kernel.id) === work;
      if (shows) {
        work.shown = true;
      }
      kernel.update({ job, ...(shows ? { cellProgress: progress } : {}) });
    }
  }

  /** Takes in one answer about jobs; asks what ended since, the stages, and stages' final states. */
  private async _learn(client: SparkRestClient, app: string, work: CellWork, jobs: readonly SparkJob[], running: readonly SparkJob[], stageAsks: number): Promise<void> {
    const ended = work.endedJobIds(running);
    work.addJobs(jobs);
    for (const id of ended) {
      const job = await client.job?.(app, id);
      if (job) {
        work.addJobs([job]);
      }
    }
    const listed = new Set<number>();
    if (work.running && client.stages) {
      for (const status of ['active', 'pending'] as const) {
        const stages = await client.stages(app, status);
        if (stages) {
          work.addStages(stages);
          stages.forEach(s => listed.add(s.stageId));
        }
      }
    }
    for (const id of work.stagesToAsk(listed).slice(0, stageAsks)) {
      const attempts = await client.stage?.(app, id);
      if (attempts && attempts.length > 0) {
        work.addStages(attempts);
      } else {
        work.stageUnanswered(id);
      }
    }
  }

  /** The cell ended (or the kernel went): one last ask, then the final summary. */
  private async _finish(kernel: MonitoredKernel, work: CellWork): Promise<void> {
    if (!work.polled) {
      return; // never asked: nothing was shown, nothing to close
    }
    const finishing = this._finishing.get(kernel.id) ?? new Set<CellWork>();
    finishing.add(work);
    this._finishing.set(kernel.id, finishing);
    try {
      const hostPort = kernel.launched?.sparkUi;
      const client = hostPort ? (this._o.client ?? sparkRestClient)(hostPort) : null;
      const app = client?.jobs ? await client.applicationId() : null;
      for (let attempt = 0; client?.jobs && app !== null; attempt++) {
        const jobs = (await client.jobs(app)) ?? [];
        await this._learn(client, app, work, jobs, jobs.filter(j => j.status === 'RUNNING'), MAX_STAGES);
        if (!work.running || attempt >= FINAL_RETRIES) {
          break;
        }
        await (this._o.sleep ?? sleep)(this._o.finalRetryMs ?? 300);
      }
    } catch (error) {
      this._o.logger.debug('spark status of a finished cell unavailable', { kernel: kernel.id, error });
    }
    const summary = work.progress(false, null);
    // A kernel removed meanwhile gets no more changes; a cell that showed no Spark work, no summary.
    if (this._finishing.get(kernel.id)?.delete(work) && (work.shown || summary.jobs.length > 0)) {
      kernel.update({ cellProgress: summary });
    }
  }

  /** Why the cell's jobs run no task: no executor is ready, in the backend's words. */
  private _waiting(kernel: MonitoredKernel, work: CellWork): string | null {
    const status = kernel.launched?.status?.() ?? null;
    if (!work.running || work.tasksRunning() > 0 || status === null || status.executors.ready > 0) {
      return null;
    }
    return status.executors.pendingReason ? `Waiting for executors: ${status.executors.pendingReason}` : 'Waiting for executors';
  }

  private async _askExecutors(kernel: MonitoredKernel, client: SparkRestClient, app: string): Promise<void> {
    const executors = await client.executors?.(app);
    if (executors && this._stops.has(kernel.id)) {
      kernel.update({ sparkExecutors: executors });
      // A pod runs a few seconds before its executor registers with the driver: ask again (a few
      // times) until Spark knows every executor the backend sees running, so an idle cluster's
      // executors get their GPU addresses without waiting for a cell.
      const registered = executors.filter(e => e.isActive && e.id !== 'driver').length;
      const ready = kernel.launched?.status?.()?.executors.ready ?? 0;
      const retries = this._executorRetries.get(kernel.id) ?? 0;
      if (registered < ready && retries < EXECUTORS_RETRIES) {
        this._executorRetries.set(kernel.id, retries + 1);
        this._executorsDue.set(kernel.id, this._now() + (this._o.executorsAfterMs ?? 3000));
      } else {
        this._executorRetries.delete(kernel.id);
      }
    }
  }

  /** A change in the backend's ready executors makes their Spark description due. */
  private _noteExecutorCount(kernel: MonitoredKernel): void {
    const ready = kernel.launched?.status?.()?.executors.ready ?? null;
    const before = this._readyExecutors.get(kernel.id);
    this._readyExecutors.set(kernel.id, ready);
    if (before !== undefined && before !== ready && ready !== null && kernel.phase === 'spark-ready' && kernel.profile.spark) {
      this._executorsDue.set(kernel.id, this._now() + (this._o.executorsAfterMs ?? 3000));
    }
  }

  private _stop(kernelId: string): void {
    this._stops.get(kernelId)?.();
    this._stops.delete(kernelId);
    this._busySince.delete(kernelId);
    this._startCell.delete(kernelId);
    this._restTicks.delete(kernelId);
  }

  private _now(): number {
    return (this._o.now ?? Date.now)();
  }

  private readonly _o: SparkMonitorOptions;
  private readonly _stops = new Map<string, () => void>();
  private readonly _inFlight = new Set<string>();
  /** When each followed kernel became busy with Spark up. */
  private readonly _busySince = new Map<string, number>();
  /** Followed kernels whose running cell was sent before Spark was up. */
  private readonly _startCell = new Set<string>();
  /** The running cell of each kernel that has one. */
  private readonly _cells = new Map<string, CellWork>();
  /** Ended cells whose final summary is being asked, by kernel. */
  private readonly _finishing = new Map<string, Set<CellWork>>();
  /** REST ticks of each busy kernel since it was followed (every EXECUTORS_EVERY-th asks executors). */
  private readonly _restTicks = new Map<string, number>();
  /** Asks again of each kernel's executors while Spark knows fewer than the backend sees running. */
  private readonly _executorRetries = new Map<string, number>();
  /** When each kernel's executors are to be asked. */
  private readonly _executorsDue = new Map<string, number>();
  /** The backend's ready executor count of each kernel, as last seen. */
  private readonly _readyExecutors = new Map<string, number | null>();
}
