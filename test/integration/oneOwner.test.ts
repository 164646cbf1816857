/**
 * Issue 10, item 1: one HTTP request to socket.io's polling transport crashed the gateway
 * (express and engine.io both answered it; ERR_HTTP_HEADERS_SENT). Every request path has exactly
 * one owner now. The gateway runs as a real child process here, so a crash is seen as one.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import { spawnGatewayWithKernel, type GatewayProcess } from '../support/gatewayProcess.js';

jest.setTimeout(120_000);

let gw: GatewayProcess;
let kernelId: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  ({ gw, kernelId } = await spawnGatewayWithKernel());
});
afterAll(async () => {
  sockets.forEach(s => s.close());
  await gw?.stop();
});

/** The process is up and still answers an authenticated request. */
async function stillUp(): Promise<void> {
  const response = await fetch(`${gw.url}/api/kernels/${kernelId}`, { headers: { Authorization: `token ${gw.token}` } });
  expect(response.status).toBe(200);
  expect(gw.alive()).toBe(true);
}

const TOKENS = [
  ['a valid token', () => gw.token],
  ['no token', () => undefined],
  ['a wrong token', () => 'wrong-token']
] as const;

describe('integration/one owner per request path (issue 10)', () => {
  it.each(TOKENS)('should answer a raw engine.io polling handshake with %s once, and keep running', async (_what, token) => {
    const t = token();
    const response = await fetch(`${gw.url}/socket.io/?EIO=4&transport=polling${t ? `&token=${t}` : ''}`, {
      headers: t ? { Authorization: `token ${t}` } : {}
    });
    // engine.io's own answer (the open packet), not express's 401/404 followed by a second answer.
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^0\{"sid":/);
    await stillUp();
  });

  it('should answer a socket.io path that is not a handshake without crashing', async () => {
    for (const query of ['', '?EIO=3&transport=polling', '?EIO=4&transport=bogus', '?EIO=4&transport=polling&sid=nope']) {
      const response = await fetch(`${gw.url}/socket.io/${query}`);
      expect([query, response.status]).toEqual([query, 400]);
    }
    await stillUp();
  });

  describe.each(['polling', 'websocket'] as const)('socket.io over %s', transport => {
    const connect = (token: string | undefined): Socket => {
      const socket = io(`${gw.url}/status`, {
        path: '/socket.io',
        transports: [transport],
        ...(token === undefined ? {} : { auth: { token } }),
        reconnection: false
      });
      sockets.push(socket);
      return socket;
    };

    it('should stream the caller clusters with a valid token', async () => {
      const socket = connect(gw.token);
      const clusters = await new Promise<unknown[]>((resolve, reject) => {
        socket.once('clusters', resolve);
        socket.once('connect_error', reject);
      });
      expect(Array.isArray(clusters)).toBe(true);
      expect(socket.io.engine.transport.name).toBe(transport);
      socket.close();
      await stillUp();
    });

    it.each([
      ['no token', undefined, /missing token/],
      ['a wrong token', 'wrong-token', /invalid token/]
    ])('should refuse %s with connect_error', async (_what, token, message) => {
      const socket = connect(token);
      const error = await new Promise<Error>(resolve => socket.once('connect_error', resolve));
      expect(error.message).toMatch(message);
      socket.close();
      await stillUp();
    });
  });

  it('should survive a request to every route with every method, with and without a token', async () => {
    const routes = [
      '/',
      '/api',
      '/api/kernelspecs',
      '/api/kernelspecs/python3',
      '/kernelspecs/python3/logo-64x64.png',
      '/api/kernels',
      `/api/kernels/${kernelId}/channels`,
      '/api/kernels/00000000-0000-4000-8000-000000000000',
      '/api/kernels/00000000-0000-4000-8000-000000000000/interrupt',
      '/api/kernels/00000000-0000-4000-8000-000000000000/restart',
      '/api/me',
      '/api/clusters',
      '/api/clusters/00000000-0000-4000-8000-000000000000',
      '/ui/00000000-0000-4000-8000-000000000000/',
      '/healthz',
      '/socket.io/',
      '/socket.io/?EIO=4&transport=websocket',
      '/nope'
    ];
    const statuses: string[] = [];
    for (const route of routes) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
        for (const headers of [{}, { Authorization: `token ${gw.token}` }, { Authorization: 'token wrong' }] as Record<string, string>[]) {
          const response = await fetch(gw.url + route, {
            method,
            headers,
            ...(['POST', 'PUT', 'PATCH'].includes(method) ? { body: '{"name": 42}' } : {})
          });
          await response.arrayBuffer();
          if (response.status >= 500) {
            statuses.push(`${method} ${route} -> ${response.status}`);
          }
        }
      }
    }
    expect(statuses).toEqual([]);
    await stillUp();
  });
});
