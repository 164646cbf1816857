import { readFileSync } from 'node:fs';
import { CoreV1Api, type V1Container, type V1Pod } from '@kubernetes/client-node';
import type { Cluster } from './cluster.js';

/** Toleration GPU pods need for the GPU node's taint. */
export const GPU_TOLERATION = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' };

/** A one-container pod that runs `sh -c script` once (restartPolicy Never). */
export function shellPod(name: string, script: string, extra: { container?: Partial<V1Container>; spec?: Partial<NonNullable<V1Pod['spec']>>; metadata?: Partial<NonNullable<V1Pod['metadata']>> } = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...extra.metadata },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script], ...extra.container }],
      ...extra.spec
    }
  };
}

/**
 * A pod that runs `setup`, then marks itself ready (a file in an emptyDir that an exec
 * readinessProbe looks for) and stays up; Ready therefore means `setup` has run (a container
 * is otherwise Ready as soon as its process exists).
 */
export function markedPod(name: string, setup: string, container: Partial<V1Container> = {}, spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod {
  return shellPod(name, `${setup}; touch /var/run/sparkgate-marker/ready; while :; do sleep 0.1; done`, {
    container: {
      volumeMounts: [{ name: 'marker', mountPath: '/var/run/sparkgate-marker' }],
      readinessProbe: { exec: { command: ['test', '-f', '/var/run/sparkgate-marker/ready'] }, periodSeconds: 1 },
      ...container
    },
    spec: { volumes: [{ name: 'marker', emptyDir: {} }], ...spec }
  });
}

const gpuResources = (gpus: number) => ({ limits: { 'nvidia.com/gpu': String(gpus) }, requests: { 'nvidia.com/gpu': String(gpus) } });

/** A pod asking for `gpus` nvidia.com/gpu (requests = limits) with the GPU toleration. */
export function gpuPod(name: string, gpus: number, script: string): V1Pod {
  return shellPod(name, script, { container: { resources: gpuResources(gpus) }, spec: { tolerations: [GPU_TOLERATION] } });
}

/** {@link markedPod} asking for GPUs: Ready once `setup` ran. */
export function markedGpuPod(name: string, gpus: number, setup: string): V1Pod {
  return markedPod(name, setup, { resources: gpuResources(gpus) }, { tolerations: [GPU_TOLERATION] });
}

/** Creates a pod in a namespace (default: `default`) with the admin client. */
export async function createPod(cluster: Cluster, pod: V1Pod, namespace = 'default'): Promise<V1Pod> {
  return cluster.kubeConfig.makeApiClient(CoreV1Api).createNamespacedPod({ namespace, body: pod });
}

/** A container's log as written by the node agent. */
export function readLog(cluster: Cluster, namespace: string, name: string, container = 'main'): string {
  return readFileSync(cluster.agent.logFile(namespace, name, container), 'utf8');
}
