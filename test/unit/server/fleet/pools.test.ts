// Warm driver pools over a fake host (issue 15): fill, take, refill, limits, replacement, sleep, stop.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { PoolPolicy, Profile } from '../../../../server/src/config/types.js';
import { LimitExceededError } from '../../../../server/src/errors.js';
import { DriverPools, type PoolDriver, type PoolHost } from '../../../../server/src/fleet/pools.js';
import { silentLogger } from '../../../../server/src/log.js';
import { Backoff } from '../../../../server/src/util/retry.js';
import { holdsWithin, waitUntil } from '../../../support/waitFor.js';
import { SIZING } from '../kernels/fakes.js';

const PROFILE: Profile = { id: 'p', displayName: 'P', spark: false, sizing: SIZING };

/** A driver whose readiness and death the test decides. */
class Driver implements PoolDriver {
  constructor(readonly id: string) {
    this.ready = new Promise((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    this.ready.catch(() => undefined);
  }
  readonly ready: Promise<void>;
  warm = false;
  stopped = false;
  up(): void {
    this.warm = true;
    this._resolve();
  }
  fail(error = new Error('launch failed')): void {
    this._reject(error);
  }
  private _resolve: () => void = () => undefined;
  private _reject: (e: Error) => void = () => undefined;
}

/** Starts drivers until `room` is used up (the tenant's limits), counting the live ones. */
class Host implements PoolHost<Driver> {
  room = Infinity;
  readonly started: Driver[] = [];
  live = 0;
  startWarm(): Driver {
    if (this.live >= this.room) {
      throw new LimitExceededError('tenant t would exceed cores');
    }
    this.live++;
    const driver = new Driver(`d${this.started.length + 1}`);
    this.started.push(driver);
    return driver;
  }
  async stop(driver: Driver): Promise<void> {
    driver.stopped = true;
    this.live--;
  }
}

const made: DriverPools<Driver>[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map(p => p.dispose()));
});

function setup(policy: Partial<PoolPolicy> = {}, clock = { now: 0 }, maxStarting = Infinity) {
  const host = new Host();
  const pools = new DriverPools<Driver>({
    maxStarting,
    tenants: { t: { pools: { p: { size: 2, maxIdleMs: 0, ...policy } } }, u: { pools: {} } },
    profiles: { p: PROFILE },
    host,
    logger: silentLogger,
    now: () => clock.now,
    backoff: () => new Backoff({ initialMs: 5, maxMs: 5, jitter: 0 }),
    checkMs: 5
  });
  made.push(pools);
  return { host, pools, clock };
}

