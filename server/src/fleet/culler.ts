/**
 * Idle culling (README "Culling"): every interval, each running kernel whose owner has left it
 * idle past its tenant's `idleMs` is shut down, after a notice on its model `warnMs` ahead.
 * Rules as jupyter_server's culler (`cull_idle_timeout`, `cull_connected`, `cull_busy`); what
 * counts as activity is the kernel's (`Kernel.lastActivity`), so the gateway's own kernel_info
 * nudges never keep a kernel alive.
 */
import type { CullPolicy } from '../config/types.js';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from '../metrics/types.js';
import type { FleetKernel, KernelFleet } from '../kernels/types.js';

/** A repeating timer; returns its cancel. */
export type Every = (ms: number, tick: () => void) => () => void;

export interface CullerOptions {
  kernels: KernelFleet;
  /** The policy of a tenant's kernels (its `cull` merged over `kernels.cull`). */
  policyFor: (tenant: string) => CullPolicy;
  /** Policies in force anywhere: the sweep runs at the shortest interval among those that cull. */
  policies: readonly CullPolicy[];
  logger: Logger;
  /** Counts culls (`sparkgate_kernels_culled_total`); default none. */
  metrics?: Pick<GatewayMetrics, 'culled'>;
  /** Milliseconds clock; default `Date.now`. */
  now?: () => number;
  /** Default an unref'd `setInterval`. */
  every?: Every;
  /** Whether this replica runs the culler now (the Lease holder among replicas); default always. */
  isLeader?: () => boolean;
}

/** What the culler decided for one kernel at one sweep. */
export type CullDecision = { keep: true } | { warn: Date; idleSince: Date } | { cull: string };

/**
 * Pure: what to do with `kernel` at `now` under `policy`. A kernel is culled only once a notice
 * has been shown: a notice announces a time at least `warnMs` ahead (later than idleness alone
 * would say when sweeps are sparse), and the cull waits for it.
 */
export function decide(kernel: FleetKernel, policy: CullPolicy, now: number): CullDecision {
  if (policy.idleMs <= 0 || (kernel.state !== 'idle' && kernel.state !== 'busy')) {
    return { keep: true };
  }
  const connected = kernel.connections > 0 || kernel.connectedElsewhere === true;
  if ((kernel.state === 'busy' && !policy.busy) || (connected && !policy.connected)) {
    return { keep: true };
  }
  const idleSince = kernel.lastActivity;
  const notice = kernel.cullNotice;
  if (notice !== null && notice.idleSince.getTime() === idleSince.getTime()) {
    return now >= notice.at.getTime() ? { cull: `culled after ${duration(now - idleSince.getTime())} idle` } : { warn: notice.at, idleSince };
  }
  const due = idleSince.getTime() + policy.idleMs;
  if (now < due - policy.warnMs) {
    return { keep: true };
  }
  return { warn: new Date(Math.max(due, now + policy.warnMs)), idleSince };
}

/** `45 s`, `12 min`, `3 h 5 min`: how long a kernel was idle, for its reason. */
/**
 * How often a gateway with clients of a kernel tells the other replicas so (backends/kubernetes/
 * presence.ts, one pod patch each time), under the kernel's tenant's `policy`; null when no
 * culler needs to know: culling is off, or it culls connected kernels anyway. Scaled to the idle
 * timeout (a sixth of it, 30 s to 10 min; the note holds three times that, at most half the
 * timeout): with culling off, an idle kernel with an open tab costs the API server nothing.
 */
export function presenceRefreshMs(policy: CullPolicy): number | null {
  if (policy.idleMs <= 0 || policy.connected) {
    return null;
  }
  return Math.min(600_000, Math.max(30_000, Math.floor(policy.idleMs / 6)));
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) {
    return `${s} s`;
  }
  const min = Math.floor(s / 60);
  if (min < 120) {
    return `${min} min`;
  }
  return min % 60 === 0 ? `${min / 60} h` : `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** Sweeps the fleet on a timer; `start()`/`stop()` are idempotent. */
export class Culler {
  constructor(options: CullerOptions) {
    this._o = options;
    this._now = options.now ?? Date.now;
  }

  /** The sweep interval, or null when no policy culls (then `start()` does nothing). */
  get intervalMs(): number | null {
    const on = this._o.policies.filter(p => p.idleMs > 0).map(p => p.intervalMs);
    return on.length > 0 ? Math.min(...on) : null;
  }

  start(): void {
    const interval = this.intervalMs;
    if (this._cancel || interval === null) {
      return;
    }
    const every: Every =
      this._o.every ??
      ((ms, tick) => {
        const timer = setInterval(tick, ms);
        timer.unref();
        return () => clearInterval(timer);
      });
    // Among replicas only the leader culls (each sees every kernel; activity comes from the pods).
    this._cancel = every(interval, () => {
      if (this._o.isLeader?.() ?? true) {
        void this.sweep();
      }
    });
    this._o.logger.info('idle culling on', { intervalMs: interval });
  }

  stop(): void {
    this._cancel?.();
    this._cancel = null;
  }

  /**
   * One pass over every kernel; resolves when the culls it started are done. A cull in progress
   * (a pod's shutdown grace) does not hold up the next sweep's notices.
   */
  async sweep(): Promise<void> {
    const now = this._now();
    const culls: Promise<void>[] = [];
    for (const kernel of this._o.kernels.all()) {
      // A warm pool's unclaimed drivers are idle by design; the pool's maxIdleMinutes bounds them.
      if (this._culling.has(kernel.id) || kernel.pooled) {
        continue;
      }
      const decision = decide(kernel, this._o.policyFor(kernel.owner.tenant), now);
      if ('cull' in decision) {
        culls.push(this._cull(kernel, decision.cull));
      } else if ('warn' in decision) {
        if (kernel.cullNotice?.at.getTime() !== decision.warn.getTime()) {
          this._o.logger.info('kernel idle; cull announced', { kernel: kernel.id, at: decision.warn.toISOString() });
          this._o.kernels.announceCull(kernel.id, { at: decision.warn, idleSince: decision.idleSince });
        }
      } else if (kernel.cullNotice !== null) {
        // Kept after all (a client connected, a job started, culling turned off for it).
        this._o.kernels.announceCull(kernel.id, null);
      }
    }
    await Promise.all(culls);
  }

  private async _cull(kernel: FleetKernel, reason: string): Promise<void> {
    this._culling.add(kernel.id);
    try {
      await this._o.kernels.cull(kernel.id, reason);
      // The manager skips a kernel that meanwhile restarts or stops: only a kernel now dead was culled.
      if (kernel.state === 'dead') {
        this._o.metrics?.culled(kernel, 'idle');
      }
    } catch (error) {
      this._o.logger.warn('could not cull kernel', { kernel: kernel.id, error });
    } finally {
      this._culling.delete(kernel.id);
    }
  }

  private readonly _o: CullerOptions;
  private readonly _now: () => number;
  private _cancel: (() => void) | null = null;
  private readonly _culling = new Set<string>();
}
