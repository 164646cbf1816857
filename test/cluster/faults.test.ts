/**
 * Faults on the real control plane, as a user sees them (issue 13, item 5): a driver pod deleted
 * by someone else, a node lost (kube-apiserver's outage is apiOutage.test.ts: a short node grace
 * would take the nodes away during it). One cluster for the
 * file; node-lifecycle runs with a 6 s grace (leases renewed every second) so a lost node is
 * noticed in seconds rather than the default 50.
 */
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { waitUntil } from '../support/waitFor.js';
import { shellPod } from './harness/index.js';
import { restrictedPod } from './harness/apply.js';
import { KUBERNETES_SECTION } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const ALICE = 'alice-token-0123456789abcdef';
const NS = 'tenant-a';
const KERNEL_ID = 'sparkgate.io/kernel-id';
const NODE_GRACE_S = 6;
/** The driver pods' NoExecute toleration of unreachable/not-ready nodes (`kubernetes.nodeLostSeconds`). */
const NODE_LOST_S = 2;

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
  python-gpu:
    displayName: Python on the GPU node, no Spark
    spark: false
    driver: { cores: 0.25, memory: 256m, gpus: 1 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
kernels: { startTimeoutSeconds: 120, shutdownGraceSeconds: 5 }
${KUBERNETES_SECTION}  nodeLostSeconds: ${NODE_LOST_S}
`;

describe('cluster/faults', () => {
  const k8s = useCluster({
    nodes: [{ name: 'cpu-1' }, { name: 'gpu-1', gpus: 1 }],
    leaseRenewMs: 1000,
    nodeMonitorGracePeriodSeconds: NODE_GRACE_S,
    gateway: { config: CONFIG, tenants: { [NS]: {} } }
  });
  const { call } = k8s;

  const pods = async (selector: string): Promise<V1Pod[]> => (await k8s.core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;
  const driverOf = async (kernelId: string): Promise<V1Pod> => {
    const [pod] = await pods(`${KERNEL_ID}=${kernelId},app.kubernetes.io/component=driver`);
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
  /** Resolves with the ms from `since` to the first iopub `dead` the socket hears. */
  const deadAfter = async (socket: KernelSocket, since: number, timeoutMs: number): Promise<number> => {
    await socket.waitFor(
      () => socket.received.some(m => m.channel === 'iopub' && m.header.msg_type === 'status' && m.content.execution_state === 'dead'),
      timeoutMs,
      'iopub status dead'
    );
    return Date.now() - since;
  };

  it('should tell the clients of a kernel whose driver pod was deleted that it is dead within 2 s, with the reason, and remove its executors', async () => {
    const id = await start('python');
    const driver = await driverOf(id);
    // Executors as Spark makes them: labelled with the kernel, owned by the driver pod.
    for (const i of [1, 2]) {
      await k8s.core.createNamespacedPod({
        namespace: NS,
        body: restrictedPod(shellPod(`${driver.metadata!.name}-exec-${i}`, 'sleep 3600', {
          metadata: {
            labels: { 'app.kubernetes.io/managed-by': 'sparkgate', 'app.kubernetes.io/component': 'executor', [KERNEL_ID]: id },
            ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: driver.metadata!.name!, uid: driver.metadata!.uid!, controller: true }]
          }
        }))
      });
    }
    await waitUntil(async () => (await pods(`${KERNEL_ID}=${id},app.kubernetes.io/component=executor`)).every(p => p.status?.phase === 'Running'), {
      timeoutMs: 30_000,
      what: 'the executors running'
    });
    const socket = await KernelSocket.open(k8s.gw.wsUrl, id, ALICE);
    try {
      const since = Date.now();
      // As an operator would: a plain delete, with the pod's grace period (20 s).
      await k8s.core.deleteNamespacedPod({ name: driver.metadata!.name!, namespace: NS });
      const ms = await deadAfter(socket, since, 10_000);
      process.stderr.write(`faults: driver pod deleted -> iopub dead after ${ms} ms\n`);
      expect(ms).toBeLessThan(2000);
    } finally {
      socket.close();
    }
    const model = await call(ALICE, 'GET', `/api/kernels/${id}`);
    expect(model.body).toMatchObject({ id, execution_state: 'dead' });
    expect(model.body.reason).toMatch(new RegExp(`driver pod ${NS}/${driver.metadata!.name} was deleted`));
    const since = Date.now();
    await waitUntil(async () => (await pods(`${KERNEL_ID}=${id}`)).length === 0, { timeoutMs: 30_000, what: "the kernel's driver and executor pods gone" });
    process.stderr.write(`faults: executors gone ${Date.now() - since} ms after dead\n`);
    expect((await call(ALICE, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
  }, 120_000);

  it('should report a kernel on a lost node dead with "node gpu-1 lost", not leave it busy', async () => {
    const id = await start('python-gpu');
    expect((await driverOf(id)).spec?.nodeName).toBe('gpu-1');
    const socket = await KernelSocket.open(k8s.gw.wsUrl, id, ALICE);
    try {
      // A long cell: the kernel is busy when its node goes.
      socket.send('shell', 'execute_request', { code: 'import time; time.sleep(600)', silent: false, store_history: true, user_expressions: {}, allow_stdin: false });
      await waitUntil(async () => (await call(ALICE, 'GET', `/api/kernels/${id}`)).body.execution_state === 'busy', { timeoutMs: 30_000, what: 'the kernel busy' });
      const since = Date.now();
      await k8s.cluster.agent.loseNode('gpu-1');
      const ms = await deadAfter(socket, since, NODE_GRACE_S * 1000 + 30_000);
      process.stderr.write(`faults: node lost -> iopub dead after ${ms} ms (node-monitor grace ${NODE_GRACE_S} s)\n`);
    } finally {
      socket.close();
    }
    const model = await call(ALICE, 'GET', `/api/kernels/${id}`);
    expect(model.body).toMatchObject({ id, execution_state: 'dead' });
    expect(model.body.reason).toMatch(/node gpu-1 lost/);
    expect((await call(ALICE, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
  }, 120_000);
});
