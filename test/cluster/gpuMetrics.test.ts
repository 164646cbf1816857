/**
 * GPU metrics without a GPU (issue 17 item 4): the node agent's fake DCGM exporter, labelled with the pods that
 * hold the fake GPUs and fed by what those pods write to their per-GPU state files, scraped by a real Prometheus.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { io, type Socket } from 'socket.io-client';
import type { GpuMetrics } from '@sparkgate/contract';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { waitUntil } from '../support/waitFor.js';
import { createPod, GPU_TOLERATION, markedPod, readLog, startPrometheus, waitForPod, waitForPodReady, type PrometheusServer, type PromSample } from './harness/index.js';
import { KUBERNETES_SECTION, startK8sGateway, type K8sGateway } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const OTHER_NS = 'tenant-b';

/** A pod holding one fake GPU, running as uid 185 without capabilities (as executors do), Ready once `setup` ran. */
function gpuUser(name: string, setup: string): V1Pod {
  return markedPod(
    name,
    setup,
    {
      resources: { limits: { 'nvidia.com/gpu': '1' }, requests: { 'nvidia.com/gpu': '1' } },
      securityContext: { runAsUser: 185, runAsGroup: 185, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }
    },
    { tolerations: [GPU_TOLERATION] }
  );
}

/** Shell that writes a state file atomically (a scrape never reads it half-written). */
const writeState = (body: string): string =>
  `printf '${body}' > "$FAKE_GPU_STATE_DIR/.tmp" && mv "$FAKE_GPU_STATE_DIR/.tmp" "$FAKE_GPU_STATE_DIR/$NVIDIA_VISIBLE_DEVICES"`;

const ANN = 'ann-token-0123456789abcdef';
const BEN = 'ben-token-0123456789abcdef';
const TEAM_A = 'team-a';
const TEAM_B = 'team-b';

/** The gateway's config: two GPU tenants, one GPU executor per kernel, GPU metrics from `prometheusUrl`. */
const gatewayConfig = (prometheusUrl: string): string => `
users:
  - { name: ann, tenant: a, token: ${ANN} }
  - { name: ben, tenant: b, token: ${BEN} }
tenants:
  a: { namespace: ${TEAM_A}, limits: { gpus: 1, cores: 4, memory: 8g } }
  b: { namespace: ${TEAM_B}, limits: { gpus: 1, cores: 4, memory: 8g } }
profiles:
  one-gpu-executor:
    displayName: PySpark, one GPU executor
    driver: { cores: 0.5, memory: 768m, gpus: 0 }
    executors: { count: 1, cores: 1, memory: 512m, gpus: 1 }
kernels: { startTimeoutSeconds: 240, shutdownGraceSeconds: 10 }
gpuMetrics: { prometheusUrl: '${prometheusUrl}', intervalSeconds: 1 }
${KUBERNETES_SECTION}`;

/**
 * A cell that starts, in a thread, a one-task job that "uses" its GPU: the task writes util/memory to the state file
 * of the GPU Spark gave it, holds it until the test drops a \`stop\` file next to it (bounded at 180 s), then clears it.
 */
const USE_GPU_CELL = (util: number, fbMiB: number): string => `
import os, threading, time
from pyspark import TaskContext

def _use_gpu(_):
    addr = TaskContext.get().resources()['gpu'].addresses[0]
    d = os.environ['FAKE_GPU_STATE_DIR']
    with open(os.path.join(d, '.tmp'), 'w') as f:
        f.write('util=${util}\\nfb_used_mib=${fbMiB}\\n')
    os.replace(os.path.join(d, '.tmp'), os.path.join(d, addr))
    deadline = time.time() + 180
    while time.time() < deadline and not os.path.exists(os.path.join(d, 'stop')):
        time.sleep(0.2)
    os.remove(os.path.join(d, addr))
    yield addr

_gpu_job = {}
_gpu_thread = threading.Thread(target=lambda: _gpu_job.update(addresses=sc.parallelize([0], 1).mapPartitions(_use_gpu).collect()))
_gpu_thread.start()
print('started')
`;

const one = (samples: PromSample[], what: string): PromSample => {
  if (samples.length !== 1) {
    throw new Error(`expected one series for ${what}, got ${JSON.stringify(samples)}`);
  }
  return samples[0];
};

