/**
 * Issue 13, items 1 and 5 (culling): a real gateway with real local kernels and short times (idle
 * 3 s, sweep every 0.5 s, warning 2 s ahead). An idle kernel is culled on time and its notice is on
 * /status before; an open but idle websocket is culled with connected: true and kept with false; a
 * busy kernel is kept; the owner may keep a kernel (others get 404).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import type { ClusterModel } from '../../contract/src/index.js';
import { waitUntil } from '../support/waitFor.js';
import { api, startGateway, type TestGateway } from './support/gateway.js';
import { KernelSocket } from './support/kernelSocket.js';
import { waitForNoProcesses } from './support/processes.js';

jest.setTimeout(120_000);

const yaml = `
# Tenancy decides the policy here; local kernels share one OS user (README, Security).
local: {usersTrustEachOther: true}
kernels:
  cull: {idleSeconds: 3, intervalSeconds: 0.5, warnSeconds: 2}
users:
  - {name: alice, tenant: eager, token: alice-token-123}
  - {name: bob, tenant: polite, token: bob-token-456}
tenants:
  eager: {cull: {connected: true}}
  polite: {}
profiles:
  python3: {displayName: Python 3, spark: false}
`;

let gw: TestGateway;
const alice = () => ({ url: gw.url, token: 'alice-token-123' });
const bob = () => ({ url: gw.url, token: 'bob-token-456' });
const sockets: Socket[] = [];
const kernelSockets: KernelSocket[] = [];

/** Every `cluster` event a user's /status stream carried, with when it arrived. */
function watchStatus(token: string): { seen: { at: number; cluster: ClusterModel }[] } {
  const socket = io(`${gw.url}/status`, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false });
  sockets.push(socket);
  const seen: { at: number; cluster: ClusterModel }[] = [];
  socket.on('cluster', cluster => seen.push({ at: Date.now(), cluster }));
  return { seen };
}

/** When each kernel's start answered (it is ready by then). */
const answeredAt = new Map<string, number>();

async function startKernel(who: { url: string; token: string }): Promise<string> {
  const { status, body } = await api(who, 'POST', '/api/kernels', { name: 'python3' });
  expect(status).toBe(201);
  const id = (body as { id: string }).id;
  answeredAt.set(id, Date.now());
  return id;
}

async function model(who: { url: string; token: string }, id: string): Promise<{ execution_state: string; reason?: string }> {
  return (await api(who, 'GET', `/api/kernels/${id}`)).body as { execution_state: string; reason?: string };
}

async function culled(who: { url: string; token: string }, id: string): Promise<string> {
  return waitUntil(
    async () => {
      const m = await model(who, id);
      return m.execution_state === 'dead' ? (m.reason ?? '') : null;
    },
    { timeoutMs: 30_000, what: `kernel ${id} to be culled` }
  );
}

async function open(who: { url: string; token: string }, id: string): Promise<KernelSocket> {
  const ws = await KernelSocket.open(gw.wsUrl, id, who.token);
  kernelSockets.push(ws);
  return ws;
}

beforeAll(async () => {
  gw = await startGateway({ yaml });
});
afterAll(async () => {
  kernelSockets.forEach(s => s.close());
  sockets.forEach(s => s.close());
  await gw?.stop();
});

