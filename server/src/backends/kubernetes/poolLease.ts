/**
 * The lease of an unclaimed warm pool driver (issue 15): its gateway writes
 * `sparkgate.io/pool-until` = now + `leaseMs` on the pod every `renewMs`, from the pod's create
 * until the claim or the end. Only that gateway knows the pod (nobody adopts a pool driver), so a
 * pool-until in the past means its gateway is gone and the orphan sweep removes the pod (sweep.ts).
 */
import { type Timer, unrefTimer } from '../../util/timer.js';

/**
 * Defaults: a 10-minute lease renewed every 3 minutes survives two failed renewals in a row (an
 * API server hiccup) and small clock skew between replicas, and costs one API request per pool
 * driver per 3 minutes; a dead gateway's warm drivers go within 10 minutes plus a sweep interval.
 */
export const POOL_LEASE_MS = 10 * 60_000;
export const POOL_RENEW_MS = 3 * 60_000;

/** How the lease is paced; tests set short durations, a clock and a timer. */
export interface PoolLeaseTiming {
  /** Default `POOL_LEASE_MS`. */
  leaseMs?: number;
  /** Default `POOL_RENEW_MS`; must be below `leaseMs`. */
  renewMs?: number;
  /** Milliseconds clock; default `Date.now`. */
  now?: () => number;
  /** Default an unref'd `setTimeout`. */
  timer?: Timer;
}

export interface PoolLeaseOptions extends PoolLeaseTiming {
  /** Writes `ANNOTATIONS.poolUntil`; never rejects (the backend logs failures). */
  write: (until: Date) => Promise<void>;
}

/** The end of a lease taken now: what a pool driver's pod is created with. */
export function poolLeaseEnd(timing: PoolLeaseTiming = {}): Date {
  return new Date((timing.now ?? Date.now)() + (timing.leaseMs ?? POOL_LEASE_MS));
}

/** One pool driver's renewals. */
export class PoolLease {
  constructor(options: PoolLeaseOptions) {
    this._o = options;
  }

  /** Renews every `renewMs` from now on (the pod was created with `poolLeaseEnd`). */
  start(): void {
    if (!this._stopped && !this._cancel) {
      this._schedule();
    }
  }

  /** No more renewals; resolves once a write in flight has settled (a claim's patch must come after it). */
  stop(): Promise<void> {
    this._stopped = true;
    this._cancel?.();
    this._cancel = null;
    return this._writing;
  }

  private _schedule(): void {
    this._cancel = (this._o.timer ?? unrefTimer)(() => {
      this._cancel = null;
      if (this._stopped) {
        return;
      }
      this._writing = this._o.write(poolLeaseEnd(this._o)).catch(() => undefined);
      this._schedule();
    }, this._o.renewMs ?? POOL_RENEW_MS);
  }

  private readonly _o: PoolLeaseOptions;
  private _cancel: (() => void) | null = null;
  private _writing: Promise<void> = Promise.resolve();
  private _stopped = false;
}
