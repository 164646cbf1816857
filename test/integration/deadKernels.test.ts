/**
 * Issue 10, item 4: a kernel that dies is cleaned up at once — no process of its tree (the JVM
 * included) and no directory with its connection file (the HMAC key) stays behind — it is
 * reported dead with a reason, restarts under the same id, and deleting it leaves nothing.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { waitUntil } from '../support/waitFor.js';
import { api, startGateway, type TestGateway } from './support/gateway.js';
import { KernelSocket } from './support/kernelSocket.js';
import { processesOfKernel } from './support/processes.js';

jest.setTimeout(180_000);

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.stop();
});

/** The kernel's private directories (connection file, Spark conf, log) under the temp dir. */
function kernelDirs(id: string): string[] {
  return readdirSync(tmpdir()).filter(name => name.startsWith(`sparkgate-${id.slice(0, 8)}-`));
}

/** The launcher's own pid: the process-group leader among the kernel's processes. */
function leaderOf(id: string): number {
  const pids = processesOfKernel(id);
  const leader = pids.find(pid => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[2]) === pid; // pgrp === pid
    } catch {
      return false;
    }
  });
  if (leader === undefined) {
    throw new Error(`no process-group leader among ${pids.join(', ')}`);
  }
  return leader;
}

describe('integration/dead kernels (issue 10)', () => {
  it('should clean up a PySpark kernel killed with SIGKILL, JVM and key directory included, and restart it under the same id', async () => {
    const { status, body } = await api(gw, 'POST', '/api/kernels', { name: 'pyspark' });
    expect(status).toBe(201);
    const id = (body as { id: string }).id;
    const ws = await KernelSocket.open(gw.wsUrl, id, gw.token);
    expect((await ws.execute('spark.range(10).count()', 120_000)).result).toBe('10');
    // The kernel and its JVM (at least) are running, and the key directory exists.
    expect(processesOfKernel(id).length).toBeGreaterThanOrEqual(2);
    expect(kernelDirs(id)).toHaveLength(1);

    process.kill(leaderOf(id), 'SIGKILL');

    const dead = await waitUntil(
      async () => {
        const model = (await api(gw, 'GET', `/api/kernels/${id}`)).body as { execution_state: string; reason?: string };
        return model.execution_state === 'dead' ? model : null;
      },
      { timeoutMs: 30_000, what: 'the kernel to be reported dead' }
    );
    expect(dead.reason).toMatch(/^kernel process ended \(SIGKILL\)/);
    await ws.waitFor(() => ws.received.some(m => m.header.msg_type === 'status' && m.content.execution_state === 'dead'), 10_000, 'dead status');
    // Without anyone deleting it: the JVM is gone and so is the key.
    await waitUntil(() => processesOfKernel(id).length === 0, { timeoutMs: 30_000, what: `no process of kernel ${id} (left: ${processesOfKernel(id).join(', ')})` });
    await waitUntil(() => kernelDirs(id).length === 0, { timeoutMs: 10_000, what: 'the kernel directory to be removed' });

    const restarted = await api(gw, 'POST', `/api/kernels/${id}/restart`, {});
    expect(restarted.status).toBe(200);
    expect((restarted.body as { id: string; execution_state: string }).id).toBe(id);
    const again = await KernelSocket.open(gw.wsUrl, id, gw.token);
    expect((await again.execute('6*7')).result).toBe('42');
    expect(kernelDirs(id)).toHaveLength(1);
    again.close();
    ws.close();

    expect((await api(gw, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
    await waitUntil(() => processesOfKernel(id).length === 0, { timeoutMs: 30_000, what: 'no process after delete' });
    expect(kernelDirs(id)).toEqual([]);
  });
});
