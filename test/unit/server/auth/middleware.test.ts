/**
 * The three auth adapters (REST, kernel websocket upgrade, socket.io) against one fake async
 * authenticator, each through the real server code on 127.0.0.1 port 0: accepted, refused with the
 * authenticator's 401 and message, an unexpected error answered 500 (never a crash), and a slow
 * authenticator that is awaited (issue 12, item 4).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Server as SocketServer } from 'socket.io';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { errorHandler } from '../../../../server/src/api/errorHandler.js';
import { attachKernelWebsockets } from '../../../../server/src/api/ws/channels.js';
import { identityOf, requireAuth, socketAuth, tokenFrom, type HandshakeError } from '../../../../server/src/auth/middleware.js';
import type { Authenticator, Identity } from '../../../../server/src/auth/types.js';
import { AuthenticationError } from '../../../../server/src/errors.js';
import { createLogger } from '../../../../server/src/log.js';
import { waitUntil } from '../../../support/waitFor.js';

const KID = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const ALICE: Identity = { user: 'alice', tenant: 'team-a' };

/**
 * A fake async authenticator: 'alice-token' is alice; 'boom' fails unexpectedly (a Hub that is
 * down); 'slow' waits for `release()`; anything else is an invalid token.
 */
class FakeAuthenticator implements Authenticator {
  readonly seen: (string | undefined)[] = [];
  private _release: (() => void) | undefined;
  private _slow = new Promise<void>(resolve => (this._release = resolve));

  async authenticate(token: string | undefined): Promise<Identity> {
    this.seen.push(token);
    if (token === 'slow') {
      await this._slow;
      return ALICE;
    }
    if (token === 'boom') {
      throw new TypeError('hub answered garbage');
    }
    if (token !== 'alice-token') {
      throw new AuthenticationError(token ? 'invalid token' : 'missing token');
    }
    return ALICE;
  }

  release(): void {
    this._release?.();
  }

