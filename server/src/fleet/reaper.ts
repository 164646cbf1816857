/**
 * Orphan reaping (issue 13, item 2): on start and every interval, one sweep of the backend
 * removes what no kernel owns (pods of a crashed launch, executors whose driver is gone,
 * Secrets/Services/NetworkPolicies whose owner pod is gone). The backend decides what is an
 * orphan; this module only paces the sweeps and logs each removal with what and why.
 */
import type { Backend, SweptObject } from '../backends/types.js';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from '../metrics/types.js';

/** Starts a timer; returns its cancel. Default: an unref'd `setTimeout`. */
export type TimerFn = (fn: () => void, ms: number) => () => void;

/** Options of {@link Reaper}. */
export interface ReaperOptions {
  backend: Pick<Backend, 'sweep'>;
  /** Namespaces to sweep (the tenants'), read at each sweep. */
  namespaces: () => readonly string[];
  /** Ids of every kernel the gateway holds now, read at each sweep. */
  known: () => ReadonlySet<string>;
  /** Between sweeps, in ms; 0 turns reaping off. */
  intervalMs: number;
  logger: Logger;
  /** Counts removals by kind (`sparkgate_kernels_reaped_total`); default none. */
  metrics?: Pick<GatewayMetrics, 'reaped'>;
  timer?: TimerFn;
  /** Whether this replica sweeps now (the Lease holder among replicas); default always. */
  isLeader?: () => boolean;
  /** While not the leader, how often it checks whether it has become one (then sweeps at once). Default 5 s. */
  followerCheckMs?: number;
}

const defaultTimer: TimerFn = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

/** Paces orphan sweeps; `start()` and `stop()` are idempotent, sweeps never overlap. */
export class Reaper {
  constructor(options: ReaperOptions) {
    this._o = options;
  }

  /** Whether sweeps run at all (a backend with `sweep` and a non-zero interval). */
  get enabled(): boolean {
    return this._o.backend.sweep !== undefined && this._o.intervalMs > 0;
  }

  /** Sweeps now (after adoption: adopted kernels must be known), then every interval. */
  start(): void {
    if (this._started || this._stopped || !this.enabled) {
      return;
    }
    this._started = true;
    this._run();
  }

  /** Cancels the next sweep and waits for one in flight. */
  async stop(): Promise<void> {
    this._stopped = true;
    this._cancel?.();
    this._cancel = null;
    await this._running;
  }

  /** One sweep; resolves with what it removed (empty when it failed: the failure is logged). */
  async sweepOnce(): Promise<SweptObject[]> {
    const sweep = this._o.backend.sweep?.bind(this._o.backend);
    if (!sweep) {
      return [];
    }
    const run = (async () => {
      try {
        const removed = await sweep(this._o.namespaces(), this._o.known());
        for (const r of removed) {
          this._o.logger.warn('orphan removed', { kind: r.kind, namespace: r.namespace, name: r.name, reason: r.reason });
          this._o.metrics?.reaped(r.kind);
        }
        this._o.logger.debug('orphan sweep done', { removed: removed.length });
        return removed;
      } catch (error) {
        this._o.logger.warn('orphan sweep failed; trying again at the next interval', { error: (error as Error).message });
        return [];
      }
    })();
    this._running = run.then(() => undefined);
    return run;
  }

  /** Sweeps this replica did (the leader's count grows; a follower's stays 0). */
  get sweeps(): number {
    return this._sweeps;
  }

  private _run(): void {
    const schedule = (ms: number): void => {
      if (!this._stopped) {
        this._cancel = (this._o.timer ?? defaultTimer)(() => this._run(), ms);
      }
    };
    if (!(this._o.isLeader?.() ?? true)) {
      // Another replica sweeps; check again soon so a new leader sweeps as a starting gateway does.
      schedule(Math.min(this._o.intervalMs, this._o.followerCheckMs ?? 5000));
      return;
    }
    this._sweeps++;
    void this.sweepOnce().then(() => schedule(this._o.intervalMs));
  }

  private readonly _o: ReaperOptions;
  private _started = false;
  private _sweeps = 0;
  private _stopped = false;
  private _cancel: (() => void) | null = null;
  private _running: Promise<void> = Promise.resolve();
}
