/**
 * kube-apiserver stopped for 30 s and started again under a running gateway (issue 13, item 5),
 * on the real control plane.
 *
 * The node-monitor grace (20 s, leases renewed every 2 s) is shorter than the outage on purpose:
 * kube-controller-manager then takes the node for lost as soon as the API server is back (no lease
 * could be renewed meanwhile) and marks its pods not ready — what a real cluster does after an
 * outage longer than its grace (40-50 s by default, less with the controllers' own reconnect
 * back-off). The kernels must survive that report: their pods still answer. The node agent does
 * not post node status again by itself, so the test does, as a kubelet would once it reaches the
 * API again (`reportNodeReady`, here rather than in support/); then the node takes pods again.
 */
import { describe, expect, it } from '@jest/globals';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { createLogger } from '../../server/src/log.js';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { waitUntil } from '../support/waitFor.js';
import { createPod, shellPod, waitForPod } from './harness/index.js';
import { KUBERNETES_SECTION } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const ALICE = 'alice-token-0123456789abcdef';
const NS = 'tenant-a';
const NODE = 'cpu-1';
const KERNEL_ID = 'sparkgate.io/kernel-id';
/** The outage, from the stop to the restart. */
const OUTAGE_MS = 30_000;
const NODE_GRACE_S = 20;

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
  const k8s = useCluster({
    nodes: [{ name: NODE }],
    leaseRenewMs: 2000,
    nodeMonitorGracePeriodSeconds: NODE_GRACE_S,
    ...(process.env.SPARKGATE_TEST_LOG ? { log: (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) } : {}),
    gateway: { config: CONFIG, tenants: { [NS]: {} }, logger }
  });
  const { call } = k8s;

  const driverOf = async (kernelId: string): Promise<V1Pod> => {
    const [pod] = (await k8s.core.listNamespacedPod({ namespace: NS, labelSelector: `${KERNEL_ID}=${kernelId},app.kubernetes.io/component=driver` })).items;
    if (!pod) {
      throw new Error(`no driver pod for kernel ${kernelId}`);
    }
    return pod;
  };
  const condition = (pod: V1Pod, type: string): string | undefined => pod.status?.conditions?.find(c => c.type === type)?.status;
  const start = async (name: string): Promise<string> => {
    const res = await call(ALICE, 'POST', '/api/kernels', { name });
    expect({ status: res.status, message: res.status === 201 ? '' : res.body.message }).toEqual({ status: 201, message: '' });
    return res.body.id as string;
  };
  const ids = async (): Promise<string[]> => ((await call(ALICE, 'GET', '/api/kernels')).body as unknown as Array<{ id: string }>).map(k => k.id).sort();
  const state = async (id: string): Promise<string> => (await call(ALICE, 'GET', `/api/kernels/${id}`)).body.execution_state as string;
  const runs = async (id: string): Promise<void> => {
    const socket = await KernelSocket.open(k8s.gw.wsUrl, id, ALICE);
    try {
      expect((await socket.execute('1+1', 60_000)).result).toBe('2');
    } finally {
      socket.close();
    }
  };
  const launchFails = async (): Promise<void> => {
    const res = await call(ALICE, 'POST', '/api/kernels', { name: 'python' });
    expect({ status: res.status, message: res.body.message as string }).toEqual({
      status: 503,
      message: expect.stringContaining(`Kubernetes API unreachable (API server ${k8s.cluster.server})`)
    });
  };
  /** What a kubelet posts once it reaches the API server again: its node is Ready (the node controller then lifts its taints). */
  const reportNodeReady = async (): Promise<void> => {
    const now = new Date();
    await k8s.core.patchNodeStatus(
      {
        name: NODE,
        body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }] } }
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
    );
  };

  it('should ride out a 30 s kube-apiserver outage: 503 naming the API for launches meanwhile, no kernel lost or doubled, pod deletions during and right after it seen, kept kernels still run code although the node was reported lost', async () => {
    const keep = await start('python');
    const doomed = await start('python');
    const late = await start('python');
    const doomedPod = (await driverOf(doomed)).metadata!.name!;
    const latePod = (await driverOf(late)).metadata!.name!;
    const before = await ids();
    expect(before).toEqual([keep, doomed, late].sort());
    // Their pods read Ready in the API (the node agent reports readiness), as any kernel's that ran a while.
    for (const id of before) {
      await waitUntil(async () => condition(await driverOf(id), 'Ready') === 'True', { timeoutMs: 30_000, what: `kernel ${id}'s driver pod Ready` });
    }
    const logged = log.length;

    const stoppedAt = Date.now();
    await k8s.cluster.stopApiServer();
    // Changed while the gateway's API server is away (as through another API server of an HA
    // control plane): the doomed kernel's pod is removed from etcd itself.
    const key = Buffer.from(`/registry/pods/${NS}/${doomedPod}`).toString('base64');
    const removed = await fetch(`${k8s.cluster.etcdUrl}/v3/kv/deleterange`, { method: 'POST', body: JSON.stringify({ key }) });
    expect(((await removed.json()) as { deleted?: string }).deleted).toBe('1');
    await waitUntil(() => log.slice(logged).some(l => l.component === 'podWatch' && l.level === 'error'), { timeoutMs: 30_000, what: 'the pod watch failing' });
    await launchFails();
    // Kernels keep running code meanwhile (ZeroMQ goes to the pods) and are all listed, from memory, throughout.
    await runs(keep);
    await waitUntil(
      async () => {
        expect(await ids()).toEqual(before);
        return Date.now() - stoppedAt >= OUTAGE_MS;
      },
      { timeoutMs: OUTAGE_MS + 30_000, intervalMs: 1000, what: `${OUTAGE_MS} ms of outage` }
    );
    await launchFails();
    expect(await state(keep)).toBe('idle');
    const restartAt = Date.now();
    await k8s.cluster.startApiServer();
    const back = Date.now();
    process.stderr.write(`faults: kube-apiserver down for ${back - stoppedAt} ms (stop to ready again; ${back - restartAt} ms of it its start)\n`);
    // Right after: a pod deleted through the API (seen only through a resumed watch).
    await k8s.core.deleteNamespacedPod({ name: latePod, namespace: NS, gracePeriodSeconds: 0 });

    // The watch resumes by itself (back-off capped at 30 s) and sees both pods gone.
    await waitUntil(async () => (await state(doomed)) === 'dead' && (await state(late)) === 'dead', {
      timeoutMs: 60_000,
      what: 'the kernels whose pods went during and right after the outage reported dead'
    });
    process.stderr.write(`faults: pods deleted during and right after the outage seen ${Date.now() - back} ms after the restart\n`);
    expect((await call(ALICE, 'GET', `/api/kernels/${doomed}`)).body.reason).toMatch(new RegExp(`driver pod ${NS}/${doomedPod} was deleted`));
    expect((await call(ALICE, 'GET', `/api/kernels/${late}`)).body.reason).toMatch(new RegExp(`driver pod ${NS}/${latePod} was deleted`));

    // The control plane takes the node for lost (no lease renewed for longer than its grace) and
    // marks the kept kernel's pod not ready; the gateway sees its pod still answer and keeps it.
    await waitUntil(
      async () => {
        const pod = await driverOf(keep);
        return condition(pod, 'Ready') === 'False' && condition(pod, 'ContainersReady') === 'True';
      },
      { timeoutMs: 60_000, intervalMs: 500, what: "the node controller marking the kept kernel's pod not ready" }
    );
    process.stderr.write(`faults: kept pod marked not ready by the node controller (seen ${Date.now() - back} ms after the restart)\n`);
    await waitUntil(() => log.slice(logged).some(l => l.kernel === keep && String(l.message).startsWith('node reported lost but the kernel answers')), {
      timeoutMs: 30_000,
      what: 'the gateway checking the kept kernel on its reported-lost node'
    });
    expect(await state(keep)).toBe('idle');
    await runs(keep);

    // Its kubelet reports again: the node takes new pods, and a launch works.
    await reportNodeReady();
    await waitUntil(async () => !((await k8s.core.readNode({ name: NODE })).spec?.taints ?? []).length, { timeoutMs: 60_000, what: `node ${NODE} untainted` });
    // The scheduler learns of the lifted taint through its own watch, a moment later: a probe pod
    // placed on the node says it has (else the launch below can meet its stale "untolerated taint").
    await createPod(k8s.cluster, shellPod('schedulable-probe', 'true'));
    await waitForPod(k8s.cluster.kubeConfig, 'default', 'schedulable-probe', p => Boolean(p?.spec?.nodeName), 60_000, 'the scheduler placing a probe pod on the untainted node');
    await k8s.core.deleteNamespacedPod({ name: 'schedulable-probe', namespace: 'default', gracePeriodSeconds: 0 });
    const after = await start('python');
    const now = await ids();
    process.stderr.write(`faults: kernels before the outage ${before.length}, after ${now.length} (one launched after)\n`);
    expect(now).toEqual([...before, after].sort());
    await runs(after);
    await runs(keep);
    expect(await state(keep)).toBe('idle');
    for (const id of [keep, doomed, late, after]) {
      expect((await call(ALICE, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
    }
  }, 300_000);
});
