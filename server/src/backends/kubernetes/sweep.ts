/**
 * Orphan sweep of one namespace (issue 13, item 2): what sparkgate created there that no kernel
 * owns any more. `findOrphans` decides (pure); `sweepNamespace` lists, decides and deletes (each
 * by uid, so never a successor of the same name).
 *
 * #### Notes
 * Secrets, Services and NetworkPolicies are listed before pods: every one of them is created
 * after its owner pod, so its owner is in the later pod list unless it is really gone.
 * Kubernetes' garbage collector removes most of these by itself (ownerReferences); the sweep is
 * for clusters where it is slow or off, and for what it cannot know (pods no kernel record
 * knows). A running driver pod with a readable record and Secret is never removed unless this
 * gateway shut its kernel down: another gateway (or the next one) can adopt it. An unclaimed warm
 * pool driver is nobody's to adopt: it stays while its gateway renews its lease (poolLease.ts).
 */
import type { CoreV1Api, NetworkingV1Api, V1Pod } from '@kubernetes/client-node';
import type { SweptObject } from '../types.js';
import { apiStatus } from './apiErrors.js';
import { decodeDriverPod, poolHeldUntil } from './codec.js';
import { ANNOTATIONS, LABELS, MANAGED_SELECTOR } from './labels.js';
import { driverState } from './podStatus.js';

/** An object of the sweep's lists: the metadata the decision reads. */
export interface SweepItem {
  kind: 'Pod' | 'Secret' | 'Service' | 'NetworkPolicy';
  metadata?: V1Pod['metadata'];
}

/** What one namespace holds now, as the sweep lists it. */
export interface NamespaceSnapshot {
  namespace: string;
  /** Secrets, Services and NetworkPolicies labelled as sparkgate's (listed first). */
  owned: SweepItem[];
  /** Driver and executor pods (listed after `owned`). */
  pods: V1Pod[];
}

/** What decides a driver pod's fate besides the snapshot. */
export interface OrphanPolicy {
  /** Kernel ids the gateway holds (starting ones included). */
  known: ReadonlySet<string>;
  /** Uids of driver pods this gateway deleted when it shut their kernel down, and that are still there. */
  condemned: ReadonlySet<string>;
  now: number;
  /** A driver pod no record knows is left alone this long (a launch by another gateway is in flight). */
  graceMs: number;
}

/** One object to delete, with its uid and why. */
export interface Orphan extends SweptObject {
  kind: SweepItem['kind'];
  uid: string;
}

