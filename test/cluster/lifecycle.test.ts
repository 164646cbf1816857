import { describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import type { Cluster } from './harness/cluster.js';
import { useCluster } from './support/useCluster.js';
import { createPod, markedPod, readLog, shellPod } from './harness/pods.js';
import { waitFor, waitForPod, waitForPodDone, waitForPodReady } from './harness/wait.js';

const NS = 'default';

describe('cluster/agent lifecycle', () => {
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }] });

  it('should delete gracefully: SIGTERM, then remove the pod', async () => {
    // Ready only once the TERM trap is set (exec readinessProbe inside the pod's mount namespace).
    await createPod(k8s.cluster, markedPod('graceful', "trap 'echo got SIGTERM; exit 0' TERM"));
    await waitForPodReady(k8s.cluster.kubeConfig, NS, 'graceful');
    await k8s.core.deleteNamespacedPod({ name: 'graceful', namespace: NS, body: { gracePeriodSeconds: 10 } });
    await waitForPod(k8s.cluster.kubeConfig, NS, 'graceful', (p) => p === undefined, 20_000);
    expect(readLog(k8s.cluster, NS, 'graceful')).toContain('got SIGTERM\n');
  }, 60_000);

  it('should SIGKILL a pod that ignores SIGTERM once the grace period is over', async () => {
    await createPod(k8s.cluster, markedPod('stubborn', "trap '' TERM"));
    await waitForPodReady(k8s.cluster.kubeConfig, NS, 'stubborn');
    const t0 = Date.now();
    await k8s.core.deleteNamespacedPod({ name: 'stubborn', namespace: NS, body: { gracePeriodSeconds: 1 } });
    const killed = await waitForPod(
      k8s.cluster.kubeConfig,
      NS,
      'stubborn',
      (p) => p === undefined || p.status?.containerStatuses?.[0]?.state?.terminated !== undefined,
      20_000
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    // The final status (written just before the final delete) shows the SIGKILL.
    if (killed) {
      expect(killed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(137);
    }
    await waitForPod(k8s.cluster.kubeConfig, NS, 'stubborn', (p) => p === undefined, 20_000);
  }, 60_000);

  it('should garbage-collect dependents when their owner pod is deleted', async () => {
    const owner = await createPod(k8s.cluster, shellPod('owner', 'exec sleep 600'));
    const ownerRef = { apiVersion: 'v1', kind: 'Pod', name: 'owner', uid: owner.metadata?.uid ?? '', controller: true };
    await createPod(k8s.cluster, shellPod('dependent-1', 'exec sleep 600', { metadata: { ownerReferences: [ownerRef] } }));
    await createPod(k8s.cluster, shellPod('dependent-2', 'exec sleep 600', { metadata: { ownerReferences: [ownerRef] } }));
    await waitForPodReady(k8s.cluster.kubeConfig, NS, 'dependent-1');
    await waitForPodReady(k8s.cluster.kubeConfig, NS, 'dependent-2');
    await k8s.core.deleteNamespacedPod({ name: 'owner', namespace: NS });
    await waitForPod(k8s.cluster.kubeConfig, NS, 'dependent-1', (p) => p === undefined, 60_000);
    await waitForPod(k8s.cluster.kubeConfig, NS, 'dependent-2', (p) => p === undefined, 60_000);
  }, 120_000);

  it('should run init containers in order before the main container', async () => {
    await createPod(
      k8s.cluster,
      shellPod('with-init', 'cat /var/run/sparkgate-work/order', {
        container: { volumeMounts: [{ name: 'work', mountPath: '/var/run/sparkgate-work' }] },
        spec: {
          volumes: [{ name: 'work', emptyDir: {} }],
          initContainers: [
            { name: 'first', image: 'busybox', command: ['sh', '-c', 'echo first >> /var/run/sparkgate-work/order'], volumeMounts: [{ name: 'work', mountPath: '/var/run/sparkgate-work' }] },
            { name: 'second', image: 'busybox', command: ['sh', '-c', 'echo second >> /var/run/sparkgate-work/order'], volumeMounts: [{ name: 'work', mountPath: '/var/run/sparkgate-work' }] }
          ]
        }
      })
    );
    const pod = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'with-init');
    expect(pod.status?.phase).toBe('Succeeded');
    expect(pod.status?.initContainerStatuses?.map((c) => [c.name, c.state?.terminated?.exitCode])).toEqual([
      ['first', 0],
      ['second', 0]
    ]);
    expect(readLog(k8s.cluster, NS, 'with-init')).toBe('first\nsecond\n');
  }, 60_000);

  it('should fail a Never pod whose init container fails, without running its containers', async () => {
    await createPod(
      k8s.cluster,
      shellPod('init-fails', 'echo must not run', {
        spec: { initContainers: [{ name: 'check', image: 'busybox', command: ['sh', '-c', 'exit 7'] }] }
      })
    );
    const pod = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'init-fails');
    expect(pod.status?.phase).toBe('Failed');
    expect(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(7);
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toBeUndefined();
  }, 60_000);

  it('should restart a failing container under restartPolicy OnFailure', async () => {
    // Fails on the first run, succeeds on the second (state kept in an emptyDir).
    await createPod(
      k8s.cluster,
      shellPod('flaky', 'if [ -f /var/run/sparkgate-state/ran ]; then echo second run; exit 0; fi; touch /var/run/sparkgate-state/ran; echo first run; exit 1', {
        container: { volumeMounts: [{ name: 'state', mountPath: '/var/run/sparkgate-state' }] },
        spec: { restartPolicy: 'OnFailure', volumes: [{ name: 'state', emptyDir: {} }] }
      })
    );
    const pod = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'flaky');
    expect(pod.status?.phase).toBe('Succeeded');
    const cs = pod.status?.containerStatuses?.[0];
    expect(cs?.restartCount).toBe(1);
    expect(cs?.lastState?.terminated?.exitCode).toBe(1);
    expect(readLog(k8s.cluster, NS, 'flaky')).toBe('first run\nsecond run\n');
  }, 60_000);

  it('should let a namespace with running pods be deleted', async () => {
    await k8s.core.createNamespace({ body: { metadata: { name: 'tenant-gone' } } });
    await waitForDefaultServiceAccount(k8s.cluster, 'tenant-gone');
    await createPod(k8s.cluster, shellPod('worker', 'exec sleep 600'), 'tenant-gone');
    await waitForPodReady(k8s.cluster.kubeConfig, 'tenant-gone', 'worker');
    await k8s.core.deleteNamespace({ name: 'tenant-gone' });
    // The namespace controller deletes the pod, the agent stops it and removes it, then the namespace goes.
    const fieldSelector = 'metadata.name=tenant-gone';
    await waitFor({
      kubeConfig: k8s.cluster.kubeConfig,
      path: '/api/v1/namespaces',
      list: () => k8s.core.listNamespace({ fieldSelector }),
      fieldSelector,
      until: (ns) => ns === undefined,
      timeoutMs: 60_000,
      what: 'namespace tenant-gone to be deleted',
      describe: (ns) => JSON.stringify(ns?.status)
    });
  }, 90_000);
});

async function waitForDefaultServiceAccount(cluster: Cluster, namespace: string): Promise<void> {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const fieldSelector = 'metadata.name=default';
  await waitFor({
    kubeConfig: cluster.kubeConfig,
    path: `/api/v1/namespaces/${namespace}/serviceaccounts`,
    list: () => core.listNamespacedServiceAccount({ namespace, fieldSelector }),
    fieldSelector,
    until: (sa) => sa !== undefined,
    timeoutMs: 30_000,
    what: `the default ServiceAccount of ${namespace}`
  });
}
