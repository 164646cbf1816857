/**
 * notebooks/gpu-executors.ipynb on the real control plane: launched from the shape stored in its
 * metadata, run cell by cell through the gateway on a driver pod with two fake-GPU executor pods,
 * while the `/status` stream tells the toolbar widget's story (executors pending, then 2/2 with 2 GPUs).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { io, type Socket } from 'socket.io-client';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { waitUntil } from '../support/waitFor.js';
import { KUBERNETES_SECTION, repoRoot, settle } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const TOKEN = 'dana-token-0123456789abcdef';
const KERNEL_ID = 'sparkgate.io/kernel-id';

const CONFIG = `
users:
  - { name: dana, tenant: ds, token: ${TOKEN} }
tenants:
  ds: { namespace: tenant-ds, limits: { gpus: 4, cores: 8, memory: 16g } }
profiles:
  pyspark-gpu:
    displayName: PySpark on GPUs
    driver: { cores: 0.5, memory: 768m, gpus: 0 }
    executors: { count: 2, cores: 1, memory: 512m, gpus: 1 }
kernels: { startTimeoutSeconds: 240, shutdownGraceSeconds: 10 }
${KUBERNETES_SECTION}`;

interface Notebook {
  metadata: { kernelspec: { name: string; display_name: string }; sparkgate: { profile: string; sizing: Record<string, unknown> } };
  cells: { cell_type: string; source: string | string[]; outputs?: unknown[] }[];
}

/** The fields of a `/status` `cluster` event this test reads. */
interface ClusterEvent {
  id: string;
  state: string;
  executors: { ready: number; pending: number; desired: number; pendingReason: string | null };
  gpus: { held: number };
  sparkUi: string | null;
}

