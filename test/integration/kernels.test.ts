/**
 * The gateway with real IPython kernels (local backend): execution, output order, interrupt,
 * restart, shutdown, several clients per kernel, both websocket protocols.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import WebSocket from 'ws';
import { api, startGateway, type TestGateway } from './support/gateway.js';
import { KernelSocket } from './support/kernelSocket.js';
import { processesOfKernel, waitForNoProcesses } from './support/processes.js';
import { decodeV1, v1Binary } from '../support/wireFrames.js';

// Real kernels: each start takes a second or two on 2 cores.
jest.setTimeout(120_000);

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.stop();
});

async function startKernel(name = 'python3'): Promise<string> {
  const { status, body } = await api(gw, 'POST', '/api/kernels', { name, env: { KERNEL_USERNAME: 'tester' } });
  expect(status).toBe(201);
  return (body as { id: string }).id;
}

describe('integration/kernels', () => {
  it('should run 1+1 over the websocket and answer 2', async () => {
    const id = await startKernel();
    const ws = await KernelSocket.open(gw.wsUrl, id, gw.token);
    const run = await ws.execute('1+1');
    expect(run.reply.content.status).toBe('ok');
    expect(run.result).toBe('2');
    expect(run.iopub.map(m => m.header.msg_type)).toEqual(['status', 'execute_input', 'execute_result', 'status']);
    ws.close();
    await api(gw, 'DELETE', `/api/kernels/${id}`);
  });

  it('should describe kernels the way jupyter_server parses them', async () => {
    const id = await startKernel();
    const { status, body } = await api(gw, 'GET', `/api/kernels/${id}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      id,
      name: 'python3',
      last_activity: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      execution_state: 'idle',
      connections: 0
    });
    const list = await api(gw, 'GET', '/api/kernels');
    expect((list.body as { id: string }[]).map(k => k.id)).toContain(id);
    await api(gw, 'DELETE', `/api/kernels/${id}`);
  });

  it('should deliver stream output in order', async () => {
    const id = await startKernel();
    const ws = await KernelSocket.open(gw.wsUrl, id, gw.token);
    const run = await ws.execute('import sys\nfor i in range(500):\n    print(i, flush=True)');
    expect(run.stdout.trim().split('\n').map(Number)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    ws.close();
    await api(gw, 'DELETE', `/api/kernels/${id}`);
  });

  it('should share iopub between clients and count connections', async () => {
    const id = await startKernel();
    const a = await KernelSocket.open(gw.wsUrl, id, gw.token);
    const b = await KernelSocket.open(gw.wsUrl, id, gw.token);
    await a.waitFor(() => true, 10);
    expect(((await api(gw, 'GET', `/api/kernels/${id}`)).body as { connections: number }).connections).toBe(2);
    const run = await a.execute('print("shared")');
    expect(run.stdout).toBe('shared\n');
    // b sees a's output on iopub, but not a's execute_reply (routed by session).
    await b.waitFor(() => b.received.some(m => m.header.msg_type === 'stream' && m.content.text === 'shared\n'), 10_000, 'shared stream');
    expect(b.received.some(m => m.header.msg_type === 'execute_reply' && m.parent_header.msg_id === run.reply.parent_header.msg_id)).toBe(false);
    a.close();
    b.close();
    await api(gw, 'DELETE', `/api/kernels/${id}`);
  });

  it('should speak v1.kernel.websocket.jupyter.org when the client offers it', async () => {
    const id = await startKernel();
    const ws = new WebSocket(`${gw.wsUrl}/api/kernels/${id}/channels`, ['v1.kernel.websocket.jupyter.org'], {
      headers: { Authorization: `token ${gw.token}` }
    });
    await new Promise(resolve => ws.once('open', resolve));
    expect(ws.protocol).toBe('v1.kernel.websocket.jupyter.org');
    const header = JSON.stringify({ msg_id: 'v1-req', msg_type: 'kernel_info_request', session: 's1', username: 'u', date: '', version: '5.4' });
    ws.send(v1Binary(['shell', header, '{}', '{}', '{}']));
    const reply = await new Promise<string[]>(resolve => {
      ws.on('message', (data: Buffer) => {
        const parts = decodeV1(data).map(part => part.toString());
        if (parts[0] === 'shell' && JSON.parse(parts[2] ?? '{}').msg_id === 'v1-req') {
          resolve(parts);
        }
      });
    });
    expect(JSON.parse(reply[1] ?? '{}').msg_type).toBe('kernel_info_reply');
    expect(JSON.parse(reply[4] ?? '{}').language_info.name).toBe('python');
    ws.close();
    await api(gw, 'DELETE', `/api/kernels/${id}`);
  });

  it('should interrupt time.sleep(60) within 2 s and keep the kernel alive', async () => {
    const id = await startKernel();
    const ws = await KernelSocket.open(gw.wsUrl, id, gw.token);
    // Interrupt once the cell is really sleeping (as a user would), not while IPython sets it up.
    const running = ws.execute('import time\nprint("sleeping", flush=True)\ntime.sleep(60)', 20_000);
    await ws.waitFor(() => ws.received.some(m => m.header.msg_type === 'stream' && m.content.text === 'sleeping\n'), 10_000, 'sleeping');
    const asked = Date.now();
    expect((await api(gw, 'POST', `/api/kernels/${id}/interrupt`, {})).status).toBe(204);
    const run = await running;
    expect(Date.now() - asked).toBeLessThan(2000);
    expect(run.reply.content.status).toBe('error');
    expect(run.reply.content.ename).toBe('KeyboardInterrupt');
    expect((await ws.execute('40+2')).result).toBe('42');
    ws.close();
    await api(gw, 'DELETE', `/api/kernels/${id}`);
  });

  it('should restart with the same id and a fresh namespace', async () => {
    const id = await startKernel();
    const ws = await KernelSocket.open(gw.wsUrl, id, gw.token);
    await ws.execute('x = 41');
    const before = processesOfKernel(id);
    const { status, body } = await api(gw, 'POST', `/api/kernels/${id}/restart`, {});
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, execution_state: 'idle' });
    // A requested restart sends no `restarting`: clients read it as an auto-restart (issue 11, item 2).
    expect(ws.received.some(m => m.header.msg_type === 'status' && m.content.execution_state === 'restarting')).toBe(false);
    const run = await ws.execute('x');
    expect(run.reply.content.status).toBe('error');
    expect(run.reply.content.ename).toBe('NameError');
    expect(processesOfKernel(id).some(pid => before.includes(pid))).toBe(false);
    ws.close();
    await api(gw, 'DELETE', `/api/kernels/${id}`);
  });

  it('should leave no process of the kernel tree after DELETE and close its clients', async () => {
    const id = await startKernel();
    expect(processesOfKernel(id).length).toBeGreaterThan(0);
    const ws = await KernelSocket.open(gw.wsUrl, id, gw.token);
    expect((await api(gw, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
    expect(await ws.closed()).toBe(1000);
    expect(await waitForNoProcesses(id, 5000)).toEqual([]);
    expect((await api(gw, 'GET', `/api/kernels/${id}`)).status).toBe(404);
  });
});
