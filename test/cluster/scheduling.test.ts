import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { CoordinationV1Api, CoreV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Cluster } from './harness/cluster.js';
import { useCluster } from './support/useCluster.js';
import { createPod, gpuPod, markedGpuPod, readLog, shellPod } from './harness/pods.js';
import { waitFor, waitForPod, waitForPodDone, waitForPodReady } from './harness/wait.js';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { KUBERNETES_SECTION } from './support/sparkgate.js';
import { holdsWithin } from '../support/waitFor.js';

const discovery = fileURLToPath(new URL('./fixtures/gpu-discovery.sh', import.meta.url));
const NS = 'default';

describe('cluster/agent scheduling', () => {
  const k8s = useCluster({
      nodes: [
        { name: 'cpu-1', cpu: '4', memory: '16Gi' },
        { name: 'gpu-1', cpu: '8', memory: '32Gi', gpus: 2 }
      ],
      leaseRenewMs: 1_000
    });

  it('should register a CPU node and a tainted GPU node with nvidia.com/gpu capacity', async () => {
    const gpu = await k8s.core.readNode({ name: 'gpu-1' });
    expect(gpu.status?.capacity?.['nvidia.com/gpu']).toBe('2');
    expect(gpu.status?.allocatable?.['nvidia.com/gpu']).toBe('2');
    expect(gpu.spec?.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);
    const cpu = await k8s.core.readNode({ name: 'cpu-1' });
    expect(cpu.status?.capacity?.['nvidia.com/gpu']).toBeUndefined();
    expect(cpu.spec?.taints ?? []).toEqual([]);
    const coordination = k8s.cluster.kubeConfig.makeApiClient(CoordinationV1Api);
    const lease = await coordination.readNamespacedLease({ name: 'gpu-1', namespace: 'kube-node-lease' });
    expect(lease.spec?.holderIdentity).toBe('gpu-1');
    // The agent keeps renewing it (every second here), so node-lifecycle keeps the node Ready.
    const first = lease.metadata?.resourceVersion;
    const fieldSelector = 'metadata.name=gpu-1';
    const renewed = await waitFor<V1Lease>({
      kubeConfig: k8s.cluster.kubeConfig,
      path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
      list: () => coordination.listNamespacedLease({ namespace: 'kube-node-lease', fieldSelector }),
      fieldSelector,
      until: (l) => l !== undefined && l.metadata?.resourceVersion !== first,
      timeoutMs: 10_000,
      what: 'a renewal of the gpu-1 lease'
    });
    expect(new Date(renewed?.spec?.renewTime ?? 0).getTime()).toBeGreaterThan(new Date(lease.spec?.renewTime ?? 0).getTime());
  });

  it('should place GPU pods only on the GPU node, each with its own fake devices', async () => {
    await createPod(k8s.cluster, markedGpuPod('gpu-a', 1, discovery));
    await createPod(k8s.cluster, markedGpuPod('gpu-b', 1, discovery));
    const a = await waitForPodReady(k8s.cluster.kubeConfig, NS, 'gpu-a');
    const b = await waitForPodReady(k8s.cluster.kubeConfig, NS, 'gpu-b');
    expect(a.spec?.nodeName).toBe('gpu-1');
    expect(b.spec?.nodeName).toBe('gpu-1');
    const devA = k8s.cluster.agent.pod(NS, 'gpu-a')?.gpus ?? [];
    const devB = k8s.cluster.agent.pod(NS, 'gpu-b')?.gpus ?? [];
    expect(devA).toHaveLength(1);
    expect(devB).toHaveLength(1);
    expect(devA[0]).not.toBe(devB[0]);
    expect([...devA, ...devB].sort()).toEqual(['GPU-fake-gpu-1-0', 'GPU-fake-gpu-1-1']);
    // The discovery script prints what the agent assigned, in Spark's resource format.
    expect(readLog(k8s.cluster, NS, 'gpu-a')).toBe(`{"name":"gpu","addresses":["${devA[0]}"]}\n`);
    await k8s.core.deleteNamespacedPod({ name: 'gpu-a', namespace: NS, body: { gracePeriodSeconds: 0 } });
    await k8s.core.deleteNamespacedPod({ name: 'gpu-b', namespace: NS, body: { gracePeriodSeconds: 0 } });
    await waitForPod(k8s.cluster.kubeConfig, NS, 'gpu-a', (p) => p === undefined);
    await waitForPod(k8s.cluster.kubeConfig, NS, 'gpu-b', (p) => p === undefined);
  }, 60_000);

  it('should keep a pod asking for more GPUs than exist Pending as Unschedulable', async () => {
    await createPod(k8s.cluster, gpuPod('gpu-too-many', 3, 'exit 0'));
    const pod = await waitForPod(k8s.cluster.kubeConfig, NS, 'gpu-too-many', (p) =>
      (p?.status?.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.status === 'False')
    );
    const cond = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(pod?.status?.phase).toBe('Pending');
    expect(cond?.reason).toBe('Unschedulable');
    expect(cond?.message).toMatch(/^0\/2 nodes are available: .*Insufficient nvidia\.com\/gpu/);
    expect(pod?.spec?.nodeName).toBeUndefined();
  }, 60_000);

  it('should not place a GPU pod without the toleration', async () => {
    const pod = gpuPod('gpu-no-toleration', 1, 'exit 0');
    delete pod.spec?.tolerations;
    await createPod(k8s.cluster, pod);
    const seen = await waitForPod(k8s.cluster.kubeConfig, NS, 'gpu-no-toleration', (p) =>
      (p?.status?.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.status === 'False')
    );
    const message = seen?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message ?? '';
    expect(message).toContain('untolerated taint');
    expect(message).toContain('Insufficient nvidia.com/gpu');
  }, 60_000);

  it('should reject a pod over a requests.nvidia.com/gpu ResourceQuota', async () => {
    await k8s.core.createNamespace({ body: { metadata: { name: 'quota-test' } } });
    await k8s.core.createNamespacedResourceQuota({
      namespace: 'quota-test',
      body: { metadata: { name: 'gpus' }, spec: { hard: { 'requests.nvidia.com/gpu': '1' } } }
    });
    // Quota admission needs the quota controller to have computed usage first.
    await waitForQuotaSynced(k8s.cluster, 'quota-test', 'gpus');
    const err = await createPod(k8s.cluster, gpuPod('too-greedy', 2, 'exit 0'), 'quota-test').catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(403);
    expect(String((err as { body?: unknown }).body)).toContain('exceeded quota: gpus');
    expect(String((err as { body?: unknown }).body)).toContain('requests.nvidia.com/gpu=2');
    const ok = await createPod(k8s.cluster, gpuPod('fits', 1, 'exit 0'), 'quota-test');
    expect(ok.metadata?.name).toBe('fits');
  }, 60_000);

  it('should run a CPU-only pod on the CPU node', async () => {
    await createPod(k8s.cluster, shellPod('cpu-only', 'echo $NVIDIA_VISIBLE_DEVICES', { container: { resources: { requests: { cpu: '100m' } } } }));
    const pod = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'cpu-only');
    expect(pod.spec?.nodeName).toBe('cpu-1');
    expect(readLog(k8s.cluster, NS, 'cpu-only')).toBe('\n');
  }, 60_000);
});

