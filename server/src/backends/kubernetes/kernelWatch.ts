/**
 * Kernels other gateway replicas start (issue 13, item 4): driver pods that get running after
 * `discover`, offered once each (by uid) unless the gateway knows the kernel already (then offered
 * again at the pod's next change). Only running pods no gateway is stopping and no unclaimed warm
 * pool drivers (offered once claimed); nothing is deleted.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { DiscoveredKernel, KernelWatchListener } from '../types.js';
import { ANNOTATIONS, LABELS } from './labels.js';
import { driverState } from './podStatus.js';
import type { PodSource } from './types.js';

export interface WatchDriversOptions {
  pods: PodSource;
  namespaces: readonly string[];
  listener: KernelWatchListener;
  /** Reads one driver pod's record and Secret as a kernel to adopt; null when it cannot be. */
  read: (namespace: string, pod: V1Pod) => Promise<DiscoveredKernel | null>;
}

/** Starts offering; returns the stop. */
export function watchDrivers(options: WatchDriversOptions): () => void {
  const { pods, listener, read } = options;
  const watched = new Set(options.namespaces);
  const offered = new Set<string>();
  let stopped = false;
  const offer = (pod: V1Pod, deleted: boolean): void => {
    const m = pod.metadata;
    const uid = m?.uid ?? '';
    if (deleted) {
      offered.delete(uid);
      return;
    }
    const kernelId = m?.labels?.[LABELS.kernelId] ?? '';
    if (!watched.has(m?.namespace ?? '') || m?.labels?.[LABELS.component] !== 'driver' || m.deletionTimestamp || m.annotations?.[ANNOTATIONS.stopped] !== undefined) {
      return;
    }
    // An unclaimed pool driver is nobody's kernel yet; its claim is a change, offered then.
    if (offered.has(uid) || m.annotations?.[ANNOTATIONS.pool] !== undefined || driverState(pod).kind !== 'running' || listener.known(kernelId)) {
      return;
    }
    offered.add(uid);
    void read(m.namespace ?? '', pod).then(
      found => {
        if (found && !stopped && !listener.known(found.kernelId)) {
          listener.found(found);
        }
      },
      () => offered.delete(uid)
    );
  };
  pods.on('pod', offer);
  for (const namespace of watched) {
    for (const pod of pods.list(namespace, 'driver')) {
      offer(pod, false);
    }
  }
  return () => {
    stopped = true;
    pods.off('pod', offer);
  };
}
