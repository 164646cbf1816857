import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { buildDriverObjects, driverPodName } from '../../../../../server/src/backends/kubernetes/objects.js';
import { deleteOrphan, findOrphans, type NamespaceSnapshot, type SweepApi, type SweepItem } from '../../../../../server/src/backends/kubernetes/sweep.js';
import { apiStatus, config, podAt, sizing } from './fixtures.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const GRACE = 600_000;
const old = new Date(NOW - GRACE - 1);

const driverFor = (kernelId: string, uid: string, created = old): V1Pod => {
  const objects = buildDriverObjects({
    kernelId,
    podName: driverPodName(kernelId, 'abcde'),
    namespace: 'tenant-a',
    user: 'alice',
    tenant: 'a',
    profile: 'python',
    kernelName: 'python',
    spark: false,
    sizing: sizing(0, 0),
    key: 'f'.repeat(64),
    env: {},
    config
  });
  return { ...objects.pod, metadata: { ...objects.pod.metadata, uid, creationTimestamp: created } };
};
const owned = (kind: SweepItem['kind'], name: string, ownerUid: string): SweepItem => ({
  kind,
  metadata: { name, uid: `uid-${kind}-${name}`, ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name, uid: ownerUid }] }
});
const executor = (name: string, ownerUid: string): V1Pod => ({
  metadata: {
    name,
    uid: `uid-${name}`,
    labels: { 'app.kubernetes.io/component': 'executor' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'sg-driver', uid: ownerUid }]
  }
});
const policy = (known: string[] = [], condemned: string[] = []) => ({ known: new Set(known), condemned: new Set(condemned), now: NOW, graceMs: GRACE });
const ID = (n: number) => `0000000${n}-0000-4000-8000-000000000000`;
const names = (snapshot: NamespaceSnapshot, p = policy()) => findOrphans(snapshot, p).map(o => `${o.kind} ${o.name}: ${o.reason}`);