  reset(): void {
    this.seen.length = 0;
    this._slow = new Promise<void>(resolve => (this._release = resolve));
  }
}

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger({ level: 'debug', write: line => lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise(resolve => server.close(resolve));
}

describe('auth/middleware', () => {
  const auth = new FakeAuthenticator();
  afterEach(() => auth.reset());

  describe('#tokenFrom()', () => {
    it('should read "token" and "Bearer" schemes, then the query', () => {
      expect(tokenFrom('token abc', new URLSearchParams())).toBe('abc');
      expect(tokenFrom('Bearer abc', new URLSearchParams())).toBe('abc');
      expect(tokenFrom(undefined, new URLSearchParams('token=q'))).toBe('q');
      expect(tokenFrom('Basic dXNlcg==', new URLSearchParams('token=q'))).toBeUndefined();
    });

    it("should prefer a socket.io handshake's auth.token, and ignore one that is empty or not a string", () => {
      expect(tokenFrom('token h', new URLSearchParams('token=q'), 'a')).toBe('a');
      expect(tokenFrom('token h', new URLSearchParams(), '')).toBe('h');
      expect(tokenFrom(undefined, new URLSearchParams('token=q'), 42)).toBe('q');
    });
  });

  describe('#requireAuth() (REST)', () => {
    const { lines, logger } = recordingLogger();
    const app = express();
    app.use(requireAuth(auth));
    app.get('/who', (req, res) => {
      res.json(identityOf(req));
    });
    app.use(errorHandler(logger));
    const server = createServer(app);
    let base = '';
    beforeAll(async () => {
      base = `http://${await listen(server)}`;
    });
    afterAll(() => close(server));

    const get = async (token: string | undefined): Promise<{ status: number; body: unknown }> => {
      const response = await fetch(`${base}/who`, token === undefined ? {} : { headers: { Authorization: `token ${token}` } });
      return { status: response.status, body: await response.json() };
    };

    it('should let a valid token through and attach its identity', async () => {
      expect(await get('alice-token')).toEqual({ status: 200, body: ALICE });
      expect(auth.seen).toEqual(['alice-token']);
    });

    it("should answer 401 with the authenticator's message", async () => {
      expect(await get('wrong')).toEqual({ status: 401, body: { reason: 'AuthenticationFailed', message: 'invalid token' } });
      expect(await get(undefined)).toEqual({ status: 401, body: { reason: 'AuthenticationFailed', message: 'missing token' } });
    });

    it('should answer 500 without details when the authenticator fails unexpectedly, and log it', async () => {
      lines.length = 0;
      expect(await get('boom')).toEqual({ status: 500, body: { reason: 'InternalError', message: 'internal error; see the gateway log' } });
      expect(lines).toEqual([expect.objectContaining({ level: 'error', status: 500, error: expect.objectContaining({ message: 'hub answered garbage' }) })]);
      expect(await get('alice-token')).toEqual({ status: 200, body: ALICE });
    });

    it('should await a slow authenticator, and answer once it resolves', async () => {
      const pending = get('slow');
      await waitUntil(() => auth.seen.includes('slow'), { timeoutMs: 5000, what: 'the authenticator to be asked' });
      // Another request is not held up behind the slow one.
      expect(await get('alice-token')).toEqual({ status: 200, body: ALICE });
      auth.release();
      expect(await pending).toEqual({ status: 200, body: ALICE });
    });
  });

  describe('#authenticateUpgrade() (kernel websocket)', () => {
    const { lines, logger } = recordingLogger();
    const asked: { identity: Identity; id: string }[] = [];
    const attached: unknown[] = [];
    /** Clients attached and not yet detached (earlier tests' clients leave this as they close). */
    const live = new Set<unknown>();
    const kernel = {
      id: KID,
      state: 'starting',
      attach: (client: unknown) => {
        attached.push(client);
        live.add(client);
      },
      detach: (client: unknown) => live.delete(client),
      fromClient: () => undefined
    };
    const kernels = {
      get: (identity: Identity, id: string) => {
        asked.push({ identity, id });
        return kernel;
      }
    } as unknown as Parameters<typeof attachKernelWebsockets>[0]['kernels'];
    const server = createServer();
    const wss = attachKernelWebsockets({ server, kernels, auth, basePath: '', maxMessageBytes: 1024 * 1024, logger });
    let base = '';
    beforeAll(async () => {
      base = `ws://${await listen(server)}`;
    });
    afterAll(async () => {
      wss.clients.forEach(client => client.terminate());
      await close(server);
    });
    afterEach(() => {
      asked.length = 0;
      attached.length = 0;
      lines.length = 0;
    });

    const open = (token: string | undefined): WebSocket =>
      new WebSocket(`${base}/api/kernels/${KID}/channels${token === undefined ? '' : `?token=${token}`}`);

    /** The upgrade's outcome: 'open', or the HTTP status and JSON body it was refused with. */
    const outcome = (ws: WebSocket): Promise<'open' | { status: number; body: unknown }> =>
      new Promise((resolve, reject) => {
        ws.once('open', () => {
          ws.close();
          resolve('open');
        });
        ws.once('unexpected-response', (_req, res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        });
        ws.once('error', reject);
      });

    it("should upgrade with a valid token and look the kernel up as the caller's", async () => {
      expect(await outcome(open('alice-token'))).toBe('open');
      expect(asked).toEqual([{ identity: ALICE, id: KID }]);
      expect(attached).toHaveLength(1);
    });

    it("should refuse the upgrade with 401 and the authenticator's message", async () => {
      expect(await outcome(open('wrong'))).toEqual({ status: 401, body: { reason: 'AuthenticationFailed', message: 'invalid token' } });
      expect(await outcome(open(undefined))).toEqual({ status: 401, body: { reason: 'AuthenticationFailed', message: 'missing token' } });
      expect(asked).toEqual([]);
    });

    it('should refuse with 500 when the authenticator fails unexpectedly, log it, and keep serving', async () => {
      expect(await outcome(open('boom'))).toEqual({ status: 500, body: { reason: 'InternalError', message: 'internal error; see the gateway log' } });
      expect(lines).toEqual([expect.objectContaining({ level: 'error', message: 'websocket upgrade failed', status: 500 })]);
      expect(await outcome(open('alice-token'))).toBe('open');
    });

    it('should await a slow authenticator before upgrading', async () => {
      const ws = open('slow');
      const result = outcome(ws);
      await waitUntil(() => auth.seen.includes('slow'), { timeoutMs: 5000, what: 'the authenticator to be asked' });
      expect(ws.readyState).toBe(WebSocket.CONNECTING);
      auth.release();
      expect(await result).toBe('open');
      expect(asked).toEqual([{ identity: ALICE, id: KID }]);
    });

    it('should not crash, nor leave the kernel attached, when the client leaves while a slow authenticator works', async () => {
      const ws = open('slow');
      ws.on('error', () => undefined); // terminate() before the upgrade reports an error here
      await waitUntil(() => auth.seen.includes('slow'), { timeoutMs: 5000, what: 'the authenticator to be asked' });
      ws.terminate();
      auth.release();
      // The server may learn only on writing that the client is gone; either way nothing stays attached.
      await waitUntil(() => asked.length > 0 && live.size === 0, {
        timeoutMs: 5000,
        what: 'the late upgrade to be dropped or detached'
      });
      expect(await outcome(open('alice-token'))).toBe('open');
    });
  });

  describe('#socketAuth() (socket.io)', () => {
    const { lines, logger } = recordingLogger();
    const server = createServer();
    const io = new SocketServer<Record<string, never>, { hello: (identity: Identity) => void }, Record<string, never>, Identity>(server, {
      path: '/socket.io'
    });
    const status = io.of('/status');
    status.use(socketAuth(auth, logger));
    status.on('connection', socket => {
      socket.emit('hello', { user: socket.data.user, tenant: socket.data.tenant });
    });
    const clients: ClientSocket[] = [];
    let base = '';
    beforeAll(async () => {
      base = `http://${await listen(server)}`;
    });
    afterAll(async () => {
      clients.forEach(c => c.close());
      io.disconnectSockets(true);
      await close(server);
    });
    afterEach(() => {
      lines.length = 0;
    });

    const connect = (token: string | undefined): ClientSocket => {
      const socket = ioClient(`${base}/status`, {
        path: '/socket.io',
        transports: ['websocket'],
        reconnection: false,
        ...(token === undefined ? {} : { auth: { token } })
      });
      clients.push(socket);
      return socket;
    };
    const outcome = (socket: ClientSocket): Promise<Identity | HandshakeError> =>
      new Promise(resolve => {
        socket.once('hello', (identity: Identity) => resolve(identity));
        socket.once('connect_error', resolve);
      });

    it('should connect with a valid token and set socket.data to its identity', async () => {
      expect(await outcome(connect('alice-token'))).toEqual(ALICE);
    });

    it("should refuse with connect_error carrying the authenticator's message and 401", async () => {
      const refused = (await outcome(connect('wrong'))) as HandshakeError;
      expect(refused).toBeInstanceOf(Error);
      expect(refused.message).toBe('invalid token');
      expect(refused.data).toEqual({ status: 401, reason: 'AuthenticationFailed' });
      expect(((await outcome(connect(undefined))) as HandshakeError).message).toBe('missing token');
      expect(lines).toEqual([]);
    });

    it('should refuse with a detail-free 500 when the authenticator fails unexpectedly, and log it', async () => {
      const refused = (await outcome(connect('boom'))) as HandshakeError;
      expect(refused.message).toBe('internal error; see the gateway log');
      expect(refused.data).toEqual({ status: 500, reason: 'InternalError' });
      expect(lines).toEqual([expect.objectContaining({ level: 'error', message: 'socket.io authentication failed', status: 500 })]);
      expect(await outcome(connect('alice-token'))).toEqual(ALICE);
    });

    it('should await a slow authenticator before connecting', async () => {
      const socket = connect('slow');
      const result = outcome(socket);
      await waitUntil(() => auth.seen.includes('slow'), { timeoutMs: 5000, what: 'the authenticator to be asked' });
      expect(socket.connected).toBe(false);
      auth.release();
      expect(await result).toEqual(ALICE);
    });
  });
});
