/**
 * `gpu:metrics` on `/status` (issue 17 item 3) with the real HTTP client, socket.io and a tiny
 * local Prometheus that serves a recorded `/api/v1/query` answer: one query per tenant per interval,
 * each cluster's GPUs to its owner only, and Prometheus down or failing as "GPU metrics unavailable: …".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { GpuMetrics } from '@sparkgate/contract';
import { io, type Socket } from 'socket.io-client';
import { attachStatusStream } from '../../../../server/src/api/sparkgate/status.js';
import { AuthenticationError } from '../../../../server/src/errors.js';
import type { Authenticator, Identity } from '../../../../server/src/auth/types.js';
import { GpuPoller } from '../../../../server/src/gpu/feed.js';
import { prometheusClient } from '../../../../server/src/gpu/prometheus.js';
import type { Kernel, KernelManager } from '../../../../server/src/kernels/types.js';
import { silentLogger } from '../../../../server/src/log.js';
import { waitUntil } from '../../../support/waitFor.js';
import { startGateway } from '../../support/gateway.js';

const USERS: Record<string, Identity> = { 'ann-token': { user: 'ann', tenant: 'a' }, 'al-token': { user: 'al', tenant: 'a' } };
const auth: Authenticator = {
  authenticate: async token => {
    const who = token === undefined ? undefined : USERS[token];
    if (!who) {
      throw new AuthenticationError('bad token');
    }
    return who;
  }
};

/** A running Kubernetes kernel as status streams see it: its executor pod rows. */
const kernel = (id: string, owner: Identity, pods: string[]): Kernel =>
  ({
    id,
    owner,
    name: `pyspark-gpu--${id}`,
    profile: { id: 'pyspark-gpu', displayName: 'PySpark GPU', spark: true },
    sizing: { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 1, cores: 2, memoryMiB: 2048, gpus: 1 } },
    state: 'idle',
    reason: null,
    phase: 'spark-ready',
    createdAt: new Date('2026-12-03T06:00:00Z'),
    job: null,
    sparkExecutors: null,
    cullNotice: null,
    pooled: false,
    launched: { sparkUi: null, status: () => ({ executors: { ready: 1, pending: 0, pendingReason: null, pods: pods.map((name, i) => ({ name, execId: String(i + 1) })) }, gpus: 1 }) }
  }) as unknown as Kernel;

const KERNELS = [kernel('k-ann', USERS['ann-token']!, ['sg-kann0000-aaaaa-exec-1']), kernel('k-al', USERS['al-token']!, ['sg-kal00000-bbbbb-exec-1'])];
const manager = {
  list: (o: Identity) => KERNELS.filter(k => k.owner.user === o.user),
  on: () => undefined,
  off: () => undefined
} as unknown as KernelManager;

/** A recorded answer of Prometheus 3 to the tenant query (DCGM exporter, honorLabels: true). */
const series = (pod: string, uuid: string, util: string) =>
  ['DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_FB_USED', 'DCGM_FI_DEV_FB_FREE', 'DCGM_FI_DEV_POWER_USAGE'].map((name, i) => ({
    metric: { __name__: name, gpu: '0', UUID: uuid, Hostname: 'gpu-1', container: 'spark-kubernetes-executor', namespace: 'team-a', pod, job: 'dcgm-exporter', instance: '127.0.0.1:9400' },
    value: [1764741600.123, [util, '4096', '77824', '232.5'][i]]
  }));
const ANSWER = JSON.stringify({
  status: 'success',
  data: { resultType: 'vector', result: [...series('sg-kann0000-aaaaa-exec-1', 'GPU-fake-gpu-1-0', '73'), ...series('sg-kal00000-bbbbb-exec-1', 'GPU-fake-gpu-1-1', '12')] }
});

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) {
    await close();
  }
});

function listen(server: Server): Promise<number> {
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A Prometheus stand-in answering `answer()` and recording the queries. */
async function fakePrometheus(answer: () => { status: number; body: string }): Promise<{ url: string; queries: string[] }> {
  const queries: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/v1/query') {
      queries.push(url.searchParams.get('query') ?? '');
    }
    const a = answer();
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
  });
  const port = await listen(server);
  closers.push(() => new Promise<void>(resolve => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${port}`, queries };
}

/** The status stream with a GPU poller against `prometheusUrl`, on port 0. */
async function gateway(prometheusUrl: string, intervalMs = 200): Promise<{ url: string; poller: GpuPoller }> {
  const server = createServer();
  const poller = new GpuPoller({
    client: prometheusClient({ url: prometheusUrl, timeoutMs: 2000 }),
    kernels: manager,
    namespaceOf: t => (t === 'a' ? 'team-a' : null),
    intervalMs,
    logger: silentLogger
  });
  const status = attachStatusStream({ server, kernels: manager, auth, path: '/socket.io', logger: silentLogger, gpu: poller });
  const port = await listen(server);
  closers.push(async () => {
    poller.stop();
    await status.close();
    await new Promise<void>(resolve => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${port}`, poller };
}

