/**
 * sparkgate as a JupyterHub service, against a real JupyterHub (issue 14, item 2): two Hub users in
 * two groups mapped to two tenants; each one's single-user server runs in gateway mode against
 * sparkgate with the user's own Hub token (`JUPYTERHUB_API_TOKEN` forwarded as
 * `JUPYTER_GATEWAY_AUTH_TOKEN`, what z2jh's `singleuser.extraEnv` does), runs a PySpark cell, and
 * the kernels land in their own tenants; tokens are refused across users, and a token revoked in
 * the Hub stops working within the cache time.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { io } from 'socket.io-client';
import { pickHubPorts, startJupyterHub, type HubUserToken, type JupyterHubProcess } from '../support/jupyterhubProcess.js';
import { waitUntil } from '../support/waitFor.js';
import { api, startGateway, type TestGateway } from './support/gateway.js';
import { KernelSocket } from './support/kernelSocket.js';

// Hub + proxy + two single-user servers + two PySpark JVMs on a shared 2-core machine.
jest.setTimeout(600_000);

const CACHE_SECONDS = 2;
const OPS_TOKEN = 'ops-config-file-token-0123';

let hub: JupyterHubProcess;
let gw: TestGateway;
const tokens: Record<string, HubUserToken> = {};
const kernels: Record<string, string> = {};

/** `user`'s single-user server, through the Hub's proxy, as their browser reaches it. */
const server = (user: string) => ({ url: `${hub.url}/user/${user}`, token: tokens[user]!.token });
/** The gateway, called directly with `user`'s Hub token. */
const direct = (user: string) => ({ url: gw.url, token: tokens[user]!.token });

beforeAll(async () => {
  const ports = await pickHubPorts();
  gw = await startGateway({
    yaml: `
local: {usersTrustEachOther: true}
users:
  - {name: ops, tenant: team-a, token: ${OPS_TOKEN}}
tenants:
  team-a: {}
  team-b: {}
jupyterhub:
  apiUrl: ${ports.apiUrl}
  cacheSeconds: ${CACHE_SECONDS}
  groups: {hub-team-a: team-a, hub-team-b: team-b}
`
  });
  hub = await startJupyterHub({
    ports,
    groups: { 'hub-team-a': ['alice'], 'hub-team-b': ['bob'] },
    users: ['carol'],
    service: 'sparkgate',
    userScopes: ['access:services!service=sparkgate'],
    serverTokenScopes: ['users:activity!user', 'access:servers!server', 'access:services!service=sparkgate'],
    spawnerEnvironment: {
      JUPYTER_GATEWAY_URL: JSON.stringify(gw.url),
      JUPYTER_GATEWAY_REQUEST_TIMEOUT: '"120"',
      // The server's own Hub token; on Kubernetes z2jh's singleuser.extraEnv "$(JUPYTERHUB_API_TOKEN)" does the same.
      JUPYTER_GATEWAY_AUTH_TOKEN: 'lambda spawner: spawner.api_token'
    }
  });
  for (const user of ['alice', 'bob', 'carol']) {
    tokens[user] = await hub.newToken(user);
  }
  await Promise.all([hub.startServer('alice'), hub.startServer('bob')]);
}, 300_000);

afterAll(async () => {
  await hub?.stop();
  await gw?.stop();
});

