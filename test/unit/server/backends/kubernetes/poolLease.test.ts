import { describe, expect, it } from '@jest/globals';
import { POOL_LEASE_MS, POOL_RENEW_MS, PoolLease, poolLeaseEnd } from '../../../../../server/src/backends/kubernetes/poolLease.js';
import { manualTimers } from './fixtures.js';

describe('k8s/poolLease', () => {
  it('should renew well within the lease by default (two renewals may fail before it lapses)', () => {
    expect([POOL_LEASE_MS, POOL_RENEW_MS]).toEqual([600_000, 180_000]);
    expect(POOL_RENEW_MS * 3).toBeLessThan(POOL_LEASE_MS);
    expect(poolLeaseEnd({ now: () => 1000 })).toEqual(new Date(1000 + POOL_LEASE_MS));
    expect(poolLeaseEnd({ now: () => 1000, leaseMs: 50 })).toEqual(new Date(1050));
  });

  it('should write now + lease every renewal interval until stopped, with no timer left after', async () => {
    const timers = manualTimers();
    let now = 10_000;
    const written: number[] = [];
    const lease = new PoolLease({ leaseMs: 1000, renewMs: 300, now: () => now, timer: timers.timer, write: async until => void written.push(until.getTime()) });
    lease.start();
    lease.start();
    expect(written).toEqual([]);
    expect(timers.pending.map(t => t.ms)).toEqual([300]);
    now += 300;
    expect(timers.fire()).toBe(300);
    now += 300;
    timers.fire();
    expect(written).toEqual([11_300, 11_600]);
    await lease.stop();
    expect(timers.pending).toEqual([]);
    lease.start();
    expect(timers.pending).toEqual([]);
  });

  it("should resolve stop() only once a renewal in flight has settled, failed or not (a claim's patch comes after it)", async () => {
    const timers = manualTimers();
    let finish!: (error?: Error) => void;
    const lease = new PoolLease({
      renewMs: 1,
      timer: timers.timer,
      write: () => new Promise<void>((resolve, reject) => (finish = error => (error ? reject(error) : resolve())))
    });
    lease.start();
    timers.fire();
    let stopped = false;
    const stopping = lease.stop().then(() => (stopped = true));
    await new Promise(resolve => setImmediate(resolve));
    expect(stopped).toBe(false);
    finish(new Error('API down'));
    await stopping;
    expect(stopped).toBe(true);
    expect(timers.pending).toEqual([]);
  });
});