describe('fleet/pools', () => {
  it('should keep `size` drivers per pool and hand out only ready ones', () => {
    const { host, pools } = setup();
    pools.start();
    expect(host.started.map(d => d.id)).toEqual(['d1', 'd2']);
    expect(pools.counts('t')).toEqual({ p: { warm: 0, starting: 2 } });
    expect(pools.take('t', 'p')).toBeNull();
    host.started[1]!.up();
    expect(pools.counts('t')).toEqual({ p: { warm: 1, starting: 1 } });
    expect(pools.take('t', 'p')?.id).toBe('d2');
    expect(pools.counts('u')).toEqual({});
    expect(pools.take('u', 'p')).toBeNull();
    expect(pools.take('t', 'other')).toBeNull();
  });

  it('should start at most maxStarting drivers at once, the next as one becomes ready or fails', async () => {
    const { host, pools } = setup({ size: 5 }, { now: 0 }, 2);
    pools.start();
    expect(host.started.map(d => d.id)).toEqual(['d1', 'd2']);
    host.started[0]!.up();
    await waitUntil(() => host.started.length === 3, { timeoutMs: 1000, intervalMs: 1, what: 'the third start' });
    host.started[1]!.fail();
    await waitUntil(() => host.started.length === 4, { timeoutMs: 1000, intervalMs: 1, what: 'the fourth start' });
    // Two starting (d3, d4): a claim's refill waits its turn too.
    expect(pools.take('t', 'p')?.id).toBe('d1');
    expect(host.started).toHaveLength(4);
  });

  it('should refill at once after a claim and never hand out one driver twice', () => {
    const { host, pools } = setup();
    pools.start();
    host.started.forEach(d => d.up());
    const first = pools.take('t', 'p');
    const second = pools.take('t', 'p');
    expect([first?.id, second?.id]).toEqual(['d1', 'd2']);
    expect(pools.take('t', 'p')).toBeNull();
    expect(host.started.map(d => d.id)).toEqual(['d1', 'd2', 'd3', 'd4']);
    expect(pools.holds('d1')).toBe(false);
    expect(pools.holds('d3')).toBe(true);
  });

  it("should stop at the tenant's limits and refill when a kernel of the tenant goes", () => {
    const { host, pools } = setup({ size: 3 });
    host.room = 2;
    pools.start();
    expect(host.started).toHaveLength(2);
    expect(pools.counts('t').p).toEqual({ warm: 0, starting: 2 });
    // Another tenant's kernel going changes nothing.
    pools.removed('u', 'x');
    expect(host.started).toHaveLength(2);
    host.room = 3;
    pools.removed('t', 'some-user-kernel');
    expect(host.started).toHaveLength(3);
  });

  it("should wait for room, not retry, when the cluster's quota refuses a driver", async () => {
    const { host, pools } = setup({ size: 1 });
    pools.start();
    host.started[0]!.fail(new LimitExceededError('exceeded quota: tenant-quota, requested: requests.cpu=1'));
    host.live--;
    pools.removed('t', 'd1');
    await host.started[0]!.ready.catch(() => undefined);
    // The back-off (5 ms here) passes several times without a new start…
    expect(await holdsWithin(() => host.started.length > 1, { timeoutMs: 40, intervalMs: 2 })).toBe(false);
    // …until a kernel of the tenant goes.
    pools.removed('t', 'some-user-kernel');
    expect(host.started).toHaveLength(2);
  });

  it('should replace a driver that dies or fails to start, after a back-off', async () => {
    const { host, pools } = setup();
    pools.start();
    host.started[0]!.fail();
    host.live--;
    pools.removed('t', 'd1');
    expect(host.started).toHaveLength(2);
    await waitUntil(() => host.started.length === 3, { timeoutMs: 2000, intervalMs: 2, what: 'a replacement' });
    expect(pools.holds('d1')).toBe(false);
    expect(pools.counts('t').p).toEqual({ warm: 0, starting: 2 });
  });

  it('should sleep after maxIdleMs without a claim, stopping its drivers, and wake on the next launch', async () => {
    const { host, pools, clock } = setup({ maxIdleMs: 1000 });
    pools.start();
    host.started.forEach(d => d.up());
    clock.now = 999;
    expect(pools.take('t', 'p')?.id).toBe('d1');
    clock.now = 1998;
    // Several checks (every 5 ms) pass without a stop.
    expect(await holdsWithin(() => host.started.some(d => d.stopped), { timeoutMs: 30, intervalMs: 2 })).toBe(false);
    clock.now = 2000;
    await waitUntil(() => host.started.filter(d => d.stopped).length === 2, { timeoutMs: 2000, intervalMs: 2, what: 'the pool to sleep' });
    expect(pools.counts('t').p).toEqual({ warm: 0, starting: 0 });
    // Asleep: a launch gets nothing (it starts cold) but wakes the pool.
    expect(pools.take('t', 'p')).toBeNull();
    expect(pools.counts('t').p).toEqual({ warm: 0, starting: 2 });
  });

  it('should stop every unclaimed driver at dispose and start none after', async () => {
    const { host, pools } = setup();
    pools.start();
    host.started[0]!.up();
    const claimed = pools.take('t', 'p');
    await pools.dispose();
    expect(host.started.map(d => [d.id, d.stopped])).toEqual([
      ['d1', false],
      ['d2', true],
      ['d3', true]
    ]);
    expect(claimed?.stopped).toBe(false);
    pools.removed('t', 'd2');
    pools.start();
    expect(host.started).toHaveLength(3);
    expect(pools.take('t', 'p')).toBeNull();
  });
});
