/**
 * Issue 13, item 5: the gateway process (server/dist/main.js, Kubernetes backend) is killed with
 * SIGKILL while 20 kernels run, 4 of them in the middle of a cell; a new gateway process on the
 * same port re-adopts 20/20 from the pods alone (same ids, same owners), every client reconnects
 * and reads its variables back, and a real jupyter_server in gateway mode in front of the gateway
 * reconnects by itself (its GatewayWebSocketConnection retries) and runs a cell that sees the
 * kernel's old variable.
 *
 * What is guaranteed for a cell running during the outage (README "Faults and orphan reaping",
 * "Re-adoption"): it runs to its end in the driver pod, and its effects (variables) and the
 * kernel's execution_count are there after the re-adoption, so a client can tell it ran; and the
 * output it printed while no gateway was up reaches the reconnected client, in order, none missing
 * (the launcher in the pod holds iopub output while no gateway is subscribed, the new gateway holds
 * it until a client attaches). The mid-cell kernels (4 direct, and jupyter_server's) print on a
 * shared 0.25 s wall-clock grid and the gateway is killed just after a tick every one of them has
 * delivered, so no tick is in flight at the kill.
 *
 * Sizing (2 cores): 19 python kernels (driver pods without Spark, 0.1 core, as cycles.test.ts) and
 * 1 PySpark driver with one small executor pod, started 5 at a time.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../../server/src/backends/local/ports.js';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { PERIOD_S, SLOW_CELL, ticks } from '../support/tickCell.js';
import { jupyterServerArgs } from '../integration/support/jupyterServer.js';
import type { GatewayProcess } from '../support/gatewayProcess.js';
import { startJupyterProcess, type JupyterProcess } from '../support/jupyterProcess.js';
import { waitUntil } from '../support/waitFor.js';
import { prepareK8sGatewayProcess, spawnK8sGatewayProcess } from './support/gatewayProcess.js';
import { KUBERNETES_SECTION, python } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const USERS = [
  { name: 'alice', token: 'kill-alice-token-0123456789abcdef', namespace: 'tenant-a' },
  { name: 'bob', token: 'kill-bob-token-0123456789abcdef', namespace: 'tenant-b' }
] as const;
const N = 20;
/** Python kernels left in the middle of a slow cell when the gateway is killed. */
const MID = 4;
const CONFIG = `
users:
${USERS.map((u, i) => `  - { name: ${u.name}, tenant: t${i}, token: ${u.token} }`).join('\n')}
tenants:
${USERS.map((u, i) => `  t${i}: { namespace: ${u.namespace}, limits: { cores: 16, memory: 32g } }`).join('\n')}
limits: { maxKernelsPerUser: 0 }
profiles:
  python:
    displayName: Python in a driver pod, no Spark
    spark: false
    driver: { cores: 0.1, memory: 128m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
  pyspark:
    displayName: PySpark, one small executor (Spark on Kubernetes refuses 0 executors)
    driver: { cores: 0.5, memory: 768m, gpus: 0 }
    executors: { count: 1, cores: 1, memory: 512m, gpus: 0 }
kernels: { startTimeoutSeconds: 240, shutdownGraceSeconds: 2 }
${KUBERNETES_SECTION}`;
const JS_TOKEN = 'kill-jupyter-token';

interface Started {
  id: string;
  token: string;
  /** execution_count after `x` was set. */
  count: number;
}

