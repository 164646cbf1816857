/**
 * Issue 10, item 7: defaults that protect the service — a per-user kernel limit, request timeouts
 * that free sockets held by clients that stop sending (without cutting short a slow launch), and
 * a clear 4xx for a kernel websocket path with a malformed percent-escape.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { connect } from 'node:net';
import path from 'node:path';
import { api, repoRoot, startGateway, type TestGateway } from './support/gateway.js';

jest.setTimeout(120_000);

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({
    yaml: `
limits: {maxKernelsPerUser: 2, requestTimeoutSeconds: 1}
`
  });
});
afterAll(async () => {
  await gw?.stop();
});

/** Sends raw bytes and resolves with everything the server answered once it closes the socket. */
function raw(text: string): Promise<string> {
  const { port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', chunk => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

describe('integration/service defaults (issue 10)', () => {
  it('should answer 408 and close a request whose body never arrives', async () => {
    const answer = await raw(
      `POST /api/kernels HTTP/1.1\r\nHost: x\r\nAuthorization: token ${gw.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name": "`
    );
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('should close a connection whose headers never end', async () => {
    const answer = await raw(`GET /api HTTP/1.1\r\nHost: x\r\nAuthorization: token ${gw.token}\r\nX-Slow: `);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('should not cut short a launch that takes longer than the request timeout', async () => {
    // A launcher that waits 3 s before starting the kernel; the request timeout is 1 s. The
    // request itself arrives at once, only the answer waits.
    const slow = await startGateway({
      yaml: `limits: {requestTimeoutSeconds: 1}\nlocal: {launcher: ${path.join(repoRoot, 'test', 'integration', 'fixtures', 'slow_launcher.py')}}\n`
    });
    try {
      const { status, body } = await api(slow, 'POST', '/api/kernels', { name: 'python3', env: { KERNEL_SLOW_LAUNCH_SECONDS: '3' } });
      expect(status).toBe(201);
      expect((await api(slow, 'DELETE', `/api/kernels/${(body as { id: string }).id}`)).status).toBe(204);
    } finally {
      await slow.stop();
    }
  });

  it('should refuse a kernel over the per-user limit, naming it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { status, body } = await api(gw, 'POST', '/api/kernels', { name: 'python3' });
      expect(status).toBe(201);
      ids.push((body as { id: string }).id);
    }
    const third = await api(gw, 'POST', '/api/kernels', { name: 'python3' });
    expect(third).toEqual({
      status: 403,
      body: { reason: 'LimitExceeded', message: 'kernels: you have 2 running, the limit per user; shut one down first' }
    });
    for (const id of ids) {
      await api(gw, 'DELETE', `/api/kernels/${id}`);
    }
    expect((await api(gw, 'POST', '/api/kernels', { name: 'python3' })).status).toBe(201);
  });

  it('should answer 400 to a kernel websocket path with a malformed percent-escape', async () => {
    const answer = await raw(
      `GET /api/kernels/%E0%A4%A/channels HTTP/1.1\r\nHost: x\r\nAuthorization: token ${gw.token}\r\n` +
        'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'
    );
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      reason: 'InvalidInput',
      message: 'the URL has a malformed percent-escape; encode it with encodeURIComponent'
    });
  });
});