describe('cluster/notebook gpu-executors.ipynb', () => {
  let status: Socket | undefined;
  let nb: Notebook;
  const events: ClusterEvent[] = [];
  const removed: string[] = [];
  // Declared before useCluster's hooks, so it runs first: the widget's socket closes before the gateway stops.
  afterAll(() => {
    status?.close();
  });
  const k8s = useCluster({
    nodes: [{ name: 'cpu-1' }, { name: 'gpu-1', gpus: 2 }],
    gateway: { config: CONFIG, tenants: { 'tenant-ds': { gpuQuota: 4 } } }
  });

  const call = (method: string, route: string, body?: unknown) => k8s.call(TOKEN, method, route, body);
  const podsOf = async (kernelId: string, component?: string): Promise<V1Pod[]> => {
    const selector = [`${KERNEL_ID}=${kernelId}`, component ? `app.kubernetes.io/component=${component}` : ''].filter(Boolean).join(',');
    return (await k8s.core.listNamespacedPod({ namespace: 'tenant-ds', labelSelector: selector })).items;
  };
  /** The end of the driver's log (the node agent's file), to show why a cell failed. */
  const driverLog = async (kernelId: string): Promise<string> => {
    const [pod] = await podsOf(kernelId, 'driver');
    const text = pod ? await readFile(k8s.cluster.agent.logFile('tenant-ds', pod.metadata!.name!, 'kernel'), 'utf8').catch(() => '') : '';
    return text.split('\n').slice(-40).join('\n');
  };

  beforeAll(async () => {
    nb = JSON.parse(await readFile(path.join(repoRoot, 'notebooks', 'gpu-executors.ipynb'), 'utf8')) as Notebook;
    // What the toolbar widget listens to, connected before the launch so no event is missed.
    const socket = io(`${k8s.gw.url}/status`, { path: '/socket.io', transports: ['websocket'], auth: { token: TOKEN }, reconnection: false });
    status = socket;
    socket.on('cluster', (c: ClusterEvent) => events.push(c));
    socket.on('cluster:removed', ({ id }: { id: string }) => removed.push(id));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
  }, 60_000);

  it('should be a clean nbformat 4 notebook for the pyspark-gpu kernelspec whose stored shape is the profile', async () => {
    expect(nb).toMatchObject({ nbformat: 4 });
    expect(nb.metadata.kernelspec).toMatchObject({ name: 'pyspark-gpu', display_name: 'PySpark on GPUs', language: 'python' });
    expect(nb.cells.filter(c => c.cell_type === 'code').every(c => c.outputs?.length === 0)).toBe(true);
    const spec = await call('GET', '/api/kernelspecs/pyspark-gpu');
    expect(spec.status).toBe(200);
    expect(spec.body.spec.display_name).toBe(nb.metadata.kernelspec.display_name);
    expect(nb.metadata.sparkgate).toEqual({ profile: 'pyspark-gpu', sizing: spec.body.spec.metadata.sparkgate.sizing });
  });

  it('should run every cell on two GPU executor pods, say the GPU was not used and why, and aggregate exactly', async () => {
    // Launched the way the extension relaunches a notebook's stored shape.
    const launched = await call('POST', '/api/clusters', nb.metadata.sparkgate);
    expect([launched.status, launched.status === 201 ? '' : launched.body]).toEqual([201, '']);
    const id = launched.body.id as string;
    expect(launched.body).toMatchObject({ profile: 'pyspark-gpu', kernelName: `pyspark-gpu--${id}`, displayName: 'PySpark on GPUs', sparkUi: `ui/${id}/` });
    await waitUntil(() => events.some(e => e.id === id && (e.state === 'ready' || e.state === 'failed')), { timeoutMs: 280_000, what: 'the cluster to be ready', intervalMs: 250 });
    expect(events.filter(e => e.id === id).at(-1)?.state).toBe('ready');

    const ws = await KernelSocket.open(k8s.gw.wsUrl, id, TOKEN);
    const cells: string[] = [];
    try {
      for (const cell of nb.cells.filter(c => c.cell_type === 'code')) {
        const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
        const run = await ws.execute(source, 400_000);
        const error = run.iopub.find(m => m.header.msg_type === 'error');
        const failed = run.reply.content.status !== 'ok' || error !== undefined;
        expect([source.slice(0, 60), run.reply.content.status, error?.content.evalue, failed ? await driverLog(id) : '']).toEqual([
          source.slice(0, 60),
          'ok',
          undefined,
          ''
        ]);
        cells.push(run.stdout);
      }
    } finally {
      ws.close();
    }
    expect(cells).toHaveLength(3);
    const [clusterCell, udfCell, aggCell] = cells.map(text => text.trim().split('\n')) as [string[], string[], string[]];

    // (a) Two executors, named as their pods, each with its own fake GPU.
    const executorPods = (await podsOf(id, 'executor')).filter(p => !p.metadata?.deletionTimestamp);
    const podNames = executorPods.map(p => p.metadata!.name!).sort();
    expect(podNames).toHaveLength(2);
    for (const pod of executorPods) {
      expect(pod.spec?.containers[0]?.resources?.limits?.['nvidia.com/gpu']).toBe('1');
      expect(pod.spec?.nodeName).toBe('gpu-1');
    }
    expect(clusterCell[0]).toBe('executors: 2 of 2');
    const perExecutor = clusterCell.slice(1).map(line => /^executor (\S+): GPU (\S+)$/.exec(line));
    expect(perExecutor.every(m => m !== null)).toBe(true);
    expect(perExecutor.map(m => m![1]).sort()).toEqual(podNames);
    const addresses = perExecutor.map(m => m![2]!);
    for (const a of addresses) {
      expect(a).toMatch(/^GPU-fake-gpu-1-[01]$/);
    }
    expect(new Set(addresses).size).toBe(2);
    const gpuOf = new Map(perExecutor.map(m => [m![1]!, m![2]!]));

    // (b) The CPU fallback, with the reason and the GPU each executor was assigned; never a claim of GPU use.
    const devices = udfCell.filter(l => l.startsWith('computed by: ')).map(l => l.slice('computed by: '.length));
    expect(devices.sort()).toEqual(addresses.map(a => `cpu fallback: no CUDA device (assigned ${a})`).sort());
    expect(udfCell).toContain('GPU used: no. NumPy on the CPU computed the result instead, because:');
    expect(udfCell.filter(l => l.startsWith('  - ')).sort()).toEqual(addresses.map(a => `  - no CUDA device (assigned ${a})`).sort());
    expect(udfCell.join('\n')).not.toMatch(/gpu \(cupy\)|GPU used: yes/);

    // (c) Exact aggregates: ids 0..999 in buckets id % 4, each the sum of its squares.
    for (let b = 0; b < 4; b++) {
      const sum = Array.from({ length: 250 }, (_, i) => (4 * i + b) ** 2).reduce((x, y) => x + y, 0);
      expect(aggCell).toContain(`bucket ${b}: rows=250 sum_of_squares=${sum}`);
    }
    expect(aggCell).toContain('sum of squares of 0..999: 332833500 (exact: 332833500)');
    const perDevice = aggCell.map(l => /^rows computed by cpu fallback: no CUDA device \(assigned (\S+)\): (\d+)$/.exec(l)).filter(m => m !== null);
    expect(perDevice.map(m => m[1]).sort()).toEqual([...gpuOf.values()].sort());
    expect(perDevice.reduce((n, m) => n + Number(m[2]), 0)).toBe(1000);

    // The widget's story: executors pending at first, then 2/2 holding 2 GPUs (none for the driver).
    const mine = events.filter(e => e.id === id);
    const pendingAt = mine.findIndex(e => e.executors.desired === 2 && e.executors.pending > 0);
    expect(pendingAt).toBeGreaterThanOrEqual(0);
    const fullAt = mine.findIndex((e, i) => i > pendingAt && e.executors.ready === 2);
    expect(mine[fullAt]).toMatchObject({ executors: { ready: 2, pending: 0, desired: 2 }, gpus: { held: 2 }, sparkUi: `ui/${id}/` });
    expect((await call('GET', `/api/clusters/${id}`)).body).toMatchObject({ executors: { ready: 2, pending: 0, desired: 2 }, gpus: { held: 2 } });

    // Shutting the kernel down removes its executor pods, and the widget hears of it.
    expect((await call('DELETE', `/api/kernels/${id}`)).status).toBe(204);
    const left = await settle(async () => (await podsOf(id)).map(p => p.metadata?.name), [], 30_000);
    expect(left).toEqual([]);
    await waitUntil(() => removed.includes(id), { timeoutMs: 10_000, what: 'cluster:removed', intervalMs: 250 });
  }, 900_000);
});
