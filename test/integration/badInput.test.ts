/**
 * Hostile and clumsy input: every bad request gets a clear 4xx `{reason, message}`, and the
 * gateway keeps serving a kernel that is running throughout.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { waitUntil } from '../support/waitFor.js';
import { api, startGateway, type TestGateway } from './support/gateway.js';
import { KernelSocket } from './support/kernelSocket.js';
import { processesOfKernel } from './support/processes.js';

jest.setTimeout(120_000);

let gw: TestGateway;
let kernelId: string;
const missing = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  gw = await startGateway();
  kernelId = ((await api(gw, 'POST', '/api/kernels', { name: 'python3' })).body as { id: string }).id;
});
afterAll(async () => {
  await gw?.stop();
});

/** The witness kernel still runs code: the gateway lost nothing. */
async function stillServing(): Promise<void> {
  const ws = await KernelSocket.open(gw.wsUrl, kernelId, gw.token);
  expect((await ws.execute('6*7')).result).toBe('42');
  ws.close();
}

describe('integration/bad input', () => {
  it.each([
    ['no token', {}],
    ['a wrong token', { Authorization: 'token nope' }],
    ['a malformed header', { Authorization: 'tokennope' }]
  ])('should answer 401 to %s on every endpoint', async (_what, headers) => {
    for (const [method, route] of [
      ['GET', '/api'],
      ['GET', '/api/kernelspecs'],
      ['GET', '/api/kernels'],
      ['POST', '/api/kernels'],
      ['GET', `/api/kernels/${kernelId}`],
      ['DELETE', `/api/kernels/${kernelId}`],
      ['POST', `/api/kernels/${kernelId}/interrupt`],
      ['POST', `/api/kernels/${kernelId}/restart`]
    ] as const) {
      const response = await fetch(gw.url + route, { method, headers });
      expect([route, response.status]).toEqual([route, 401]);
      expect(await response.json()).toEqual({ reason: 'AuthenticationFailed', message: expect.stringMatching(/token/) });
    }
    await stillServing();
  });

  it('should answer Kubernetes probes on /healthz without a token, telling nothing else', async () => {
    const response = await fetch(`${gw.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('should accept the token as a query parameter', async () => {
    const response = await fetch(`${gw.url}/api/kernels?token=${gw.token}`);
    expect(response.status).toBe(200);
  });

  it('should answer 404 with a message for unknown and ill-formed kernel ids', async () => {
    for (const id of [missing, 'not-a-uuid', '..%2F..%2Fetc', 'x'.repeat(2000)]) {
      for (const [method, suffix] of [['GET', ''], ['DELETE', ''], ['POST', '/interrupt'], ['POST', '/restart']] as const) {
        const { status, body } = await api(gw, method, `/api/kernels/${id}${suffix}`, method === 'POST' ? {} : undefined);
        expect([id.slice(0, 20), method, suffix, status]).toEqual([id.slice(0, 20), method, suffix, 404]);
        expect(body).toEqual({ reason: 'NotFound', message: expect.stringMatching(/does not exist/) });
      }
    }
    await stillServing();
  });

  it('should refuse an unknown kernelspec with the available ones named', async () => {
    const { status, body } = await api(gw, 'POST', '/api/kernels', { name: 'scala' });
    expect(status).toBe(404);
    expect((body as { message: string }).message).toBe("kernel spec 'scala' does not exist; available: pyspark, python3");
    expect((await api(gw, 'GET', '/api/kernelspecs/scala')).status).toBe(404);
  });

  it('should answer 400 to malformed JSON and to bodies of the wrong shape', async () => {
    const malformed = await api(gw, 'POST', '/api/kernels', '{"name": "python3"');
    expect(malformed.status).toBe(400);
    expect((malformed.body as { message: string }).message).toMatch(/not valid JSON/);
    const wrong = await api(gw, 'POST', '/api/kernels', { name: 'python3', env: { KERNEL_X: 42 } });
    expect(wrong).toEqual({ status: 400, body: { reason: 'InvalidInput', message: 'env.KERNEL_X must be a string' } });
    await stillServing();
  });

  it('should answer 413 to an oversized body without reading it all', async () => {
    const big = JSON.stringify({ name: 'python3', env: { KERNEL_PAD: 'x'.repeat(2 * 1024 * 1024) } });
    const { status, body } = await api(gw, 'POST', '/api/kernels', big);
    expect(status).toBe(413);
    expect((body as { message: string }).message).toMatch(/larger than the 1048576 byte limit/);
    await stillServing();
  });

  it('should answer 404 to unknown routes in the same shape', async () => {
    const { status, body } = await api(gw, 'GET', '/api/nothing-here');
    expect(status).toBe(404);
    expect(body).toEqual({ reason: 'NotFound', message: 'no route GET /api/nothing-here' });
  });

  it('should refuse websocket upgrades without a token, for unknown kernels and unknown paths', async () => {
    await expect(KernelSocket.open(gw.wsUrl, kernelId, null)).rejects.toMatchObject({ status: 401 });
    await expect(KernelSocket.open(gw.wsUrl, kernelId, 'wrong')).rejects.toMatchObject({ status: 401 });
    await expect(KernelSocket.open(gw.wsUrl, missing, gw.token)).rejects.toMatchObject({ status: 404 });
    const other = new WebSocket(`${gw.wsUrl}/api/other`, { headers: { Authorization: `token ${gw.token}` } });
    const status = await new Promise(resolve => other.once('unexpected-response', (_req, res) => resolve(res.statusCode)));
    expect(status).toBe(404);
  });

  it.each([
    ['not JSON', 'hello', /not valid JSON|JSON/],
    ['an unknown channel', JSON.stringify({ channel: 'nope', header: { msg_id: 'a', msg_type: 'x', session: 's' } }), /channel/],
    ['iopub from a client', JSON.stringify({ channel: 'iopub', header: { msg_id: 'a', msg_type: 'x', session: 's' } }), /channel/],
    ['a header without msg_type', JSON.stringify({ channel: 'shell', header: { msg_id: 'a', session: 's' } }), /msg_type/],
    ['a non-object content', JSON.stringify({ channel: 'shell', header: { msg_id: 'a', msg_type: 'x', session: 's' }, content: 5 }), /content/]
  ])('should close a websocket that sends %s with 1007 and a reason, and keep the kernel', async (_what, frame, reason) => {
    const bad = await KernelSocket.open(gw.wsUrl, kernelId, gw.token);
    const good = await KernelSocket.open(gw.wsUrl, kernelId, gw.token);
    bad.ws.send(frame);
    expect(await bad.closed()).toBe(1007);
    expect(bad.closeReason).toMatch(reason);
    expect((await good.execute('1+2')).result).toBe('3');
    good.close();
  });

  it('should keep the kernel when a client vanishes mid-stream', async () => {
    const ws = await KernelSocket.open(gw.wsUrl, kernelId, gw.token);
    ws.send('shell', 'execute_request', { code: 'for i in range(20000): print(i)', silent: false });
    await ws.waitFor(() => ws.received.some(m => m.header.msg_type === 'stream'), 10_000, 'first output');
    ws.ws.terminate();
    await stillServing();
  });

  it('should tell clients a kernel died and keep serving the others', async () => {
    const doomed = ((await api(gw, 'POST', '/api/kernels', { name: 'python3' })).body as { id: string }).id;
    const ws = await KernelSocket.open(gw.wsUrl, doomed, gw.token);
    ws.send('shell', 'execute_request', { code: 'import os; os._exit(3)', silent: false });
    await ws.waitFor(() => ws.received.some(m => m.header.msg_type === 'status' && m.content.execution_state === 'dead'), 15_000, 'dead status');
    const { body } = await api(gw, 'GET', `/api/kernels/${doomed}`);
    expect(body).toMatchObject({ execution_state: 'dead', reason: expect.stringMatching(/kernel process ended \(3\)/) });
    expect(processesOfKernel(doomed)).toEqual([]);
    // A dead kernel can be restarted under the same id.
    expect((await api(gw, 'POST', `/api/kernels/${doomed}/restart`, {})).body).toMatchObject({ id: doomed, execution_state: 'idle' });
    expect(await api(gw, 'DELETE', `/api/kernels/${doomed}`)).toEqual({ status: 204, body: null });
    ws.close();
    await stillServing();
  });

  it('should refuse a second restart while one is in progress', async () => {
    const first = api(gw, 'POST', `/api/kernels/${kernelId}/restart`, {});
    // The second request goes in while the first one is under way (stopping the old kernel).
    await waitUntil(async () => ((await api(gw, 'GET', `/api/kernels/${kernelId}`)).body as { execution_state: string }).execution_state === 'restarting', {
      timeoutMs: 10_000,
      what: 'the kernel restarting',
      intervalMs: 10
    });
    const second = await api(gw, 'POST', `/api/kernels/${kernelId}/restart`, {});
    expect(second.status).toBe(409);
    expect((second.body as { message: string }).message).toMatch(/already restarting/);
    expect((await first).status).toBe(200);
    await stillServing();
  });

  it('should survive a request with a truncated body', async () => {
    await new Promise<void>(resolve => {
      const url = new URL(gw.url);
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/api/kernels', headers: { Authorization: `token ${gw.token}`, 'Content-Length': '1000' } });
      req.on('error', () => resolve());
      req.write('{"name": "py');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    await stillServing();
  });
});
