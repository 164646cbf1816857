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
 */
import type { Logger } from '../log.js';
import { sparkRestClient, type JobProgress, type SparkRestClient } from './restClient.js';

/** What the monitor needs of a kernel (kernels/types.ts `Kernel` plus its mutator). */
export interface MonitoredKernel {
  readonly id: string;
  readonly profile: { readonly spark: boolean };
  readonly launched: { readonly sparkUi: string | null } | null;
  readonly state: string;
  readonly phase: string | null;
  update(patch: { phase?: 'spark-ready'; job?: JobProgress | null }): void;
}

/** Calls `tick` every `intervalMs` until the returned function is called. */
export type Repeat = (tick: () => void, intervalMs: number) => () => void;

/** The default {@link Repeat}: an interval that does not keep the process alive. */
const repeat: Repeat = (tick, intervalMs) => {
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
};

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
  /** Milliseconds clock; default `Date.now`. */
  now?: () => number;
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
    const wants =
      kernel.profile.spark &&
      kernel.launched?.sparkUi != null &&
      (kernel.state === 'busy' || (kernel.state === 'idle' && kernel.phase === 'kernel-ready'));
    if (wants && kernel.state === 'busy' && kernel.phase === 'spark-ready') {
      if (!this._busySince.has(kernel.id)) {
        this._busySince.set(kernel.id, this._now());
      }
    } else {
      this._busySince.delete(kernel.id);
    }
    if (wants && kernel.state === 'busy' && kernel.phase === 'kernel-ready') {
      this._startCell.add(kernel.id);
    } else if (kernel.state !== 'busy') {
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
  }

  dispose(): void {
    for (const id of [...this._stops.keys()]) {
      this._stop(id);
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
        kernel.update({ phase: 'spark-ready' });
      }
      const since = this._busySince.get(kernel.id);
      const after = this._startCell.has(kernel.id) ? (this._o.startCellAfterMs ?? 3000) : (this._o.progressAfterMs ?? 1000);
      if (kernel.state === 'busy' && (since === undefined || this._now() - since < after)) {
        return;
      }
      const app = kernel.state === 'busy' ? await client.applicationId() : null;
      const job = app === null ? null : await client.runningJob(app);
      // Only followed kernels get progress: one that went idle meanwhile has had its job cleared.
      if (this._stops.has(kernel.id)) {
        kernel.update({ job });
      }
      this.update(kernel);
    } catch (error) {
      this._o.logger.debug('spark status unavailable', { kernel: kernel.id, error });
    } finally {
      this._inFlight.delete(kernel.id);
    }
  }

  private _stop(kernelId: string): void {
    this._stops.get(kernelId)?.();
    this._stops.delete(kernelId);
    this._busySince.delete(kernelId);
    this._startCell.delete(kernelId);
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
}
