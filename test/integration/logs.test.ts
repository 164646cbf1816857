/**
 * Issue 17, item 2 (logs): the built gateway as a child process, at debug, with a user token and a
 * JupyterHub that is down. Tokens go in the Authorization header and in the query string (REST and
 * the kernel websocket), an unknown token makes the Hub lookup fail (503 with a cause chain), and a
 * python3 kernel is launched. On stderr: every line is JSON with level, time and message; neither
 * token nor the kernel's HMAC key (read from its connection file) appears; request lines carry
 * reqId, user and tenant; the 5xx line carries the stack and the cause; kernel lines name the
 * kernel, its user and tenant.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { WebSocket } from 'ws';
import { spawnGateway, type GatewayProcess } from '../support/gatewayProcess.js';
import { waitUntil } from '../support/waitFor.js';

jest.setTimeout(120_000);

const TOKEN = 'logs-test-alice-token-5d0c2f8e91';
const UNKNOWN = 'logs-test-hub-token-a7b3e19c44';

interface Line {
  level: string;
  time: string;
  message: string;
  [field: string]: unknown;
}

let gw: GatewayProcess;
let tmp: string;
let kernelId: string;

/** A port nothing listens on: the Hub that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

function lines(): Line[] {
  return gw
    .log()
    .split('\n')
    .filter(l => l !== '')
    .map(l => JSON.parse(l) as Line);
}

const requestLines = (): Line[] => lines().filter(l => l.message === 'request');

function send(pathAndQuery: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const { token, ...rest } = init;
  return fetch(`${gw.url}${pathAndQuery}`, {
    ...rest,
    headers: { ...(token ? { Authorization: `token ${token}` } : {}), 'Content-Type': 'application/json', ...(rest.headers as Record<string, string> | undefined) }
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'sparkgate-logs-'));
  gw = await spawnGateway({
    runtimeDir: path.join(tmp, 'runtime'),
    env: { SPARKGATE_LOG_LEVEL: 'debug' },
    timeoutMs: 60_000,
    yaml: `
local: {usersTrustEachOther: true}
users:
  - {name: alice, tenant: team-a, token: ${TOKEN}}
tenants:
  team-a: {}
profiles:
  python3: {displayName: Python 3, spark: false}
jupyterhub:
  apiUrl: http://127.0.0.1:${await closedPort()}/hub/api
  groups: {hub-team-a: team-a}
log:
  redact: [hub.apiToken]
`
  });
  const started = await send('/api/kernels', { method: 'POST', token: TOKEN, body: JSON.stringify({ name: 'python3' }) });
  const body = (await started.json()) as { id?: string };
  if (started.status !== 201 || typeof body.id !== 'string') {
    throw new Error(`the python3 kernel did not start: ${started.status} ${JSON.stringify(body)}\n${gw.log().slice(-3000)}`);
  }
  kernelId = body.id;
});

afterAll(async () => {
  await gw?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('gateway logs', () => {
  it('should log requests with a token in the header or the query with reqId, user and tenant, and no token', async () => {
    const header = await send('/api/kernels', { token: TOKEN, headers: { 'X-Request-Id': 'logs-it-1' } });
    expect(header.status).toBe(200);
    expect(header.headers.get('x-request-id')).toBe('logs-it-1');
    const model = await header.text();
    const query = await send(`/api/kernels/${kernelId}?token=${TOKEN}`);
    expect(query.status).toBe(200);
    const generated = query.headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const detail = await query.text();
    // The API never hands out the key either: nothing in its answers to compare against.
    expect(model + detail).not.toMatch(/"key"/);
    const missing = await send(`/api/kernels/${kernelId}/nothing?token=${TOKEN}`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();

    await waitUntil(() => requestLines().some(l => l.status === 404), { timeoutMs: 10_000, what: 'the 404 request line' });
    const byId = (id: string | null): Line | undefined => requestLines().find(l => l.reqId === id);
    expect(byId('logs-it-1')).toMatchObject({ level: 'debug', method: 'GET', path: '/api/kernels', url: '/api/kernels', status: 200, user: 'alice', tenant: 'team-a', component: 'http' });
    expect(byId(generated)).toMatchObject({ status: 200, user: 'alice', tenant: 'team-a', kernel: kernelId, url: `/api/kernels/${kernelId}?token=[redacted]` });
    expect(requestLines().find(l => l.status === 404)).toMatchObject({ level: 'warn', user: 'alice', tenant: 'team-a', kernel: kernelId, url: `/api/kernels/${kernelId}/nothing?token=[redacted]` });
    const launch = requestLines().find(l => l.method === 'POST' && l.path === '/api/kernels');
    expect(launch).toMatchObject({ level: 'info', status: 201, user: 'alice', tenant: 'team-a', reqId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    for (const line of requestLines()) {
      expect(typeof line.reqId).toBe('string');
    }
  });

  it('should log a 5xx (the Hub unreachable) with the request id, the stack and the cause chain', async () => {
    const res = await send('/api/kernels', { token: UNKNOWN, headers: { 'X-Request-Id': 'logs-it-503' } });
    expect(res.status).toBe(503);
    await res.arrayBuffer();
    await waitUntil(() => lines().some(l => l.reqId === 'logs-it-503' && l.message === 'request'), { timeoutMs: 10_000, what: 'the 503 request line' });
    const failed = lines().find(l => l.reqId === 'logs-it-503' && l.message === 'request failed') as Line & {
      error: { name: string; stack: string; cause: { message: string; stack: string; cause?: unknown } };
    };
    expect(failed).toMatchObject({ level: 'error', status: 503, path: '/api/kernels', component: 'errorHandler' });
    expect(failed.error.name).toBe('ServiceUnavailableError');
    expect(failed.error.stack).toMatch(/^ServiceUnavailableError: JupyterHub at http:\/\/127\.0\.0\.1:\d+\/hub\/api is unreachable[^\n]*\n\s+at /);
    expect(failed.error.cause).toMatchObject({ message: 'fetch failed', stack: expect.stringMatching(/^TypeError: fetch failed\n\s+at /) });
    expect(JSON.stringify(failed.error.cause.cause)).toMatch(/ECONNREFUSED/);
    expect(lines().find(l => l.reqId === 'logs-it-503' && l.message === 'request')).toMatchObject({ level: 'error', status: 503 });
  });

  it('should name the kernel, its user and tenant on kernel lines, also after a websocket with the token in its query', async () => {
    const ws = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/api/kernels/${kernelId}/channels?session_id=logs-it&token=${TOKEN}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
    await new Promise<void>(resolve => ws.once('close', () => resolve()));
    const kernelLines = lines().filter(l => l.kernel === kernelId && l.component === 'kernels');
    expect(kernelLines.map(l => l.message)).toEqual(expect.arrayContaining(['kernel started', 'kernel state']));
    for (const line of kernelLines) {
      expect(line).toMatchObject({ user: 'alice', tenant: 'team-a' });
    }
  });

  it('should write only JSON lines with level, time and message, and never a token or the kernel HMAC key', () => {
    const root = path.join(tmp, 'runtime');
    const dir = readdirSync(root).find(name => name.startsWith(`${kernelId}.`));
    expect(dir).toBeDefined();
    const { key } = JSON.parse(readFileSync(path.join(root, dir!, 'connection.json'), 'utf8')) as { key: string };
    expect(key.length).toBeGreaterThanOrEqual(32);

    const text = gw.log();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(UNKNOWN);
    expect(text).not.toContain(key);
    const raw = text.split('\n').filter(l => l !== '');
    expect(raw.length).toBeGreaterThan(10);
    for (const line of raw) {
      const parsed = JSON.parse(line) as Line;
      expect({ line, level: ['debug', 'info', 'warn', 'error'].includes(parsed.level), time: new Date(parsed.time).toISOString() === parsed.time, message: typeof parsed.message }).toEqual({
        line,
        level: true,
        time: true,
        message: 'string'
      });
    }
  });

  it('should refuse to start with a malformed log.redact path, naming it', async () => {
    await expect(spawnGateway({ yaml: 'log: {redact: ["a[b"]}', timeoutMs: 30_000 })).rejects.toThrow(/exited \(1\) before listening:\nsparkgate: log\.redact: .*a\[b/);
  });
});