describe('k8s/sweep', () => {
  describe('findOrphans()', () => {
    it("should find Secrets, Services and NetworkPolicies whose owner pod is gone, and executors whose driver is gone", () => {
      const live = podAt.running(driverFor(ID(1), 'uid-live'));
      const snapshot: NamespaceSnapshot = {
        namespace: 'tenant-a',
        owned: [owned('Secret', 'sg-live', 'uid-live'), owned('Secret', 'sg-gone', 'uid-gone'), owned('Service', 'sg-gone', 'uid-gone'), owned('NetworkPolicy', 'sg-gone-own', 'uid-gone')],
        pods: [live, executor('e-live', 'uid-live'), executor('e-gone', 'uid-gone')]
      };
      expect(names(snapshot, policy([ID(1)]))).toEqual([
        'Secret sg-gone: its owner pod sg-gone (uid uid-gone) is gone',
        'Service sg-gone: its owner pod sg-gone (uid uid-gone) is gone',
        'NetworkPolicy sg-gone-own: its owner pod sg-gone-own (uid uid-gone) is gone',
        'Pod e-gone: executor whose driver pod sg-driver is gone'
      ]);
    });

    it('should remove driver pods no record knows that nobody can adopt, once past the grace, and never an adoptable one', () => {
      const adoptable = podAt.running(driverFor(ID(1), 'uid-1'));
      const pending = podAt.scheduled(driverFor(ID(2), 'uid-2'));
      const young = podAt.scheduled(driverFor(ID(3), 'uid-3', new Date(NOW - 1000)));
      const noSecret = podAt.running(driverFor(ID(4), 'uid-4'));
      const known = podAt.scheduled(driverFor(ID(5), 'uid-5'));
      const unreadable: V1Pod = { ...adoptable, metadata: { ...adoptable.metadata, name: 'sg-bad', uid: 'uid-6', annotations: {}, labels: { ...adoptable.metadata?.labels, 'sparkgate.io/kernel-id': ID(6) } } };
      const terminating: V1Pod = { ...pending, metadata: { ...pending.metadata, name: 'sg-t', uid: 'uid-7', deletionTimestamp: new Date(NOW) } };
      const snapshot: NamespaceSnapshot = {
        namespace: 'tenant-a',
        owned: [owned('Secret', adoptable.metadata!.name!, 'uid-1')],
        pods: [adoptable, pending, young, noSecret, known, unreadable, terminating]
      };
      const found = names(snapshot, policy([ID(5)]));
      expect(found).toEqual([
        `Pod ${pending.metadata!.name}: driver pod without a kernel record, not running (scheduled): nobody can adopt it`,
        `Pod ${noSecret.metadata!.name}: driver pod without a kernel record or connection Secret: nobody can adopt it`,
        expect.stringMatching(/^Pod sg-bad: driver pod without a kernel record whose labels cannot be read/)
      ]);
    });

    it('should remove a running driver pod whose kernel this gateway shut down when its delete had failed', () => {
      const pod = podAt.running(driverFor(ID(1), 'uid-1', new Date(NOW)));
      const snapshot: NamespaceSnapshot = { namespace: 'tenant-a', owned: [owned('Secret', pod.metadata!.name!, 'uid-1')], pods: [pod] };
      expect(names(snapshot)).toEqual([]);
      expect(names(snapshot, policy([], ['uid-1']))).toEqual([`Pod ${pod.metadata!.name}: driver pod of a kernel shut down earlier (its delete had failed)`]);
    });
  });

  describe('findOrphans() of warm pool drivers (issue 15)', () => {
    const warm = (kernelId: string, uid: string, until: string | undefined, created = old): V1Pod => {
      const pod = podAt.running(driverFor(kernelId, uid, created));
      const { 'sparkgate.io/user': _user, ...annotations } = pod.metadata!.annotations!;
      return {
        ...pod,
        metadata: { ...pod.metadata, annotations: { ...annotations, 'sparkgate.io/pool': 'warm', ...(until === undefined ? {} : { 'sparkgate.io/pool-until': until }) } }
      };
    };

    it("should keep another gateway's pool driver while its lease runs, and remove it once its gateway stopped renewing", () => {
      const held = warm(ID(1), 'uid-1', new Date(NOW + 1).toISOString());
      const lapsed = warm(ID(2), 'uid-2', new Date(NOW).toISOString());
      const noLease = warm(ID(3), 'uid-3', undefined);
      const garbled = warm(ID(4), 'uid-4', 'tomorrow');
      const known = warm(ID(5), 'uid-5', new Date(NOW - 60_000).toISOString());
      const young = warm(ID(6), 'uid-6', undefined, new Date(NOW - 1000));
      const pendingHeld = podAt.scheduled({ ...held, metadata: { ...held.metadata, name: 'sg-pend', uid: 'uid-7' } });
      const snapshot: NamespaceSnapshot = {
        namespace: 'tenant-a',
        owned: [held, lapsed, noLease, garbled, known].map(p => owned('Secret', p.metadata!.name!, p.metadata!.uid!)),
        pods: [held, lapsed, noLease, garbled, known, young, pendingHeld]
      };
      expect(names(snapshot, policy([ID(5)]))).toEqual([
        `Pod ${lapsed.metadata!.name}: unclaimed warm pool driver whose gateway stopped renewing it (sparkgate.io/pool-until ${new Date(NOW).toISOString()})`,
        `Pod ${noLease.metadata!.name}: unclaimed warm pool driver whose gateway stopped renewing it (sparkgate.io/pool-until missing)`,
        `Pod ${garbled.metadata!.name}: unclaimed warm pool driver whose gateway stopped renewing it (sparkgate.io/pool-until tomorrow)`
      ]);
    });

    it('should remove a pool driver this gateway shut down whose delete had failed, lease or not', () => {
      const held = warm(ID(1), 'uid-1', new Date(NOW + 60_000).toISOString());
      const snapshot: NamespaceSnapshot = { namespace: 'tenant-a', owned: [], pods: [held] };
      expect(names(snapshot, policy([], ['uid-1']))).toEqual([`Pod ${held.metadata!.name}: driver pod of a kernel shut down earlier (its delete had failed)`]);
    });
  });

  describe('deleteOrphan()', () => {
    it('should delete by uid and say false when it is gone already or the name is taken', async () => {
      const asked: unknown[] = [];
      const answers: unknown[] = [undefined, apiStatus(404, 'gone'), apiStatus(409, 'uid mismatch'), apiStatus(500, 'boom')];
      const call = async (request: unknown) => {
        asked.push(request);
        const answer = answers.shift();
        if (answer) {
          throw answer;
        }
        return {};
      };
      const api = { core: { deleteNamespacedPod: call, deleteNamespacedSecret: call }, networking: {} } as unknown as SweepApi;
      const orphan = { kind: 'Pod' as const, namespace: 'tenant-a', name: 'p', uid: 'u', reason: 'r' };
      expect(await deleteOrphan(api, orphan)).toBe(true);
      expect(asked[0]).toEqual({ name: 'p', namespace: 'tenant-a', body: { preconditions: { uid: 'u' } }, gracePeriodSeconds: 0 });
      expect(await deleteOrphan(api, { ...orphan, kind: 'Secret' })).toBe(false);
      expect(await deleteOrphan(api, orphan)).toBe(false);
      await expect(deleteOrphan(api, orphan)).rejects.toMatchObject({ code: 500 });
    });
  });
});