const GWEN = 'gwen-token-0123456789abcdef';
const GPU_TENANT = 'tenant-gpu';

/** One row of `executors.list` as these tests read it. */
interface ExecutorRow {
  id: string | null;
  tasks: { active: number; completed: number; failed: number } | null;
  pod: string | null;
  node: string | null;
  state: string;
  reason: string | null;
  gpus: number;
  gpuAddresses: string[];
}

describe('cluster/gateway executors that wait for a GPU (issue 16 item 2)', () => {
  // Two executors of one GPU each, one GPU in the cluster: one runs, the scheduler holds the other.
  const k8s = useCluster({
    nodes: [
      { name: 'cpu-1', cpu: '4', memory: '16Gi' },
      { name: 'gpu-1', cpu: '8', memory: '32Gi', gpus: 1 }
    ],
    gateway: {
      config: `
users:
  - { name: gwen, tenant: gpu, token: ${GWEN} }
tenants:
  gpu: { namespace: ${GPU_TENANT}, limits: { gpus: 2, cores: 8, memory: 16g } }
profiles:
  two-gpu-executors:
    displayName: PySpark, two GPU executors
    driver: { cores: 0.5, memory: 768m, gpus: 0 }
    executors: { count: 2, cores: 1, memory: 512m, gpus: 1 }
kernels: { startTimeoutSeconds: 240, shutdownGraceSeconds: 10 }
${KUBERNETES_SECTION}`,
      tenants: { [GPU_TENANT]: { gpuQuota: 2 } }
    }
  });

  it("should list each executor with its pod and node, the waiting one with the scheduler's reason, the running one with Spark's id, GPU address and tasks", async () => {
    const res = await k8s.call(GWEN, 'POST', '/api/kernels', { name: 'two-gpu-executors' });
    expect([res.status, res.status === 201 ? '' : res.body]).toEqual([201, '']);
    const id = res.body.id as string;
    let list: ExecutorRow[] = [];
    let model: Record<string, unknown> = {};
    const split = (rows: ExecutorRow[]) => ({ running: rows.filter(r => r.state === 'running'), pending: rows.filter(r => r.state === 'pending') });
    const held = await holdsWithin(
      async () => {
        model = (await k8s.call(GWEN, 'GET', `/api/clusters/${id}`)).body;
        list = ((model.executors as { list?: ExecutorRow[] } | undefined)?.list ?? []) as ExecutorRow[];
        const { running, pending } = split(list);
        return running.length === 1 && pending.length === 1 && pending[0]!.reason !== null;
      },
      { timeoutMs: 240_000, intervalMs: 500 }
    );
    // The last model shows what was missing.
    expect({ held, model: held ? 'ok' : model }).toEqual({ held: true, model: 'ok' });
    const pods = (await k8s.core.listNamespacedPod({ namespace: GPU_TENANT, labelSelector: `sparkgate.io/kernel-id=${id},spark-role=executor` })).items;
    const names = pods.map(p => p.metadata!.name!).sort();
    const { running, pending } = split(list);
    // Rows are the executor pods: running first, then pending.
    expect(list.map(r => r.pod).sort()).toEqual(names);
    expect(list.map(r => r.state)).toEqual(['running', 'pending']);
    expect(running[0]).toMatchObject({ node: 'gpu-1', gpus: 1 });
    expect(pending[0]).toMatchObject({ node: null, gpus: 1, id: null });
    expect(pending[0]!.reason).toMatch(/^0\/2 nodes are available: .*Insufficient nvidia\.com\/gpu/);
    expect(model.executors).toMatchObject({ ready: 1, pending: 1, desired: 2, pendingReason: pending[0]!.reason });
    // A cell's tasks on the running executor: the Spark monitor asks Spark's executors while the
    // cell runs, and that row then carries Spark's id, the GPU address Spark discovered and tasks.
    const socket = await KernelSocket.open(k8s.gw.wsUrl, id, GWEN);
    try {
      const run = await socket.execute('import time\nprint(sc.parallelize(range(6), 6).map(lambda x: (time.sleep(2), x)[1]).count())', 180_000);
      expect([run.reply.content.status, run.stdout.trim()]).toEqual(['ok', '6']);
    } finally {
      socket.close();
    }
    const registered = await holdsWithin(
      async () => {
        model = (await k8s.call(GWEN, 'GET', `/api/clusters/${id}`)).body;
        list = ((model.executors as { list?: ExecutorRow[] } | undefined)?.list ?? []) as ExecutorRow[];
        return list[0]?.state === 'running' && list[0].id !== null && list[0].tasks !== null;
      },
      { timeoutMs: 60_000, intervalMs: 500 }
    );
    expect({ registered, model: registered ? 'ok' : model }).toEqual({ registered: true, model: 'ok' });
    expect(list[0]).toMatchObject({ pod: running[0]!.pod, node: 'gpu-1', gpuAddresses: ['GPU-fake-gpu-1-0'], tasks: { failed: 0 } });
    // Tasks as of the monitor's last ask, made while the cell ran.
    expect(list[0]!.tasks!.active + list[0]!.tasks!.completed).toBeGreaterThanOrEqual(1);
    expect(list[1]).toMatchObject({ pod: pending[0]!.pod, state: 'pending', id: null, tasks: null });
    process.stderr.write(`scheduling: executor rows ${JSON.stringify(list)}\n`);
    expect((await k8s.call(GWEN, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
  }, 300_000);
});

async function waitForQuotaSynced(cluster: Cluster, namespace: string, name: string): Promise<void> {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const fieldSelector = `metadata.name=${name}`;
  await waitFor({
    kubeConfig: cluster.kubeConfig,
    path: `/api/v1/namespaces/${namespace}/resourcequotas`,
    list: () => core.listNamespacedResourceQuota({ namespace, fieldSelector }),
    fieldSelector,
    until: (q) => q?.status?.hard !== undefined,
    timeoutMs: 30_000,
    what: `ResourceQuota ${namespace}/${name} status`
  });
}
