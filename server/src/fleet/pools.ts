/**
 * Warm driver pools (issue 15): per tenant and profile, `size` drivers started and ready
 * (kernel_info answered, SparkSession up) that belong to nobody. A launch whose profile and sizing
 * match takes one at once (`take`) and the pool refills in the background. A taken driver never
 * comes back: it is the claimer's for good, so nothing of one user can reach the next.
 *
 * #### Notes
 * The pool asks its host (the kernel manager) to start drivers; the host registers them like any
 * kernel, so they count toward the tenant's limits, and refuses one that would not fit
 * (`LimitExceededError`): then the pool stays smaller until a kernel of the tenant goes. A driver
 * that fails to start or dies is replaced after a back-off, so a broken profile cannot loop hot.
 * A pool without a claim for `maxIdleMs` stops its drivers (they hold GPUs) and sleeps until the
 * next launch of its profile in its tenant, which starts cold and wakes it.
 */
import type { PoolPolicy, Profile, TenantConfig } from '../config/types.js';
import { LimitExceededError } from '../errors.js';
import type { Logger } from '../log.js';
import { Backoff } from '../util/retry.js';

/** What a pool needs of one of its drivers. */
export interface PoolDriver {
  readonly id: string;
  /** Ready to hand out: answered kernel_info, Spark up (`spark-ready`), idle. */
  readonly warm: boolean;
  /** Settles when the launch finished (rejects when it failed). */
  readonly ready: Promise<void>;
}

/** The pool's host: the kernel manager. */
export interface PoolHost<D extends PoolDriver> {
  /** Starts an unclaimed driver of `profile` in `tenant`; throws `LimitExceededError` when it does not fit. */
  startWarm(tenant: string, profile: Profile): D;
  /** Stops an unclaimed driver (the pool sleeps, or the gateway stops). */
  stop(driver: D): Promise<void>;
}

export interface DriverPoolsOptions<D extends PoolDriver> {
  tenants: Readonly<Record<string, Pick<TenantConfig, 'pools'>>>;
  profiles: Readonly<Record<string, Profile>>;
  host: PoolHost<D>;
  logger: Logger;
  now?: () => number;
  /** Delays before replacing a driver that failed or died; default 2 s doubling to 60 s. */
  backoff?: () => Backoff;
  /** How often sleeping is checked; default 30 s. */
  checkMs?: number;
  /** Warm drivers starting at once, over all pools; default `MAX_STARTING`. */
  maxStarting?: number;
}

/**
 * Warm drivers the gateway starts at once, over all pools. A burst of claims refills as many
 * pools: unpaced, 30 replacement starts competed with the claimed kernels' first cells (bench,
 * cluster phase: p95 POST → first idle 2.6 s unpaced, 0.8 s with refills held back). The
 * rest start as these become ready.
 */
export const MAX_STARTING = 2;

/** How many drivers of one pool are ready and how many are coming. */
export interface PoolCount {
  warm: number;
  starting: number;
}

interface Pool<D> {
  tenant: string;
  profile: Profile;
  policy: PoolPolicy;
  drivers: Set<D>;
  lastClaim: number;
  asleep: boolean;
  /** Set when the last start was refused by the tenant's limits: wait for a kernel of the tenant to go. */
  full: boolean;
  backoff: Backoff;
  retry: NodeJS.Timeout | null;
}

/** Every tenant's warm pools; `start()` fills them, `dispose()` stops what is unclaimed. */
export class DriverPools<D extends PoolDriver> {
  constructor(options: DriverPoolsOptions<D>) {
    this._o = options;
    this._now = options.now ?? Date.now;
    for (const [tenant, t] of Object.entries(options.tenants)) {
      for (const [id, policy] of Object.entries(t.pools)) {
        const profile = options.profiles[id];
        if (profile && policy.size > 0) {
          const backoff = options.backoff?.() ?? new Backoff({ initialMs: 2000, maxMs: 60_000, jitter: 0.25 });
          this._pools.set(key(tenant, id), { tenant, profile, policy, drivers: new Set(), lastClaim: this._now(), asleep: false, full: false, backoff, retry: null });
        }
      }
    }
  }

  get empty(): boolean {
    return this._pools.size === 0;
  }

  start(): void {
    if (this._stopped || this._timer || this.empty) {
      return;
    }
    this._timer = setInterval(() => this._sleepIdle(), this._o.checkMs ?? 30_000).unref();
    this._fillAll();
  }

  /** A ready driver of the pool, now the caller's (the pool refills); null when none is ready. */
  take(tenant: string, profileId: string): D | null {
    const pool = this._pools.get(key(tenant, profileId));
    if (!pool || this._stopped) {
      return null;
    }
    pool.lastClaim = this._now();
    if (pool.asleep) {
      pool.asleep = false;
      this._o.logger.info('warm pool woken by a launch', { tenant, profile: profileId });
      this._fill(pool);
      return null;
    }
    const driver = [...pool.drivers].find(d => d.warm) ?? null;
    if (driver) {
      pool.drivers.delete(driver);
      this._fill(pool);
    }
    return driver;
  }