describe('cluster/gpu metrics', () => {

  // sparkgateImages: the second part runs Spark kernels; shell pods run as before.
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }, { name: 'gpu-1', gpus: 2 }], gpuExporter: true, sparkgateImages: true });
  let prom: PrometheusServer;
  beforeAll(async () => {
    prom = await startPrometheus({ scrapeTargets: [k8s.cluster.gpuExporterTarget ?? ''], scrapeIntervalSeconds: 1, dir: k8s.cluster.dir });
  }, 180_000);
  afterAll(async () => {
    await prom?.stop();
  });

  /** Waits until Prometheus returns exactly one series for `expr` whose value is `value`. */
  const seriesWith = (expr: string, value: string, timeoutMs = 20_000): Promise<PromSample> =>
    waitUntil(
      async () => {
        const s = await prom.query(expr);
        return s.length === 1 && s[0].value[1] === value ? s[0] : undefined;
      },
      { timeoutMs, intervalMs: 250, what: `${expr} = ${value} in Prometheus` }
    );

  describe('fake DCGM exporter scraped by Prometheus', () => {
    afterAll(async () => {
      // The kernels of the next part need both GPUs.
      await k8s.core.deleteNamespacedPod({ name: 'other-user', namespace: OTHER_NS, gracePeriodSeconds: 0 }).catch(() => undefined);
      await waitForPod(k8s.cluster.kubeConfig, OTHER_NS, 'other-user', (p) => p === undefined);
    }, 60_000);

    it('should serve every fake GPU, unlabelled while free, and Prometheus scrape it', async () => {
      const text = await (await fetch(`${k8s.cluster.gpuExporterUrl}/metrics`)).text();
      for (const i of [0, 1]) {
        expect(text).toContain(
          `DCGM_FI_DEV_GPU_UTIL{gpu="${i}",UUID="GPU-fake-gpu-1-${i}",pci_bus_id="00000000:0${i + 1}:00.0",device="nvidia${i}",` +
            `modelName="Sparkgate Fake GPU 80GB",Hostname="gpu-1",container="",namespace="",pod=""} 0`
        );
      }
      const up = await waitUntil(async () => (await prom.query('up{job="dcgm-exporter"}')).find((s) => s.value[1] === '1'), {
        timeoutMs: 20_000,
        intervalMs: 250,
        what: 'Prometheus to scrape the exporter (up == 1)'
      });
      expect(up.metric.instance).toBe(k8s.cluster.gpuExporterTarget);
      const util = await waitUntil(async () => {
        const s = await prom.query('DCGM_FI_DEV_GPU_UTIL');
        return s.length === 2 ? s : undefined;
      }, { timeoutMs: 20_000, intervalMs: 250, what: 'both GPUs in Prometheus' });
      expect(util.map((s) => [s.metric.UUID, s.metric.pod ?? '(none)', s.value[1]]).sort()).toEqual([
        ['GPU-fake-gpu-1-0', '(none)', '0'],
        ['GPU-fake-gpu-1-1', '(none)', '0']
      ]);
      // What a query for the free GPUs looks like: an empty label matches series without it.
      expect(await prom.query('DCGM_FI_DEV_GPU_UTIL{pod=""}')).toHaveLength(2);
    }, 60_000);

    it("should label a GPU with the pod holding it and report the utilisation and memory the pod writes", async () => {
      await createPod(k8s.cluster, gpuUser('gpu-user', writeState('util=73\\nfb_used_mib=2048\\n')));
      await waitForPodReady(k8s.cluster.kubeConfig, 'default', 'gpu-user');
      const [mine] = k8s.cluster.agent.pod('default', 'gpu-user')?.gpus ?? [];
      expect(mine).toMatch(/^GPU-fake-gpu-1-[01]$/);
      const other = mine === 'GPU-fake-gpu-1-0' ? 'GPU-fake-gpu-1-1' : 'GPU-fake-gpu-1-0';

      const util = await seriesWith('DCGM_FI_DEV_GPU_UTIL{namespace="default",pod="gpu-user"}', '73');
      expect(util.metric).toMatchObject({ UUID: mine, container: 'main', Hostname: 'gpu-1', modelName: 'Sparkgate Fake GPU 80GB', job: 'dcgm-exporter' });
      expect(one(await prom.query('DCGM_FI_DEV_FB_USED{pod="gpu-user"}'), 'FB_USED').value[1]).toBe('2048');
      expect(one(await prom.query('DCGM_FI_DEV_FB_FREE{pod="gpu-user"}'), 'FB_FREE').value[1]).toBe(String(81_920 - 2048));
      expect(one(await prom.query('DCGM_FI_DEV_POWER_USAGE{pod="gpu-user"}'), 'POWER').value[1]).toBe(String(50 + 2.5 * 73));
      const free = one(await prom.query(`DCGM_FI_DEV_GPU_UTIL{UUID="${other}"}`), 'the free GPU');
      // Prometheus stores an empty label as no label: `pod=""` matches it.
      for (const label of ['pod', 'namespace', 'container']) {
        expect(free.metric).not.toHaveProperty(label);
      }
      expect(free.value[1]).toBe('0');
    }, 60_000);

    it("should keep a pod's state files from another pod and label that pod's GPU with its own namespace", async () => {
      await k8s.core.createNamespace({ body: { metadata: { name: OTHER_NS } } });
      await waitUntil(() => k8s.core.readNamespacedServiceAccount({ name: 'default', namespace: OTHER_NS }).then(() => true, () => false), {
        timeoutMs: 30_000,
        intervalMs: 200,
        what: `the default ServiceAccount of ${OTHER_NS}`
      });
      // It lists its state folder: only its own GPU's file may be there, never gpu-user's.
      await createPod(k8s.cluster, gpuUser('other-user', `${writeState('util=5\\n')}; ls -A "$FAKE_GPU_STATE_DIR"`), OTHER_NS);
      await waitForPodReady(k8s.cluster.kubeConfig, OTHER_NS, 'other-user');
      const [theirs] = k8s.cluster.agent.pod(OTHER_NS, 'other-user')?.gpus ?? [];
      const [mine] = k8s.cluster.agent.pod('default', 'gpu-user')?.gpus ?? [];
      expect(theirs).not.toBe(mine);
      expect(readLog(k8s.cluster, OTHER_NS, 'other-user').trim().split('\n')).toEqual([theirs]);
      const s = await seriesWith(`DCGM_FI_DEV_GPU_UTIL{UUID="${theirs}"}`, '5');
      expect(s.metric).toMatchObject({ namespace: OTHER_NS, pod: 'other-user' });
      expect(one(await prom.query(`DCGM_FI_DEV_GPU_UTIL{UUID="${mine}"}`), 'gpu-user GPU').metric).toMatchObject({ namespace: 'default', pod: 'gpu-user' });
    }, 60_000);

    it('should drop the pod labels once the pod ends (the GPU is free again and idle)', async () => {
      const [mine] = k8s.cluster.agent.pod('default', 'gpu-user')?.gpus ?? [];
      await k8s.core.deleteNamespacedPod({ name: 'gpu-user', namespace: 'default', gracePeriodSeconds: 1 });
      const freed = await seriesWith(`DCGM_FI_DEV_GPU_UTIL{UUID="${mine}"}`, '0');
      for (const label of ['pod', 'namespace', 'container']) {
        expect(freed.metric).not.toHaveProperty(label);
      }
      // The pod's series went stale on the first scrape without it.
      expect(await prom.query('DCGM_FI_DEV_GPU_UTIL{pod="gpu-user"}')).toEqual([]);
    }, 60_000);

    it('should refuse queries while Prometheus is stopped and serve the series again once it is started', async () => {
      await prom.stop();
      await expect(prom.query('up')).rejects.toThrow(/fetch failed/);
      await prom.start();
      await seriesWith(`DCGM_FI_DEV_GPU_UTIL{namespace="${OTHER_NS}",pod="other-user"}`, '5');
    }, 60_000);
  });

  describe("the gateway streams a GPU kernel's numbers to its owner only", () => {
    let gw: K8sGateway;
    const sockets: Socket[] = [];
    const kernelSockets: KernelSocket[] = [];
    /** Per tenant: its kernel, executor pod, GPU, and every gpu:metrics its user's /status socket received. */
    const run: Record<'ann' | 'ben', { token: string; namespace: string; util: number; fbMiB: number; id: string; pod: string; gpu: string; kernel: KernelSocket; heard: GpuMetrics[] }> = {
      ann: { token: ANN, namespace: TEAM_A, util: 73, fbMiB: 4096, id: '', pod: '', gpu: '', kernel: undefined as unknown as KernelSocket, heard: [] },
      ben: { token: BEN, namespace: TEAM_B, util: 21, fbMiB: 1024, id: '', pod: '', gpu: '', kernel: undefined as unknown as KernelSocket, heard: [] }
    };
    beforeAll(async () => {
      gw = await startK8sGateway(k8s.cluster, gatewayConfig(prom.url), { [TEAM_A]: { gpuQuota: 1 }, [TEAM_B]: { gpuQuota: 1 } });
    }, 180_000);
    afterAll(async () => {
      sockets.forEach((s) => s.close());
      kernelSockets.forEach((s) => s.close());
      await gw?.stop();
    }, 60_000);

    const call = async (token: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(gw.url + route, {
        method,
        headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    };
    /** The last gpu:metrics `who` heard about its own kernel that satisfies `ok`. */
    const hears = (who: 'ann' | 'ben', ok: (m: GpuMetrics) => boolean, what: string, timeoutMs = 30_000): Promise<GpuMetrics> =>
      waitUntil(() => [...run[who].heard].reverse().find((m) => m.kernelId === run[who].id && ok(m)), { timeoutMs, intervalMs: 100, what: `${who} to hear ${what}` });
    const liveUtil = (m: GpuMetrics, util: number): boolean => m.state === 'live' && m.gpus.length === 1 && m.gpus[0].utilPercent === util;
    /** DCGM's value of `name` for device `uuid`, read from the exporter itself. */
    const exported = async (name: string, uuid: string): Promise<number> => {
      const text = await (await fetch(`${k8s.cluster.gpuExporterUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`UUID="${uuid}"`));
      if (!line) {
        throw new Error(`no ${name} for ${uuid} in the exporter's answer:\n${text}`);
      }
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    };

    it("should show each executor task's utilisation in Prometheus under its executor pod", async () => {
      for (const who of ['ann', 'ben'] as const) {
        const socket = io(`${gw.url}/status`, { path: '/socket.io', transports: ['websocket'], auth: { token: run[who].token }, reconnection: false });
        sockets.push(socket);
        socket.on('gpu:metrics', (m: GpuMetrics) => run[who].heard.push(m));
      }
      // Both launch at once: two kernels, one GPU executor each, in two tenants.
      await Promise.all(
        (['ann', 'ben'] as const).map(async (who) => {
          const r = run[who];
          const res = await call(r.token, 'POST', '/api/kernels', { name: 'one-gpu-executor' });
          expect([res.status, res.status === 201 ? '' : res.body]).toEqual([201, '']);
          r.id = res.body.id as string;
          r.kernel = await KernelSocket.open(gw.wsUrl, r.id, r.token);
          kernelSockets.push(r.kernel);
          const started = await r.kernel.execute(USE_GPU_CELL(r.util, r.fbMiB), 240_000);
          expect([started.reply.content.status, started.error, started.stdout.trim()]).toEqual(['ok', undefined, 'started']);
          // The job asks Spark for its executor; the pod comes once Spark's scheduler backend creates it.
          r.pod = await waitUntil(
            async () => {
              const items = (await k8s.core.listNamespacedPod({ namespace: r.namespace, labelSelector: `sparkgate.io/kernel-id=${r.id},spark-role=executor` })).items;
              return items.length === 1 && items[0].status?.phase === 'Running' ? items[0].metadata?.name : undefined;
            },
            { timeoutMs: 180_000, intervalMs: 500, what: `the executor pod of ${who}'s kernel running` }
          );
          r.gpu = k8s.cluster.agent.pod(r.namespace, r.pod)?.gpus[0] ?? '';
          const util = await seriesWith(`DCGM_FI_DEV_GPU_UTIL{namespace="${r.namespace}",pod="${r.pod}"}`, String(r.util), 120_000);
          expect(util.metric).toMatchObject({ UUID: r.gpu, container: 'spark-kubernetes-executor', Hostname: 'gpu-1' });
          expect(one(await prom.query(`DCGM_FI_DEV_FB_USED{namespace="${r.namespace}",pod="${r.pod}"}`), 'FB_USED').value[1]).toBe(String(r.fbMiB));
        })
      );
      expect(run.ann.gpu).not.toBe(run.ben.gpu);
    }, 400_000);

    it("should stream to the owner the numbers the exporter serves for the owner's GPU, and none of them to another tenant", async () => {
      for (const who of ['ann', 'ben'] as const) {
        const r = run[who];
        const m = await hears(who, (x) => liveUtil(x, r.util), `live util ${r.util}`);
        const [g] = m.state === 'live' ? m.gpus : [];
        expect(g).toMatchObject({ pod: r.pod, role: 'executor', node: 'gpu-1', uuid: r.gpu, gpu: r.gpu.slice(-1) });
        expect({ util: g.utilPercent, used: g.memUsedMiB, total: g.memTotalMiB, power: g.powerW }).toEqual({
          util: await exported('DCGM_FI_DEV_GPU_UTIL', r.gpu),
          used: await exported('DCGM_FI_DEV_FB_USED', r.gpu),
          total: (await exported('DCGM_FI_DEV_FB_USED', r.gpu)) + (await exported('DCGM_FI_DEV_FB_FREE', r.gpu)),
          power: await exported('DCGM_FI_DEV_POWER_USAGE', r.gpu)
        });
      }
      // Nothing ann's socket heard is about ben's kernel, pod or GPU, and the other way round.
      const about = (m: GpuMetrics, who: 'ann' | 'ben'): boolean =>
        m.kernelId === run[who].id || (m.state === 'live' && m.gpus.some((g) => g.pod === run[who].pod || g.uuid === run[who].gpu));
      expect(run.ben.heard.filter((m) => about(m, 'ann'))).toEqual([]);
      expect(run.ann.heard.filter((m) => about(m, 'ben'))).toEqual([]);
      expect(run.ann.heard.length).toBeGreaterThan(0);
      expect(run.ben.heard.length).toBeGreaterThan(0);
    }, 120_000);

    it('should stream the idle GPU once the task is done', async () => {
      for (const who of ['ann', 'ben'] as const) {
        const r = run[who];
        // The task ends when told; its GPU reads idle again, still held by the executor.
        await writeFile(path.join(k8s.cluster.agent.pod(r.namespace, r.pod)?.dir ?? '', 'gpu-state', 'stop'), '');
        const done = await r.kernel.execute('_gpu_thread.join(60)\nprint(_gpu_job.get("addresses"))', 90_000);
        expect([done.reply.content.status, done.error, done.stdout.trim()]).toEqual(['ok', undefined, `['${r.gpu}']`]);
        await hears(who, (m) => liveUtil(m, 0), 'live util 0');
        expect(await exported('DCGM_FI_DEV_GPU_UTIL', r.gpu)).toBe(0);
      }
    }, 240_000);

    it("should tell the owner 'GPU metrics unavailable: …' while Prometheus is down, keep the kernels working, and stream again once it is back", async () => {
      await prom.stop();
      try {
        const down = await hears('ann', (m) => m.state === 'unavailable', "'GPU metrics unavailable'");
        expect(down).toMatchObject({ state: 'unavailable', kernelId: run.ann.id });
        expect(down.state === 'unavailable' ? down.message : '').toMatch(/^GPU metrics unavailable: .*\S/);
        process.stderr.write(`gpuMetrics: with Prometheus down the owner hears ${JSON.stringify(down)}\n`);
        // Everything else works meanwhile: a Spark job runs on the cluster (its executor is free again), its model and the kernel list answer.
        const cell = await run.ann.kernel.execute('print(sc.parallelize(range(10), 2).sum())', 120_000);
        expect([cell.reply.content.status, cell.stdout.trim()]).toEqual(['ok', '45']);
        expect((await call(ANN, 'GET', `/api/clusters/${run.ann.id}`)).status).toBe(200);
        expect((await call(BEN, 'GET', '/api/kernels')).status).toBe(200);
        expect(run.ben.heard.filter((m) => m.kernelId === run.ann.id)).toEqual([]);
      } finally {
        await prom.start();
      }
      const heardBefore = run.ann.heard.length;
      await hears('ann', (m) => run.ann.heard.indexOf(m) >= heardBefore && liveUtil(m, 0), 'live numbers again', 60_000);
      for (const who of ['ann', 'ben'] as const) {
        expect((await call(run[who].token, 'DELETE', `/api/kernels/${run[who].id}`)).status).toBe(204);
      }
    }, 240_000);
  });
});
