/**
 * kube-apiserver stopped and started again under a running gateway (issue 13, item 5), on the
 * real control plane with the default node-monitor grace (a short one, as in faults.test.ts,
 * would mark the nodes lost during the outage: their leases cannot be renewed meanwhile).
 *
 * The outage lasts until the gateway has seen it (its pod watch failed to restart and a launch
 * failed), not a fixed 30 s: from there on nothing changes with its length but the back-off
 * (capped at 30 s), and the test would only wait longer.
 */
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { createLogger } from '../../server/src/log.js';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { waitUntil } from '../support/waitFor.js';
import { KUBERNETES_SECTION } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const ALICE = 'alice-token-0123456789abcdef';
const NS = 'tenant-a';
const KERNEL_ID = 'sparkgate.io/kernel-id';

const CONFIG = `
users:
  - { name: alice, tenant: a, token: ${ALICE} }
tenants:
  a: { namespace: ${NS} }
profiles:
  python:
    displayName: Python in a driver pod, no Spark
    spark: false
    driver: { cores: 0.25, memory: 256m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
kernels: { startTimeoutSeconds: 120, shutdownGraceSeconds: 5 }
${KUBERNETES_SECTION}`;

describe('cluster/kube-apiserver outage', () => {
  const log: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    write: line => {
      log.push(JSON.parse(line) as Record<string, unknown>);
      if (process.env.SPARKGATE_TEST_LOG) {
        process.stderr.write(line + '\n');
      }
    }
  });
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }], gateway: { config: CONFIG, tenants: { [NS]: {} }, logger } });
  const { call } = k8s;

  const driverOf = async (kernelId: string): Promise<V1Pod> => {
    const [pod] = (await k8s.core.listNamespacedPod({ namespace: NS, labelSelector: `${KERNEL_ID}=${kernelId},app.kubernetes.io/component=driver` })).items;
    if (!pod) {
      throw new Error(`no driver pod for kernel ${kernelId}`);
    }
    return pod;
  };
  const start = async (name: string): Promise<string> => {
    const res = await call(ALICE, 'POST', '/api/kernels', { name });
    expect({ status: res.status, message: res.status === 201 ? '' : res.body.message }).toEqual({ status: 201, message: '' });
    return res.body.id as string;
  };

  it('should ride out a kube-apiserver outage: 503 naming the API for launches meanwhile, no kernel lost or doubled, a pod deleted meanwhile seen as gone', async () => {
    const keep = await start('python');
    const doomed = await start('python');
    const doomedPod = (await driverOf(doomed)).metadata!.name!;
    const ids = async (): Promise<string[]> => ((await call(ALICE, 'GET', '/api/kernels')).body as unknown as Array<{ id: string }>).map(k => k.id).sort();
    const before = await ids();
    expect(before).toEqual(expect.arrayContaining([keep, doomed]));
    const logged = log.length;

    const stoppedAt = Date.now();
    await k8s.cluster.stopApiServer();
    // Changed while the gateway's API server is away (as through another API server of an HA
    // control plane): the doomed kernel's pod is removed from etcd itself.
    const key = Buffer.from(`/registry/pods/${NS}/${doomedPod}`).toString('base64');
    const removed = await fetch(`${k8s.cluster.etcdUrl}/v3/kv/deleterange`, { method: 'POST', body: JSON.stringify({ key }) });
    expect(((await removed.json()) as { deleted?: string }).deleted).toBe('1');
    // The outage lasts until the gateway has seen it: its pod watch failed to restart (the
    // behaviour after that point does not change with the outage's length, only the back-off grows).
    await waitUntil(() => log.slice(logged).some(l => l.component === 'podWatch' && l.level === 'error'), { timeoutMs: 30_000, what: 'the pod watch failing' });
    const during = await call(ALICE, 'POST', '/api/kernels', { name: 'python' });
    expect(during.status).toBe(503);
    expect(during.body.message).toContain(`Kubernetes API unreachable (API server ${k8s.cluster.server})`);
    // Kernels are served from memory meanwhile, all of them.
    expect(await ids()).toEqual(before);
    await k8s.cluster.startApiServer();
    process.stderr.write(`faults: kube-apiserver down for ${Date.now() - stoppedAt} ms (stop to ready again)\n`);

    // The watch resumes by itself (back-off capped at 30 s) and sees the pod gone.
    const since = Date.now();
    await waitUntil(async () => (await call(ALICE, 'GET', `/api/kernels/${doomed}`)).body.execution_state === 'dead', {
      timeoutMs: 40_000,
      what: 'the kernel whose pod went during the outage reported dead'
    });
    process.stderr.write(`faults: pod deleted during the outage seen ${Date.now() - since} ms after the restart\n`);
    expect((await call(ALICE, 'GET', `/api/kernels/${doomed}`)).body.reason).toMatch(new RegExp(`driver pod ${NS}/${doomedPod} was deleted`));
    const after = await start('python');
    const now = await ids();
    process.stderr.write(`faults: kernels before the outage ${before.length}, after ${now.length} (one launched after)\n`);
    expect(now).toEqual([...before, after].sort());
    const socket = await KernelSocket.open(k8s.gw.wsUrl, keep, ALICE);
    try {
      expect((await socket.execute('1+1', 60_000)).result).toBe('2');
    } finally {
      socket.close();
    }
    for (const id of [keep, doomed, after]) {
      expect((await call(ALICE, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
    }
  }, 180_000);
});