async function connect(url: string, token: string): Promise<{ socket: Socket; got: GpuMetrics[] }> {
  const socket = io(`${url}/status`, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false });
  const got: GpuMetrics[] = [];
  socket.on('gpu:metrics', (m: GpuMetrics) => got.push(m));
  closers.push(() => void socket.close());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, got };
}

describe('integration/gpu metrics stream', () => {
  it("should stream each cluster's GPU to its owner only, from one query per tenant per interval", async () => {
    const prom = await fakePrometheus(() => ({ status: 200, body: ANSWER }));
    const gw = await gateway(prom.url);
    const ann = await connect(gw.url, 'ann-token');
    const al = await connect(gw.url, 'al-token');
    await waitUntil(() => ann.got.length >= 2 && al.got.length >= 2, { timeoutMs: 10_000, intervalMs: 20, what: 'two polls reaching both users' });
    expect(new Set(ann.got.map(m => m.kernelId))).toEqual(new Set(['k-ann']));
    expect(new Set(al.got.map(m => m.kernelId))).toEqual(new Set(['k-al']));
    expect(ann.got.at(-1)).toEqual({
      state: 'live',
      kernelId: 'k-ann',
      at: expect.any(String),
      gpus: [
        { pod: 'sg-kann0000-aaaaa-exec-1', role: 'executor', executorId: '1', node: 'gpu-1', gpu: '0', uuid: 'GPU-fake-gpu-1-0', utilPercent: 73, memUsedMiB: 4096, memTotalMiB: 81_920, powerW: 232.5 }
      ]
    });
    // Two users of one tenant, several polls: never more queries than polls, all for team-a.
    const polls = Math.max(...[ann.got, al.got].map(g => g.length));
    expect(prom.queries.length).toBeLessThanOrEqual(polls + 1);
    expect(new Set(prom.queries)).toEqual(new Set([expect.stringContaining('namespace="team-a"')]));
  }, 20_000);

  it('should stop asking Prometheus once the last socket of the tenant disconnects', async () => {
    const prom = await fakePrometheus(() => ({ status: 200, body: ANSWER }));
    const gw = await gateway(prom.url, 100);
    const ann = await connect(gw.url, 'ann-token');
    await waitUntil(() => ann.got.length >= 1, { timeoutMs: 10_000, intervalMs: 20, what: 'the first numbers' });
    ann.socket.close();
    await waitUntil(() => gw.poller.polling === 0, { timeoutMs: 10_000, intervalMs: 20, what: 'the poller to stop' });
  }, 20_000);

  it("should say 'GPU metrics unavailable: Prometheus answered 503: …' with Prometheus' own words", async () => {
    const prom = await fakePrometheus(() => ({ status: 503, body: JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }) }));
    const gw = await gateway(prom.url);
    const ann = await connect(gw.url, 'ann-token');
    await waitUntil(() => ann.got.length >= 1, { timeoutMs: 10_000, intervalMs: 20, what: 'a gpu:metrics event' });
    expect(ann.got[0]).toEqual({
      state: 'unavailable',
      kernelId: 'k-ann',
      at: expect.any(String),
      message: 'GPU metrics unavailable: Prometheus answered 503: query timed out in expression evaluation'
    });
  }, 20_000);

  it("should say 'GPU metrics unavailable: connect ECONNREFUSED 127.0.0.1:<port>' while nothing listens there", async () => {
    // A port that was just free: nothing listens on it now.
    const probe = createServer();
    const port = await listen(probe);
    await new Promise<void>(resolve => probe.close(() => resolve()));
    const gw = await gateway(`http://127.0.0.1:${port}`);
    const ann = await connect(gw.url, 'ann-token');
    await waitUntil(() => ann.got.length >= 1, { timeoutMs: 10_000, intervalMs: 20, what: 'a gpu:metrics event' });
    expect(ann.got[0]).toMatchObject({ state: 'unavailable', kernelId: 'k-ann', message: `GPU metrics unavailable: connect ECONNREFUSED 127.0.0.1:${port}` });
  }, 20_000);

  it.each([
    ['without gpuMetrics', '', 'not-configured'],
    ['on the local backend (no pods)', 'gpuMetrics: { prometheusUrl: http://127.0.0.1:9 }\n', 'no-pods']
  ])("should tell a socket of the real gateway %s that no live GPU numbers come ('off')", async (_what, extra, reason) => {
    const gw = await startGateway({ yaml: `users: [{ name: ann, tenant: a, token: ann-token-0123456789 }]\ntenants: { a: { namespace: team-a } }\n${extra}` });
    closers.push(() => gw.stop());
    const ann = await connect(gw.url, 'ann-token-0123456789');
    await waitUntil(() => ann.got.length >= 1, { timeoutMs: 10_000, intervalMs: 20, what: 'a gpu:metrics event' });
    expect(ann.got).toEqual([{ state: 'off', kernelId: null, reason }]);
  }, 20_000);
});
