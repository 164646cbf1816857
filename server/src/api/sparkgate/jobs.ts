import type { Kernel } from '../../kernels/kernel.js';
import type { Logger } from '../../log.js';
import { sparkRestClient, type JobProgress, type SparkRestClient } from '../../spark/restClient.js';

export interface JobTrackerOptions {
  /** Called when a kernel's Spark readiness or job progress changes. */
  onChange: (kernel: Kernel) => void;
  logger: Logger;
  intervalMs?: number;
  client?: (hostPort: string) => SparkRestClient;
}

/**
 * Follows Spark progress of kernels that need it: until the SparkContext is up (launch phase
 * `spark-ready`), and while a kernel is busy (job progress). Idle kernels cost nothing: Spark has
 * no push API for this, so it asks its REST API once a second, only for those kernels.
 */
export class JobTracker {
  constructor(options: JobTrackerOptions) {
    this._o = options;
  }

  get(kernelId: string): JobProgress | null {
    return this._jobs.get(kernelId) ?? null;
  }

  /** Re-evaluates whether `kernel` needs following; call on every kernel change. */
  update(kernel: Kernel): void {
    const wants =
      kernel.profile.spark &&
      kernel.launched?.sparkUi != null &&
      (kernel.state === 'busy' || (kernel.state === 'idle' && kernel.phase === 'kernel-ready'));
    if (wants && !this._timers.has(kernel.id)) {
      const timer = setInterval(() => void this._tick(kernel), this._o.intervalMs ?? 1000);
      timer.unref();
      this._timers.set(kernel.id, timer);
      void this._tick(kernel);
    } else if (!wants) {
      this._stop(kernel.id);
      if (this._jobs.delete(kernel.id)) {
        this._o.onChange(kernel);
      }
    }
  }

  remove(kernelId: string): void {
    this._stop(kernelId);
    this._jobs.delete(kernelId);
  }

  dispose(): void {
    for (const id of [...this._timers.keys()]) {
      this._stop(id);
    }
  }

  private async _tick(kernel: Kernel): Promise<void> {
    const hostPort = kernel.launched?.sparkUi;
    if (!hostPort || this._inFlight.has(kernel.id)) {
      return;
    }
    this._inFlight.add(kernel.id);
    try {
      const client = (this._o.client ?? sparkRestClient)(hostPort);
      const app = await client.applicationId();
      if (app === null) {
        return;
      }
      if (kernel.phase === 'kernel-ready') {
        kernel.setPhase('spark-ready', null); // emits a change itself
      }
      const job = kernel.state === 'busy' ? await client.runningJob(app) : null;
      if (JSON.stringify(job) !== JSON.stringify(this._jobs.get(kernel.id) ?? null)) {
        if (job) {
          this._jobs.set(kernel.id, job);
        } else {
          this._jobs.delete(kernel.id);
        }
        this._o.onChange(kernel);
      }
      this.update(kernel);
    } catch (error) {
      this._o.logger.debug('spark status unavailable', { kernel: kernel.id, error });
    } finally {
      this._inFlight.delete(kernel.id);
    }
  }

  private _stop(kernelId: string): void {
    const timer = this._timers.get(kernelId);
    if (timer) {
      clearInterval(timer);
      this._timers.delete(kernelId);
    }
  }

  private readonly _o: JobTrackerOptions;
  private readonly _timers = new Map<string, NodeJS.Timeout>();
  private readonly _jobs = new Map<string, JobProgress>();
  private readonly _inFlight = new Set<string>();
}