  /** Whether `driver` is one of the pools' unclaimed drivers. */
  holds(driverId: string): boolean {
    return [...this._pools.values()].some(p => [...p.drivers].some(d => d.id === driverId));
  }

  /** A driver is gone (died, stopped) or a kernel of `tenant` went: a pool may refill. */
  removed(tenant: string, driverId: string): void {
    for (const pool of this._pools.values()) {
      const driver = [...pool.drivers].find(d => d.id === driverId);
      if (driver) {
        pool.drivers.delete(driver);
        this._retryLater(pool);
      } else if (pool.tenant === tenant && pool.full) {
        pool.full = false;
        this._fill(pool);
      }
    }
  }

  /** Ready and starting drivers of the tenant's pools, by profile id (for the panel). */
  counts(tenant: string): Record<string, PoolCount> {
    const out: Record<string, PoolCount> = {};
    for (const pool of this._pools.values()) {
      if (pool.tenant === tenant) {
        const warm = [...pool.drivers].filter(d => d.warm).length;
        out[pool.profile.id] = { warm, starting: pool.drivers.size - warm };
      }
    }
    return out;
  }

  /** Stops refilling and stops every unclaimed driver. */
  async dispose(): Promise<void> {
    this._stopped = true;
    if (this._timer) {
      clearInterval(this._timer);
      this._timer = null;
    }
    const drivers: D[] = [];
    for (const pool of this._pools.values()) {
      if (pool.retry) {
        clearTimeout(pool.retry);
      }
      drivers.push(...pool.drivers);
      pool.drivers.clear();
    }
    await Promise.all(drivers.map(d => this._o.host.stop(d).catch(() => undefined)));
  }

  /** Fills the pools in turn, one driver each per round, as far as `maxStarting` allows. */
  private _fillAll(): void {
    let started = true;
    while (started && this._starting < (this._o.maxStarting ?? MAX_STARTING)) {
      started = false;
      for (const pool of this._pools.values()) {
        started = this._fill(pool, 1) > 0 || started;
      }
    }
  }

  /** Starts up to `max` drivers of `pool` (within `maxStarting`); returns how many it started. */
  private _fill(pool: Pool<D>, max = Infinity): number {
    let started = 0;
    while (
      started < max &&
      this._starting < (this._o.maxStarting ?? MAX_STARTING) &&
      !this._stopped &&
      !pool.asleep &&
      !pool.full &&
      !pool.retry &&
      pool.drivers.size < pool.policy.size
    ) {
      let driver: D;
      try {
        driver = this._o.host.startWarm(pool.tenant, pool.profile);
      } catch (error) {
        if (error instanceof LimitExceededError) {
          pool.full = true;
          this._o.logger.info('warm pool stays smaller: the tenant is at its limits', {
            tenant: pool.tenant,
            profile: pool.profile.id,
            warm: pool.drivers.size,
            reason: error.message
          });
          return started;
        }
        this._o.logger.warn('warm driver could not be started', { tenant: pool.tenant, profile: pool.profile.id, error });
        this._retryLater(pool);
        return started;
      }
      pool.drivers.add(driver);
      started++;
      this._starting++;
      const settled = (): void => {
        this._starting--;
        this._fillAll();
      };
      driver.ready.then(settled, settled);
      driver.ready.then(
        () => pool.backoff.reset(),
        (error: unknown) => {
          if (error instanceof LimitExceededError) {
            // The cluster's own quota (a ResourceQuota) refused it: wait for room like the gateway's limits.
            pool.full = true;
            this._o.logger.info('warm pool stays smaller: the tenant is at its quota', { tenant: pool.tenant, profile: pool.profile.id, reason: error.message });
            return;
          }
          this._o.logger.warn('warm driver failed to start', { tenant: pool.tenant, profile: pool.profile.id, error });
        }
      );
    }
    return started;
  }

  private _retryLater(pool: Pool<D>): void {
    if (this._stopped || pool.retry) {
      return;
    }
    pool.retry = setTimeout(() => {
      pool.retry = null;
      this._fill(pool);
    }, pool.backoff.next()).unref();
  }

  private _sleepIdle(): void {
    for (const pool of this._pools.values()) {
      const idle = pool.policy.maxIdleMs > 0 && this._now() - pool.lastClaim >= pool.policy.maxIdleMs;
      if (idle && !pool.asleep) {
        pool.asleep = true;
        const drivers = [...pool.drivers];
        pool.drivers.clear();
        this._o.logger.info('warm pool asleep: no claim for its maxIdleMinutes', { tenant: pool.tenant, profile: pool.profile.id, stopped: drivers.length });
        for (const driver of drivers) {
          void this._o.host.stop(driver).catch(() => undefined);
        }
      }
    }
  }

  private readonly _o: DriverPoolsOptions<D>;
  private readonly _now: () => number;
  private readonly _pools = new Map<string, Pool<D>>();
  private _timer: NodeJS.Timeout | null = null;
  /** Drivers started and not yet ready or failed, over all pools. */
  private _starting = 0;
  private _stopped = false;
}

const key = (tenant: string, profileId: string): string => `${tenant}\u0000${profileId}`;