/** Pure: the orphans of a namespace snapshot. */
export function findOrphans(snapshot: NamespaceSnapshot, policy: OrphanPolicy): Orphan[] {
  const live = snapshot.pods.filter(p => !p.metadata?.deletionTimestamp);
  const podUids = new Map(snapshot.pods.map(p => [p.metadata?.uid ?? '', p.metadata?.name ?? '']));
  const orphans: Orphan[] = [];
  const add = (item: SweepItem, reason: string): void => {
    orphans.push({ kind: item.kind, namespace: snapshot.namespace, name: item.metadata?.name ?? '', uid: item.metadata?.uid ?? '', reason });
  };
  const ownerPod = (item: SweepItem) => item.metadata?.ownerReferences?.find(r => r.kind === 'Pod');
  for (const item of snapshot.owned) {
    const owner = ownerPod(item);
    if (!item.metadata?.deletionTimestamp && owner && !podUids.has(owner.uid)) {
      add(item, `its owner pod ${owner.name} (uid ${owner.uid}) is gone`);
    }
  }
  const secrets = new Set(snapshot.owned.filter(i => i.kind === 'Secret').map(i => `${i.metadata?.name}/${ownerPod(i)?.uid}`));
  for (const pod of live) {
    const component = pod.metadata?.labels?.[LABELS.component];
    const item: SweepItem = { kind: 'Pod', metadata: pod.metadata };
    if (component === 'executor') {
      const owner = ownerPod(item);
      if (owner && !podUids.has(owner.uid)) {
        add(item, `executor whose driver pod ${owner.name} is gone`);
      }
      continue;
    }
    if (component !== 'driver' || policy.known.has(pod.metadata?.labels?.[LABELS.kernelId] ?? '')) {
      continue;
    }
    const uid = pod.metadata?.uid ?? '';
    if (policy.condemned.has(uid)) {
      add(item, 'driver pod of a kernel shut down earlier (its delete had failed)');
      continue;
    }
    const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : policy.now;
    if (policy.now - created < policy.graceMs) {
      continue;
    }
    const poolUntil = poolHeldUntil(pod);
    if (poolUntil !== null) {
      // Another gateway's warm driver while it renews the lease; nobody's once it stopped (only it knew the pod).
      if (!(poolUntil > policy.now)) {
        const text = pod.metadata?.annotations?.[ANNOTATIONS.poolUntil];
        add(item, `unclaimed warm pool driver whose gateway stopped renewing it (${ANNOTATIONS.poolUntil} ${text === undefined ? 'missing' : text})`);
      }
      continue;
    }
    const record = decodeDriverPod(pod);
    const state = driverState(pod);
    if (!record.ok) {
      add(item, `driver pod without a kernel record whose labels cannot be read (${record.reason})`);
    } else if (state.kind !== 'running') {
      add(item, `driver pod without a kernel record, not running (${state.kind}): nobody can adopt it`);
    } else if (!secrets.has(`${pod.metadata?.name}/${uid}`)) {
      add(item, 'driver pod without a kernel record or connection Secret: nobody can adopt it');
    }
  }
  return orphans;
}

/** The API calls of a sweep: the real clients' methods, or fakes in tests. */
export interface SweepApi {
  core: Pick<
    CoreV1Api,
    'listNamespacedPod' | 'listNamespacedSecret' | 'listNamespacedService' | 'deleteNamespacedPod' | 'deleteNamespacedSecret' | 'deleteNamespacedService'
  >;
  networking: Pick<NetworkingV1Api, 'listNamespacedNetworkPolicy' | 'deleteNamespacedNetworkPolicy'>;
}

/** Lists what sparkgate made in `namespace`: owned objects first, then pods (see the module notes). */
export async function listSnapshot(api: SweepApi, namespace: string): Promise<NamespaceSnapshot> {
  const labelSelector = MANAGED_SELECTOR;
  const [secrets, services, policies] = await Promise.all([
    api.core.listNamespacedSecret({ namespace, labelSelector }),
    api.core.listNamespacedService({ namespace, labelSelector }),
    api.networking.listNamespacedNetworkPolicy({ namespace, labelSelector })
  ]);
  const pods = await api.core.listNamespacedPod({ namespace, labelSelector });
  return {
    namespace,
    owned: [
      ...secrets.items.map(s => ({ kind: 'Secret' as const, metadata: s.metadata })),
      ...services.items.map(s => ({ kind: 'Service' as const, metadata: s.metadata })),
      ...policies.items.map(p => ({ kind: 'NetworkPolicy' as const, metadata: p.metadata }))
    ],
    pods: pods.items
  };
}

/** Deletes one orphan by uid; false when it was gone already or the name now belongs to another object. */
export async function deleteOrphan(api: SweepApi, orphan: Orphan): Promise<boolean> {
  const target = { name: orphan.name, namespace: orphan.namespace, body: { preconditions: { uid: orphan.uid } } };
  try {
    switch (orphan.kind) {
      case 'Pod':
        await api.core.deleteNamespacedPod({ ...target, gracePeriodSeconds: 0 });
        break;
      case 'Secret':
        await api.core.deleteNamespacedSecret(target);
        break;
      case 'Service':
        await api.core.deleteNamespacedService(target);
        break;
      case 'NetworkPolicy':
        await api.networking.deleteNamespacedNetworkPolicy(target);
        break;
    }
    return true;
  } catch (error) {
    const code = apiStatus(error);
    if (code === 404 || code === 409) {
      return false;
    }
    throw error;
  }
}
