/**
 * Compatibility: a real jupyter_server started with --gateway-url creates a session through its REST
 * API and executes code through its own kernel websocket — exactly what JupyterLab does.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { api, startGateway, type TestGateway } from './support/gateway.js';
import { startJupyterServer, type JupyterServer } from './support/jupyterServer.js';
import { KernelSocket } from './support/kernelSocket.js';

jest.setTimeout(180_000);

let gw: TestGateway;
let js: JupyterServer;

beforeAll(async () => {
  gw = await startGateway();
  js = await startJupyterServer(gw);
});
afterAll(async () => {
  await js?.stop();
  await gw?.stop();
});

describe('integration/jupyter_server in gateway mode', () => {
  it('should list the gateway kernelspecs', async () => {
    const { status, body } = await api(js, 'GET', '/api/kernelspecs');
    expect(status).toBe(200);
    const specs = body as { default: string; kernelspecs: Record<string, { spec: { display_name: string } }> };
    // jupyter_server reports its own default name; it must be one the gateway serves.
    expect(Object.keys(specs.kernelspecs)).toContain(specs.default);
    expect(specs.kernelspecs.pyspark?.spec.display_name).toBe('PySpark (local)');
    expect(specs.kernelspecs.python3?.spec.display_name).toBe('Python 3 (no Spark)');
  });

  it('should create a session, execute through its websocket, and shut the kernel down on the gateway', async () => {
    const created = await api(js, 'POST', '/api/sessions', { path: 'compat.ipynb', type: 'notebook', name: 'compat.ipynb', kernel: { name: 'python3' } });
    expect(created.status).toBe(201);
    const kernelId = (created.body as { kernel: { id: string; name: string } }).kernel.id;
    expect((created.body as { kernel: { name: string } }).kernel.name).toBe('python3');

    // The kernel lives on the gateway under the same id.
    expect((await api(gw, 'GET', `/api/kernels/${kernelId}`)).body).toMatchObject({ id: kernelId, name: 'python3' });

    const ws = await KernelSocket.open(js.wsUrl, kernelId, js.token);
    const run = await ws.execute('print("via jupyter_server"); 1+1');
    expect(run.stdout).toBe('via jupyter_server\n');
    expect(run.result).toBe('2');
    ws.close();

    // jupyter_server's own kernel model is refreshed from the gateway.
    const model = (await api(js, 'GET', `/api/kernels/${kernelId}`)).body as { execution_state: string };
    expect(model.execution_state).toBe('idle');

    const sessionId = (created.body as { id: string }).id;
    expect((await api(js, 'DELETE', `/api/sessions/${sessionId}`)).status).toBe(204);
    expect((await api(gw, 'GET', `/api/kernels/${kernelId}`)).status).toBe(404);
  });

  it('should interrupt and restart through jupyter_server', async () => {
    const created = await api(js, 'POST', '/api/kernels', { name: 'python3' });
    expect(created.status).toBe(201);
    const kernelId = (created.body as { id: string }).id;
    const ws = await KernelSocket.open(js.wsUrl, kernelId, js.token);
    await ws.execute('x = 1');
    const running = ws.execute('import time; print("sleeping", flush=True); time.sleep(60)', 30_000);
    await ws.waitFor(() => ws.received.some(m => m.header.msg_type === 'stream' && m.content.text === 'sleeping\n'), 10_000);
    expect((await api(js, 'POST', `/api/kernels/${kernelId}/interrupt`, {})).status).toBe(204);
    expect((await running).reply.content.ename).toBe('KeyboardInterrupt');
    expect((await api(js, 'POST', `/api/kernels/${kernelId}/restart`, {})).status).toBe(200);
    ws.close();
    const again = await KernelSocket.open(js.wsUrl, kernelId, js.token);
    expect((await again.execute('x')).reply.content.ename).toBe('NameError');
    again.close();
    expect((await api(js, 'DELETE', `/api/kernels/${kernelId}`)).status).toBe(204);
  });
});