describe('integration/culling (issue 13)', () => {
  it('should cull an idle kernel on time, announcing it on /status first, and leave it listed as dead with the reason', async () => {
    const status = watchStatus(alice().token);
    const id = await startKernel(alice());
    const reason = await culled(alice(), id);
    expect(reason).toMatch(/^culled after \d+ s idle$/);
    const mine = status.seen.filter(e => e.cluster.id === id);
    const notice = mine.find(e => e.cluster.cullAt !== null);
    const dead = mine.find(e => e.cluster.state === 'dead');
    expect(notice).toBeDefined();
    expect(dead).toBeDefined();
    // The notice came first, about the warning (2 s) ahead; the cull came at the time it said.
    const { cullAt, idleSince, createdAt } = notice!.cluster;
    expect(notice!.at).toBeLessThan(dead!.at);
    expect(Date.parse(cullAt!) - notice!.at).toBeGreaterThan(1000);
    expect(dead!.at).toBeGreaterThanOrEqual(Date.parse(cullAt!));
    // Idle since it was ready (before its start answered), not since the last readiness ask.
    expect(Date.parse(idleSince!)).toBeGreaterThanOrEqual(Date.parse(createdAt));
    expect(Date.parse(idleSince!)).toBeLessThanOrEqual(answeredAt.get(id)!);
    expect(Date.parse(cullAt!) - Date.parse(idleSince!)).toBeGreaterThanOrEqual(3000);
    expect(dead!.cluster).toMatchObject({ reason, cullAt: null, idleSince: null });
    expect(await waitForNoProcesses(id, 15_000)).toEqual([]);
    // Listed until its owner deletes it.
    expect((await api(alice(), 'GET', `/api/clusters/${id}`)).body).toMatchObject({ state: 'dead', reason });
    expect((await api(alice(), 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
  });

  it('should cull a kernel with an open but idle websocket when connected is true, and keep it when false', async () => {
    // Bob's tenant keeps connected kernels; his second kernel, with no client, is the yardstick.
    const [eager, polite, yardstick] = await Promise.all([startKernel(alice()), startKernel(bob()), startKernel(bob())]);
    const [aliceWs, bobWs] = await Promise.all([open(alice(), eager), open(bob(), polite)]);
    const reason = await culled(alice(), eager);
    expect(reason).toMatch(/^culled after \d+ s idle$/);
    await aliceWs.waitFor(() => aliceWs.received.some(m => m.header.msg_type === 'status' && m.content.execution_state === 'dead'), 10_000, 'dead status');
    expect(await aliceWs.closed()).toBe(1000);
    expect(aliceWs.closeReason).toBe(reason);

    await culled(bob(), yardstick);
    expect(await model(bob(), polite)).toMatchObject({ execution_state: 'idle' });
    const cluster = (await api(bob(), 'GET', `/api/clusters/${polite}`)).body as ClusterModel;
    expect([cluster.state, cluster.cullAt]).toEqual(['ready', null]);
    expect(bobWs.closeCode).toBeUndefined();
    expect((await bobWs.execute('6*7')).result).toBe('42');
    await Promise.all([eager, polite, yardstick].map(id => api(id === eager ? alice() : bob(), 'DELETE', `/api/kernels/${id}`)));
  });

  it('should keep a busy kernel (a long job with no output) while an idle one beside it is culled', async () => {
    const [busy, yardstick] = await Promise.all([startKernel(alice()), startKernel(alice())]);
    // Alice's tenant culls connected kernels: only being busy can keep this one.
    const ws = await open(alice(), busy);
    ws.send('shell', 'execute_request', { code: 'import time; time.sleep(30)', silent: false, store_history: false, user_expressions: {}, allow_stdin: false });
    await waitUntil(async () => (await model(alice(), busy)).execution_state === 'busy', { timeoutMs: 10_000, what: 'the kernel to be busy' });
    await culled(alice(), yardstick);
    expect(await model(alice(), busy)).toMatchObject({ execution_state: 'busy' });
    const cluster = (await api(alice(), 'GET', `/api/clusters/${busy}`)).body as ClusterModel;
    expect(cluster.cullAt).toBeNull();
    await Promise.all([busy, yardstick].map(id => api(alice(), 'DELETE', `/api/kernels/${id}`)));
  });

  it("should let the owner keep a kernel whose cull is announced, and answer 404 to anyone else's keep", async () => {
    const status = watchStatus(alice().token);
    const id = await startKernel(alice());
    const announced = await waitUntil(() => status.seen.find(e => e.cluster.id === id && e.cluster.cullAt !== null), {
      timeoutMs: 15_000,
      what: 'the cull notice on /status'
    });
    expect((await api(bob(), 'POST', `/api/clusters/${id}/keep`)).status).toBe(404);
    const kept = await api(alice(), 'POST', `/api/clusters/${id}/keep`);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ id, state: 'ready', cullAt: null, idleSince: null });
    // /status says so too, and idleness starts over: the next notice is later than the first.
    const next = await waitUntil(
      () => status.seen.find(e => e.cluster.id === id && e.cluster.cullAt !== null && e.cluster.cullAt !== announced.cluster.cullAt),
      { timeoutMs: 15_000, what: 'a fresh cull notice after keep' }
    );
    expect(Date.parse(next.cluster.idleSince!)).toBeGreaterThan(Date.parse(announced.cluster.idleSince!));
    expect(status.seen.some(e => e.cluster.id === id && e.at > announced.at && e.at < next.at && e.cluster.cullAt === null)).toBe(true);
    expect((await api(alice(), 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
  });
});
