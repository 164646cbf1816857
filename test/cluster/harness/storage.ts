/**
 * Dynamic provisioning for the test cluster (`startCluster({ storage: true })`): a default
 * StorageClass whose external provisioner runs here, in the test process, as a CSI
 * external-provisioner sidecar would. A claim of the class gets a hostPath PersistentVolume, a
 * folder under `<cluster dir>/storage/`, pre-bound to it by claimRef; the real
 * kube-controller-manager (PV controller) binds the pair and the node agent mounts the folder.
 */
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  CoreV1Api,
  ListWatch,
  StorageV1Api,
  Watch,
  type KubeConfig,
  type KubernetesObject,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim
} from '@kubernetes/client-node';

/** The default StorageClass `startCluster({ storage: true })` creates. */
export const STORAGE_CLASS = 'sparkgate-hostpath';
/** A second class of the same provisioner with Immediate binding: a claim is provisioned as soon as it exists. */
export const IMMEDIATE_STORAGE_CLASS = 'sparkgate-hostpath-immediate';
/** Their provisioner name (the PV controller hands the class's claims to it by annotation). */
export const PROVISIONER = 'sparkgate.io/hostpath';

/** Set by the PV controller on a claim it leaves to an external provisioner (once a node is selected, for WaitForFirstConsumer). */
const PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

export interface StorageProvisioner {
  /** Host folder of the volume bound to `namespace/claim`, or undefined while it has none. */
  hostPath(namespace: string, claim: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

const codeOf = (err: unknown): number | undefined => (err as { code?: number })?.code;

/** The PersistentVolume that provisions `claim` in `root` (pure). */
export function volumeFor(claim: V1PersistentVolumeClaim, root: string): V1PersistentVolume {
  const name = `pvc-${claim.metadata?.uid ?? ''}`;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [PROVISIONED_BY]: PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: claim.spec?.storageClassName ?? STORAGE_CLASS,
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata?.namespace,
        name: claim.metadata?.name,
        uid: claim.metadata?.uid
      },
      // No nodeAffinity: every fake node is this machine, so the folder is reachable from all of
      // them, as network storage would be.
      hostPath: { path: path.join(root, name), type: 'Directory' }
    }
  };
}

/**
 * Creates the default StorageClass (WaitForFirstConsumer, reclaim Delete) and an Immediate one, and provisions their
 * claims until `stop()`: one folder (mode 0777, as rancher's local-path-provisioner makes them, since
 * pods run as any uid and hostPath gets no fsGroup ownership) and one PV per claim; a Released PV
 * of its own is deleted with its folder. Resolves once both watches are synced.
 */
export async function startStorageProvisioner(options: { kubeConfig: KubeConfig; dir: string; log?: (line: string) => void }): Promise<StorageProvisioner> {
  const { kubeConfig } = options;
  const log = options.log ?? (() => undefined);
  const root = path.join(options.dir, 'storage');
  await mkdir(root, { recursive: true });
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const storage = kubeConfig.makeApiClient(StorageV1Api);
  for (const [name, volumeBindingMode, isDefault] of [
    [STORAGE_CLASS, 'WaitForFirstConsumer', 'true'],
    [IMMEDIATE_STORAGE_CLASS, 'Immediate', 'false']
  ]) {
    await storage.createStorageClass({
      body: { metadata: { name, annotations: { 'storageclass.kubernetes.io/is-default-class': isDefault } }, provisioner: PROVISIONER, reclaimPolicy: 'Delete', volumeBindingMode }
    });
  }
  let stopped = false;
  const busy = new Set<string>();

  const provision = async (claim: V1PersistentVolumeClaim): Promise<void> => {
    const uid = claim.metadata?.uid ?? '';
    if (claim.spec?.volumeName || claim.metadata?.annotations?.[PROVISIONER_ANNOTATION] !== PROVISIONER || busy.has(uid)) {
      return;
    }
    busy.add(uid);
    try {
      const pv = volumeFor(claim, root);
      const folder = pv.spec?.hostPath?.path ?? '';
      await mkdir(folder, { recursive: true });
      await chmod(folder, 0o777);
      await core.createPersistentVolume({ body: pv }).catch((err: unknown) => {
        if (codeOf(err) !== 409) {
          throw err;
        }
      });
      log(`storage: provisioned ${pv.metadata?.name} for ${claim.metadata?.namespace}/${claim.metadata?.name}`);
    } catch (err) {
      busy.delete(uid); // the next update of the claim (the PV controller resyncs it) tries again
      log(`storage: provisioning ${claim.metadata?.namespace}/${claim.metadata?.name} failed: ${String(err)}`);
    }
  };

  const reclaim = async (pv: V1PersistentVolume): Promise<void> => {
    if (pv.status?.phase !== 'Released' || pv.metadata?.annotations?.[PROVISIONED_BY] !== PROVISIONER || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') {
      return;
    }
    await rm(pv.spec?.hostPath?.path ?? '', { recursive: true, force: true });
    await core.deletePersistentVolume({ name: pv.metadata?.name ?? '' }).catch((err: unknown) => {
      if (codeOf(err) !== 404) {
        throw err;
      }
    });
    log(`storage: deleted released ${pv.metadata?.name}`);
  };

  const watched = <T extends KubernetesObject>(informer: ListWatch<T>, on: (obj: T) => Promise<void>): ListWatch<T> => {
    const handle = (obj: T): void => void on(obj).catch((err) => log(`storage: ${String(err)}`));
    informer.on('add', handle);
    informer.on('update', handle);
    informer.on('error', (err) => {
      if (stopped) {
        return;
      }
      log(`storage: a watch failed (${String(err)}); restarting`);
      setTimeout(() => void informer.start().catch(() => undefined), 500).unref();
    });
    return informer;
  };
  const claims = watched(
    new ListWatch<V1PersistentVolumeClaim>('/api/v1/persistentvolumeclaims', new Watch(kubeConfig), () => core.listPersistentVolumeClaimForAllNamespaces(), false),
    provision
  );
  const volumes = watched(new ListWatch<V1PersistentVolume>('/api/v1/persistentvolumes', new Watch(kubeConfig), () => core.listPersistentVolume(), false), reclaim);
  await Promise.all([claims.start(), volumes.start()]);

  return {
    async hostPath(namespace, name) {
      const claim = await core.readNamespacedPersistentVolumeClaim({ name, namespace });
      const volumeName = claim.spec?.volumeName;
      return volumeName ? (await core.readPersistentVolume({ name: volumeName })).spec?.hostPath?.path : undefined;
    },
    async stop() {
      stopped = true;
      await claims.stop();
      await volumes.stop();
    }
  };
}