describe('integration/jupyterhub', () => {
  it.each(['alice', 'bob'])("should run a PySpark cell through %s's single-user server in gateway mode", async user => {
    const created = await api(server(user), 'POST', '/api/kernels', { name: 'pyspark' });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    kernels[user] = id;
    const ws = await KernelSocket.open(server(user).url.replace(/^http/, 'ws'), id, server(user).token);
    try {
      const run = await ws.execute('spark.range(10).count()', 240_000);
      expect([run.error, run.result]).toEqual([undefined, '10']);
    } finally {
      ws.close();
    }
  });

  it('should list each kernel on the gateway under its own user and tenant', async () => {
    for (const [user, tenant] of [['alice', 'team-a'], ['bob', 'team-b']] as const) {
      const me = (await api(direct(user), 'GET', '/api/me')).body as { user: string; tenant: string; usage: object };
      expect([me.user, me.tenant]).toEqual([user, tenant]);
      // The tenant's usage is its one PySpark kernel (the local profile's driver: 2 cores, 2 GiB).
      expect(me.usage).toEqual({ gpus: 0, cores: 2, memoryMiB: 2048 });
      const list = (await api(direct(user), 'GET', '/api/kernels')).body as { id: string }[];
      expect(list.map(k => k.id)).toEqual([kernels[user]]);
      // What the single-user server shows is the gateway's list for its token.
      const viaServer = (await api(server(user), 'GET', '/api/kernels')).body as { id: string }[];
      expect(viaServer.map(k => k.id)).toEqual([kernels[user]]);
    }
  });

  it("should stream each user's own clusters over socket.io with their Hub token, and refuse carol", async () => {
    for (const user of ['alice', 'bob']) {
      const socket = io(`${gw.url}/status`, { path: '/socket.io', transports: ['websocket'], auth: { token: direct(user).token }, reconnection: false });
      try {
        const clusters = await new Promise<{ id: string }[]>((resolve, reject) => {
          socket.once('clusters', resolve);
          socket.once('connect_error', reject);
        });
        expect(clusters.map(c => c.id)).toEqual([kernels[user]]);
      } finally {
        socket.close();
      }
    }
    const carol = io(`${gw.url}/status`, { path: '/socket.io', transports: ['websocket'], auth: { token: direct('carol').token }, reconnection: false });
    try {
      const error = await new Promise<Error & { data?: unknown }>(resolve => carol.once('connect_error', resolve));
      expect([error.message, error.data]).toEqual([
        'user carol is in no group mapped to a sparkgate tenant; ask your admin',
        { status: 403, reason: 'NotAllowed' }
      ]);
    } finally {
      carol.close();
    }
  });

  it("should refuse each user the other's kernel", async () => {
    for (const [user, other] of [['alice', 'bob'], ['bob', 'alice']] as const) {
      const theirs = kernels[other]!;
      const { status, body } = await api(direct(user), 'GET', `/api/kernels/${theirs}`);
      expect(status).toBe(404);
      expect(body).toEqual({ reason: 'NotFound', message: `kernel ${theirs} does not exist` });
      expect((await api(direct(user), 'DELETE', `/api/kernels/${theirs}`)).status).toBe(404);
      await expect(KernelSocket.open(gw.wsUrl, theirs, direct(user).token)).rejects.toMatchObject({ status: 404 });
    }
  });

  it('should keep config-file tokens working beside Hub tokens', async () => {
    const ops = { url: gw.url, token: OPS_TOKEN };
    const me = (await api(ops, 'GET', '/api/me')).body as { user: string; tenant: string; usage: object };
    expect([me.user, me.tenant]).toEqual(['ops', 'team-a']);
    // Same tenant as alice: her kernel counts, bob's does not; the kernel itself stays hers.
    expect(me.usage).toEqual({ gpus: 0, cores: 2, memoryMiB: 2048 });
    expect((await api(ops, 'GET', '/api/kernels')).body).toEqual([]);
  });

  it('should refuse a Hub user in no mapped group with 403, and a token without the scope', async () => {
    const carol = await api(direct('carol'), 'GET', '/api/kernels');
    expect(carol).toEqual({
      status: 403,
      body: { reason: 'NotAllowed', message: 'user carol is in no group mapped to a sparkgate tenant; ask your admin' }
    });
    const narrow = await hub.newToken('alice', ['read:users:name!user=alice']);
    const refused = await api({ url: gw.url, token: narrow.token }, 'GET', '/api/kernels');
    expect(refused.status).toBe(403);
    expect((refused.body as { message: string }).message).toBe(
      'the JupyterHub token of user alice lacks the scope access:services!service=sparkgate; ask your admin'
    );
  });

  it('should refuse a token revoked in the Hub within the cache time', async () => {
    const token = await hub.newToken('alice');
    const alice = { url: gw.url, token: token.token };
    expect((await api(alice, 'GET', '/api/kernels')).status).toBe(200);
    expect((await hub.api('DELETE', `/users/alice/tokens/${token.id}`)).status).toBe(204);
    // The Hub itself refuses it at once; the gateway may answer from its cache until it expires.
    expect((await hub.api('GET', '/user', undefined, token.token)).status).toBe(403);
    const revoked = Date.now();
    const refusal = await waitUntil(
      async () => {
        const answer = await api(alice, 'GET', '/api/kernels');
        return answer.status === 200 ? false : answer;
      },
      { timeoutMs: CACHE_SECONDS * 1000 + 5000, intervalMs: 100, what: 'the gateway to refuse the revoked token' }
    );
    // The cached answer dates from the request before the revocation: refused by cacheSeconds after it (plus a loaded machine's slack).
    expect(Date.now() - revoked).toBeLessThan(CACHE_SECONDS * 1000 + 3000);
    expect(refusal).toEqual({
      status: 401,
      body: { reason: 'AuthenticationFailed', message: 'JupyterHub did not accept the token (unknown, expired or revoked)' }
    });
    // The other tokens of the same user still work.
    expect((await api(direct('alice'), 'GET', '/api/kernels')).status).toBe(200);
  });

  it('should answer 503 for a Hub token once the Hub is down, and keep config-file tokens working', async () => {
    const unseen = await hub.newToken('bob');
    await hub.stop();
    const { status, body } = await api({ url: gw.url, token: unseen.token }, 'GET', '/api/kernels');
    expect(status).toBe(503);
    expect((body as { message: string }).message).toBe(`JupyterHub at ${hub.apiUrl} is unreachable (ECONNREFUSED); try again later`);
    expect((await api({ url: gw.url, token: OPS_TOKEN }, 'GET', '/api/me')).status).toBe(200);
  });
});
