/**
 * `createGateway({ authenticator })`: an injected Authenticator (the way a JupyterHub one will
 * come in) replaces the config's tokens at all three doors — REST, the kernel websocket and
 * socket.io (issue 12, item 4). Fake backend and channels: no processes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { WebSocket } from 'ws';
import type { Authenticator, Identity } from '../../../server/src/auth/types.js';
import { loadConfig } from '../../../server/src/config/load.js';
import { AuthenticationError } from '../../../server/src/errors.js';
import { createGateway, type Gateway } from '../../../server/src/gateway.js';
import { silentLogger } from '../../../server/src/log.js';
import { FakeBackend, FakeChannelsFactory } from './kernels/fakes.js';

const CONFIG_TOKEN = 'the-config-token';

/** Accepts only 'hub-alice', as a Hub would after asking /hub/api/user. */
class HubLikeAuthenticator implements Authenticator {
  async authenticate(token: string | undefined): Promise<Identity> {
    await Promise.resolve(); // answers later, like a round trip
    if (token === 'hub-alice') {
      return { user: 'alice', tenant: 'default' };
    }
    throw new AuthenticationError('hub: token not accepted');
  }
}

describe('auth (injected into the gateway)', () => {
  let gateway: Gateway;
  let base = '';
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    const config = loadConfig({
      flags: { host: '127.0.0.1', port: 0 },
      env: { SPARKGATE_TOKEN: CONFIG_TOKEN },
      readFile: () => '',
      defaults: { python: '/py', launcher: '/launcher.py', workingDir: '/work' }
    });
    gateway = createGateway({
      config,
      backend: new FakeBackend(),
      channels: new FakeChannelsFactory().create,
      logger: silentLogger,
      version: 'test',
      authenticator: new HubLikeAuthenticator()
    });
    const { port } = await gateway.listen();
    base = `127.0.0.1:${port}`;
  });
  afterAll(async () => {
    sockets.forEach(s => s.close());
    await gateway?.stop();
  });

  const call = async (method: string, route: string, token: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`http://${base}${route}`, {
      method,
      headers: { Authorization: `token ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };

  const upgrade = (id: string, token: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${base}/api/kernels/${id}/channels?token=${token}`);
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      ws.once('error', reject);
    });

  const statusStream = (token: string): Promise<{ clusters: { id: string }[] } | { refused: string }> => {
    const socket = ioClient(`http://${base}/status`, { path: '/socket.io', transports: ['websocket'], reconnection: false, auth: { token } });
    sockets.push(socket);
    return new Promise(resolve => {
      socket.once('clusters', (clusters: { id: string }[]) => resolve({ clusters }));
      socket.once('connect_error', (error: Error) => resolve({ refused: error.message }));
    });
  };

  it('should let the injected authenticator, not the config token, decide every door', async () => {
    expect(await call('GET', '/api/kernels', 'hub-alice')).toEqual({ status: 200, body: [] });
    expect(await call('GET', '/api/kernels', CONFIG_TOKEN)).toEqual({
      status: 401,
      body: { reason: 'AuthenticationFailed', message: 'hub: token not accepted' }
    });

    const started = await call('POST', '/api/kernels', 'hub-alice', { name: 'python3' });
    expect(started.status).toBe(201);
    const id = (started.body as { id: string }).id;

    expect(await upgrade(id, 'hub-alice')).toBe(101);
    expect(await upgrade(id, CONFIG_TOKEN)).toBe(401);

    const stream = await statusStream('hub-alice');
    expect(stream).toEqual({ clusters: [expect.objectContaining({ id })] });
    expect(await statusStream(CONFIG_TOKEN)).toEqual({ refused: 'hub: token not accepted' });
  });
});
