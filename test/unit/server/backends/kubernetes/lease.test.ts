// Leader election over a coordination.k8s.io/v1 Lease (issue 13, item 4), with a fake API that
// keeps one Lease and checks resourceVersion as the API server does, and a fake clock.
import { describe, expect, it } from '@jest/globals';
import type { V1Lease } from '@kubernetes/client-node';
import { LeaseElector, type LeaseApi } from '../../../../../server/src/backends/kubernetes/lease.js';
import { apiStatus, capturingLogger } from './fixtures.js';

/** One Lease in memory: create 409s when it exists, replace 409s on a stale resourceVersion. */
class FakeLeases implements LeaseApi {
  lease: V1Lease | null = null;
  failWith: Error | null = null;
  writes = 0;
  private _version = 0;

  async readNamespacedLease(): Promise<V1Lease> {
    if (this.failWith) {
      throw this.failWith;
    }
    if (!this.lease) {
      throw apiStatus(404, 'leases "sparkgate-gateway" not found');
    }
    return structuredClone(this.lease);
  }

  async createNamespacedLease({ body }: { namespace: string; body: V1Lease }): Promise<V1Lease> {
    if (this.lease) {
      throw apiStatus(409, 'already exists');
    }
    return this._store(body);
  }

  async replaceNamespacedLease({ body }: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease> {
    if (body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) {
      throw apiStatus(409, 'the object has been modified');
    }
    return this._store(body);
  }

  private _store(body: V1Lease): V1Lease {
    this.writes++;
    this.lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++this._version) } };
    return structuredClone(this.lease);
  }
}

function replica(api: LeaseApi, holder: string, clock: { now: number }) {
  const { logger, lines } = capturingLogger();
  const elector = new LeaseElector({ api, namespace: 'sparkgate', name: 'sparkgate-gateway', holder, durationSeconds: 15, logger, now: () => clock.now, timer: () => () => undefined });
  return { elector, lines };
}

describe('LeaseElector', () => {
  it('should let exactly one of two replicas lead, and keep it leading while it renews', async () => {
    const api = new FakeLeases();
    const clock = { now: 1_000_000 };
    const a = replica(api, 'gw-a', clock);
    const b = replica(api, 'gw-b', clock);
    expect(await a.elector.tryOnce()).toBe(true);
    expect(await b.elector.tryOnce()).toBe(false);
    expect(api.lease?.spec).toMatchObject({ holderIdentity: 'gw-a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    // MicroTime as the API server parses it (six fraction digits; a Date would go out with three and get 400).
    expect(String(api.lease?.spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    for (let i = 0; i < 5; i++) {
      clock.now += 5000;
      expect(await a.elector.tryOnce()).toBe(true);
      expect(await b.elector.tryOnce()).toBe(false);
    }
    expect([a.elector.isLeader(), b.elector.isLeader()]).toEqual([true, false]);
    expect(a.lines.filter(l => String(l.message).startsWith('leading')).length).toBe(1);
  });

  it("should hand over once the leader stops renewing for a whole duration, by the follower's clock", async () => {
    const api = new FakeLeases();
    const clock = { now: 1_000_000 };
    const a = replica(api, 'gw-a', clock);
    const b = replica(api, 'gw-b', clock);
    await a.elector.tryOnce();
    expect(await b.elector.tryOnce()).toBe(false);
    clock.now += 14_000;
    expect(await b.elector.tryOnce()).toBe(false);
    // The old leader steps down by its own clock before anyone may take over.
    expect(a.elector.isLeader()).toBe(true);
    clock.now += 1000;
    expect(a.elector.isLeader()).toBe(false);
    expect(await b.elector.tryOnce()).toBe(true);
    expect(api.lease?.spec).toMatchObject({ holderIdentity: 'gw-b', leaseTransitions: 1 });
    expect(await a.elector.tryOnce()).toBe(false);
  });

  it("should judge expiry by when the record last changed here, not by the holder's renewTime (clock skew)", async () => {
    const api = new FakeLeases();
    const clock = { now: 1_000_000 };
    const skewed = replica(api, 'gw-a', { now: 1_000_000 - 3_600_000 }); // an hour behind
    await skewed.elector.tryOnce();
    const b = replica(api, 'gw-b', clock);
    expect(await b.elector.tryOnce()).toBe(false);
  });

  it('should let only one of two replicas win a race for a free Lease (409 for the other)', async () => {
    const api = new FakeLeases();
    const clock = { now: 1_000_000 };
    const results = await Promise.all([replica(api, 'gw-a', clock).elector.tryOnce(), replica(api, 'gw-b', clock).elector.tryOnce()]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('should release on stop, so the other replica takes over at once', async () => {
    const api = new FakeLeases();
    const clock = { now: 1_000_000 };
    const a = replica(api, 'gw-a', clock);
    const b = replica(api, 'gw-b', clock);
    await a.elector.tryOnce();
    await b.elector.tryOnce();
    await a.elector.stop();
    expect(api.lease?.spec?.holderIdentity).toBe('');
    expect(a.elector.isLeader()).toBe(false);
    expect(await b.elector.tryOnce()).toBe(true);
  });

  it('should step down when it cannot renew, log why, and never reject', async () => {
    const api = new FakeLeases();
    const clock = { now: 1_000_000 };
    const a = replica(api, 'gw-a', clock);
    await a.elector.tryOnce();
    api.failWith = apiStatus(403, 'leases.coordination.k8s.io "sparkgate-gateway" is forbidden');
    clock.now += 5000;
    expect(await a.elector.tryOnce()).toBe(true); // still within the duration
    clock.now += 10_000;
    expect(await a.elector.tryOnce()).toBe(false);
    expect(a.lines.find(l => l.level === 'warn')).toMatchObject({ message: 'could not read or write the leader Lease', lease: 'sparkgate/sparkgate-gateway' });
  });
});
