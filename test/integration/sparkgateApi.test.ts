/**
 * The sparkgate API the JupyterLab extension uses: profiles and limits, launching a cluster with a
 * sizing, live status over socket.io (only one's own clusters), attaching jupyter_server to it.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import { waitUntil } from '../support/waitFor.js';
import { api, startGateway, type TestGateway } from './support/gateway.js';

jest.setTimeout(120_000);

const yaml = `
# The API's tenancy is what is tested here; local kernels share one OS user (README, Security).
local: {usersTrustEachOther: true}
users:
  - {name: alice, tenant: team-a, token: alice-token-123}
  - {name: bob, tenant: team-b, token: bob-token-456}
tenants:
  team-a: {limits: {gpus: 2, cores: 8, memory: 16g}, profiles: [small, python3]}
  team-b: {profiles: [python3]}
profiles:
  small:
    displayName: Small Python
    spark: false
    driver: {cores: 1, memory: 1g, gpus: 0}
    executors: {count: 2, cores: 1, memory: 1g, gpus: 1}
  python3:
    displayName: Python 3
    spark: false
`;

let gw: TestGateway;
const alice = () => ({ url: gw.url, token: 'alice-token-123' });
const bob = () => ({ url: gw.url, token: 'bob-token-456' });
const sockets: Socket[] = [];

function connect(token: string): Socket {
  const socket = io(`${gw.url}/status`, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false });
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  gw = await startGateway({ yaml });
});
afterAll(async () => {
  sockets.forEach(s => s.close());
  await gw?.stop();
});

describe('integration/sparkgate API', () => {
  it('should describe the caller, their limits, usage and profiles', async () => {
    const { status, body } = await api(alice(), 'GET', '/api/me');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      user: 'alice',
      tenant: 'team-a',
      backend: 'local',
      limits: { gpus: 2, cores: 8, memoryMiB: 16384 },
      usage: { gpus: 0, cores: 0, memoryMiB: 0 },
      // The local backend has no nodes to tell of.
      nodes: null
    });
    const profiles = (body as { profiles: { id: string; totals: object }[] }).profiles;
    expect(profiles.map(p => p.id)).toEqual(['small', 'python3']);
    expect(profiles[0]?.totals).toEqual({ gpus: 2, cores: 3, memoryMiB: 3072 });
  });

  it('should refuse a sizing over the tenant limit before anything starts', async () => {
    const { status, body } = await api(alice(), 'POST', '/api/clusters', { profile: 'small', sizing: { executors: { count: 3 } } });
    expect(status).toBe(403);
    expect((body as { message: string }).message).toBe(
      "GPUs: this cluster asks for 3, tenant 'team-a' has a limit of 2 and 0 in use; ask for at most 2"
    );
    expect((await api(alice(), 'GET', '/api/clusters')).body).toEqual({ clusters: [] });
  });

  it('should refuse malformed launch requests', async () => {
    expect((await api(alice(), 'POST', '/api/clusters', { sizing: {} })).status).toBe(400);
    expect((await api(alice(), 'POST', '/api/clusters', { profile: 'small', sizing: { executors: { gpus: -1 } } })).status).toBe(400);
    expect((await api(alice(), 'POST', '/api/clusters', { profile: 'nope' })).status).toBe(404);
    expect((await api(bob(), 'POST', '/api/clusters', { profile: 'small' })).status).toBe(404);
  });

  it('should launch in the background, stream its progress to the owner only, and let jupyter_server attach', async () => {
    const mine = connect('alice-token-123');
    const theirs = connect('bob-token-456');
    const seen: { id: string; state: string; phase: string | null }[] = [];
    const bobSeen: unknown[] = [];
    mine.on('cluster', c => seen.push(c));
    theirs.on('cluster', c => bobSeen.push(c));
    const initial = await new Promise(resolve => mine.once('clusters', resolve));
    expect(initial).toEqual([]);
    await new Promise(resolve => theirs.once('clusters', resolve));

    const launched = await api(alice(), 'POST', '/api/clusters', { profile: 'small', sizing: { executors: { count: 1 } } });
    expect(launched.status).toBe(201);
    const cluster = launched.body as { id: string; kernelName: string; state: string; sizing: { executors: { count: number } } };
    expect(cluster.kernelName).toBe(`small--${cluster.id}`);
    expect(['requested', 'launching']).toContain(cluster.state);
    expect(cluster.sizing.executors.count).toBe(1);

    await waitUntil(() => seen.some(c => c.id === cluster.id && c.state === 'ready'), { timeoutMs: 60_000, what: 'the cluster ready on /status' });
    const phases = seen.filter(c => c.id === cluster.id).map(c => c.phase);
    expect(phases).toContain('starting');
    expect(phases[phases.length - 1]).toBe('spark-ready');

    // Usage now counts the cluster.
    expect(((await api(alice(), 'GET', '/api/me')).body as { usage: object }).usage).toEqual({ gpus: 1, cores: 2, memoryMiB: 2048 });

    // The cluster is a kernelspec of alice's, and starting that kernel adopts the running cluster.
    const specs = (await api(alice(), 'GET', '/api/kernelspecs')).body as { kernelspecs: Record<string, { spec: { display_name: string } }> };
    expect(specs.kernelspecs[cluster.kernelName]?.spec.display_name).toBe(`Small Python · ${cluster.id.slice(0, 6)}`);
    const adopted = await api(alice(), 'POST', '/api/kernels', { name: cluster.kernelName });
    expect(adopted.status).toBe(201);
    expect(adopted.body).toMatchObject({ id: cluster.id, name: cluster.kernelName, execution_state: 'idle' });
    expect(((await api(alice(), 'GET', '/api/kernels')).body as unknown[]).length).toBe(1);

    // Bob: nothing about it, and a notebook with that kernel name starts his own kernel of the profile.
    expect(bobSeen).toEqual([]);
    expect((await api(bob(), 'GET', `/api/clusters/${cluster.id}`)).status).toBe(404);

    const removed = new Promise(resolve => mine.once('cluster:removed', resolve));
    expect((await api(alice(), 'DELETE', `/api/clusters/${cluster.id}`)).status).toBe(204);
    expect(await removed).toEqual({ id: cluster.id });
    expect(bobSeen).toEqual([]);
  });

  it('should start the plain profile when a shared notebook names a cluster that is not the caller', async () => {
    const launched = (await api(alice(), 'POST', '/api/clusters', { profile: 'python3' })).body as { id: string; kernelName: string };
    const { status, body } = await api(bob(), 'POST', '/api/kernels', { name: launched.kernelName });
    expect(status).toBe(201);
    expect((body as { id: string; name: string }).id).not.toBe(launched.id);
    expect((body as { name: string }).name).toBe('python3');
    await api(bob(), 'DELETE', `/api/kernels/${(body as { id: string }).id}`);
    await api(alice(), 'DELETE', `/api/clusters/${launched.id}`);
  });

  it('should refuse socket.io connections without a valid token', async () => {
    const socket = connect('wrong');
    const error = await new Promise<Error>(resolve => socket.once('connect_error', resolve));
    expect(error.message).toBe('invalid token');
  });
});