describe('cluster/gateway SIGKILL with 20 kernels (issue 13)', () => {
  let tmp = '';
  let js: JupyterProcess | undefined;
  const gateways: GatewayProcess[] = [];
  const sockets: KernelSocket[] = [];
  // Before useCluster's afterAll (hooks run in declaration order): gateways and jupyter_server stop before the cluster.
  afterAll(async () => {
    sockets.forEach(s => s.close());
    await js?.stop();
    await Promise.all(gateways.map(g => g.stop()));
    if (tmp) {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 60_000);
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }], sparkgateImages: true });

  /** The last lines of a kernel's driver pod log (the node agent's file). */
  async function driverLogTail(kernelId: string): Promise<string> {
    const pods = await k8s.core.listPodForAllNamespaces({ labelSelector: `sparkgate.io/kernel-id=${kernelId},app.kubernetes.io/component=driver` });
    const tails = await Promise.all(
      pods.items.map(async p => {
        const { namespace = '', name = '' } = p.metadata ?? {};
        const file = k8s.cluster.agent.logFile(namespace, name, p.spec?.containers[0]?.name ?? '');
        return `--- ${name}\n${(await readFile(file, 'utf8').catch(() => '')).split('\n').slice(-60).join('\n')}`;
      })
    );
    return tails.join('\n') || `no driver pod of kernel ${kernelId}`;
  }

  async function call(gw: GatewayProcess, token: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(gw.url + route, {
      method,
      headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  }
  async function open(wsUrl: string, id: string, token: string): Promise<KernelSocket> {
    const ws = await KernelSocket.open(wsUrl, id, token);
    sockets.push(ws);
    return ws;
  }
  const ids = async (gw: GatewayProcess, token: string): Promise<string[]> => {
    const res = await call(gw, token, 'GET', '/api/kernels');
    return res.status === 200 ? (res.body as { id: string }[]).map(k => k.id).sort() : [];
  };

  it(`should re-adopt ${N}/${N} kernels after a SIGKILL of the gateway process, and a jupyter_server client reconnects`, async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-kill-'));
    const kubeconfig = await prepareK8sGatewayProcess(k8s.cluster, Object.fromEntries(USERS.map(u => [u.namespace, {}])), tmp);
    const [port] = await freePorts(1);
    const spawn = async (): Promise<GatewayProcess> => {
      const gw = await spawnK8sGatewayProcess({ yaml: CONFIG, kubeconfig, port: port!, token: USERS[0].token });
      gateways.push(gw);
      return gw;
    };
    const gw1 = await spawn();
    const wsUrl = gw1.url.replace(/^http/, 'ws');

    // jupyter_server in gateway mode as alice, retrying its gateway websockets for up to ~40 s.
    const [jsPort] = await freePorts(1);
    js = await startJupyterProcess({
      name: 'jupyter_server',
      python,
      args: [
        ...jupyterServerArgs(jsPort!, tmp, JS_TOKEN),
        `--gateway-url=${gw1.url}`,
        `--GatewayClient.auth_token=${USERS[0].token}`,
        '--GatewayClient.request_timeout=240',
        '--GatewayClient.gateway_retry_interval=1',
        '--GatewayClient.gateway_retry_interval_max=4',
        '--GatewayClient.gateway_retry_max=12'
      ],
      env: { ...process.env, JUPYTER_CONFIG_DIR: path.join(tmp, '.jupyter-config'), JUPYTER_RUNTIME_DIR: path.join(tmp, '.jupyter-runtime') },
      port: jsPort!,
      token: JS_TOKEN,
      readyPath: '/api/status',
      readyTimeoutMs: 60_000
    });

    // 1 PySpark + 18 python kernels on the gateway (alternating owners), 1 python kernel through jupyter_server.
    const launches: Array<{ name: string; token: string }> = Array.from({ length: N - 1 }, (_x, i) => ({
      name: i === 0 ? 'pyspark' : 'python',
      token: USERS[i % USERS.length]!.token
    }));
    const direct: Omit<Started, 'count'>[] = [];
    for (let i = 0; i < launches.length; i += 5) {
      const batch = launches.slice(i, i + 5).map(async l => {
        const res = await call(gw1, l.token, 'POST', '/api/kernels', { name: l.name });
        if (res.status !== 201) {
          throw new Error(`kernel start answered ${res.status} ${JSON.stringify(res.body)}\n${gw1.log().slice(-3000)}`);
        }
        return { id: (res.body as { id: string }).id, token: l.token };
      });
      direct.push(...(await Promise.all(batch)));
    }
    const viaJs = await fetch(`${js.url}/api/kernels`, {
      method: 'POST',
      headers: { Authorization: `token ${JS_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'python' })
    });
    expect(viaJs.status).toBe(201);
    const jsKernel = ((await viaJs.json()) as { id: string }).id;
    const jsSocket = await open(js.wsUrl, jsKernel, JS_TOKEN);
    expect((await jsSocket.execute('y = "set through jupyter_server"', 120_000)).reply.content.status).toBe('ok');

    const kernels: Started[] = [];
    const gwSockets: KernelSocket[] = [];
    for (const [i, k] of direct.entries()) {
      const ws = await open(wsUrl, k.id, k.token);
      gwSockets.push(ws);
      const set = await ws.execute(`x = ${i} * 1000 + 7`, 180_000);
      expect(set.reply.content.status).toBe('ok');
      kernels.push({ ...k, count: set.reply.content.execution_count as number });
    }
    const spark = kernels[0]!;
    const counted = await gwSockets[0]!.execute('spark.range(10).count()', 180_000);
    // On failure, the driver's log says why Spark did not start (executors lost, auth, quota...).
    const driverLog = counted.result === '10' ? '' : await driverLogTail(spark.id);
    expect([counted.result, counted.reply.content.evalue, driverLog]).toEqual(['10', undefined, '']);
    const mid = kernels.slice(1, 1 + MID);
    // The mid-cell clients: the 4 direct ones and jupyter_server's.
    const midSockets = [...mid.map((_k, j) => gwSockets[1 + j]!), jsSocket];
    for (const ws of midSockets) {
      ws.send('shell', 'execute_request', { code: SLOW_CELL, silent: false, store_history: true, user_expressions: {}, allow_stdin: false });
      await ws.waitFor(() => ticks(ws.received).length > 0, 30_000, 'a slow cell to print');
    }
    const owned = (token: string): string[] =>
      [...kernels.filter(k => k.token === token).map(k => k.id), ...(token === USERS[0].token ? [jsKernel] : [])].sort();
    for (const user of USERS) {
      expect(await ids(gw1, user.token)).toEqual(owned(user.token));
    }

    // Kill just after a grid tick that every mid-cell client has received, early in the period:
    // nothing is in flight then, and the next tick comes well after the kernels saw the gateway go.
    const slot = (ws: KernelSocket): number => Math.round((ticks(ws.received).at(-1)?.t ?? 0) / PERIOD_S);
    const startSlot = Math.max(...midSockets.map(slot));
    await waitUntil(
      () => {
        const slots = new Set(midSockets.map(slot));
        const [s] = slots;
        return slots.size === 1 && s! > startSlot && Date.now() / 1000 < (s! + 0.4) * PERIOD_S;
      },
      { timeoutMs: 5000, intervalMs: 5, what: 'every mid-cell kernel to deliver the same fresh tick' }
    );
    const seenBefore = midSockets.map(ws => ws.received.length);
    await gw1.crash();
    const crashedAt = Date.now() / 1000;
    /** Ticks of mid-cell client `j` before the crash and on `after` (its reconnected client) from `from`. */
    const expectTicks = async (j: number, after: KernelSocket, from: number): Promise<number> => {
      await after.waitFor(() => ticks(after.received.slice(from)).some(t => t.i === 29), 60_000, 'ticks up to 29 on the reconnected client');
      const seen = ticks(midSockets[j]!.received.slice(0, seenBefore[j]));
      const got = ticks(after.received.slice(from));
      expect([j, [...seen, ...got].map(t => t.i)]).toEqual([j, Array.from({ length: 30 }, (_x, n) => n)]);
      expect([j, got[0]!.t > crashedAt - PERIOD_S]).toEqual([j, true]);
      return got.length;
    };
    const delivered: number[] = [];
    // The driver pods outlive the gateway process.
    const drivers = async (): Promise<number> => {
      let n = 0;
      for (const user of USERS) {
        const pods = await k8s.core.listNamespacedPod({ namespace: user.namespace, labelSelector: 'app.kubernetes.io/component=driver' });
        n += pods.items.filter(p => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp).length;
      }
      return n;
    };
    expect(await drivers()).toBe(N);

    const startedAt = Date.now();
    const gw2 = await spawn();
    await waitUntil(async () => (await ids(gw2, USERS[0].token)).length + (await ids(gw2, USERS[1].token)).length === N, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: `${N} kernels re-adopted\n${gw2.log().slice(-3000)}`
    });
    const readoptSeconds = (Date.now() - startedAt) / 1000;
    // Same ids, each under its own owner only.
    for (const user of USERS) {
      expect(await ids(gw2, user.token)).toEqual(owned(user.token));
    }
    process.stdout.write(`gatewayKill: re-adopted ${N}/${await drivers()} running kernels, ${readoptSeconds.toFixed(1)} s from the new gateway's start\n`);

    // Every client reconnects and reads its variable back; mid-execution cells ran to their end.
    for (const [i, k] of kernels.entries()) {
      const ws = await open(wsUrl, k.id, k.token);
      if (mid.includes(k)) {
        // Output printed while no gateway was up: with the ticks seen before, 0..29, none missing.
        delivered.push(await expectTicks(mid.indexOf(k), ws, 0));
      }
      const read = await ws.execute('x', 120_000);
      expect([k.id, read.result]).toEqual([k.id, String(i * 1000 + 7)]);
      // The cell running during the kill counted (and so did PySpark's count).
      const ran = mid.includes(k) || k === spark ? 2 : 1;
      expect([k.id, read.reply.content.execution_count]).toEqual([k.id, k.count + ran]);
      if (mid.includes(k)) {
        expect((await ws.execute('done')).result).toBe("'finished'");
      }
      if (k === spark) {
        expect((await ws.execute('spark.range(5).count()', 120_000)).result).toBe('5');
      }
    }

    // jupyter_server's own client of its kernel reconnects to the new gateway by itself (no new
    // websocket from the notebook side), and a cell through it sees the old variable.
    await waitUntil(
      async () => {
        const res = await call(gw2, USERS[0].token, 'GET', `/api/kernels/${jsKernel}`);
        return res.status === 200 && ((res.body as { connections?: number }).connections ?? 0) >= 1;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `jupyter_server to reconnect to the new gateway\n${js.output().slice(-3000)}` }
    );
    delivered.push(await expectTicks(MID, jsSocket, seenBefore[MID]!));
    const again = await jsSocket.execute('y', 60_000);
    expect(again.result).toBe("'set through jupyter_server'");
    expect((await jsSocket.execute('done', 60_000)).result).toBe("'finished'");
    process.stdout.write(`gatewayKill: lines printed while no gateway was up, delivered after re-adoption: ${delivered.join(', ')} (the last through jupyter_server)\n`);
  }, 170_000);
});
