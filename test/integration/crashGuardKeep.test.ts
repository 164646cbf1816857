/**
 * Issue 13: a gateway that crashes (an uncaught exception) keeps its kernels for the next one.
 * Only SIGTERM/Ctrl-C shut local kernels down; after a crash the supervisor restarts the gateway
 * and the restarted one re-adopts every kernel with a runtime record, variables kept.
 *
 * The exception is induced from outside the product: a preload module, given to this test's
 * gateway process only (NODE_OPTIONS=--import), throws from a SIGUSR2 listener. Nothing in
 * server/ reads a test flag, so no client can reach this path in production.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { processAlive } from '../../server/src/backends/local/processProbe.js';
import { readRecords } from '../../server/src/backends/local/runtimeDir.js';
import { spawnGatewayWithKernel, spawnGateway, type GatewayProcess } from '../support/gatewayProcess.js';
import { waitUntil } from '../support/waitFor.js';
import { KernelSocket } from './support/kernelSocket.js';

jest.setTimeout(120_000);

const TOKEN = 'crash-keep-token-0123456789abcdef';
const uid = { uid: process.getuid?.() ?? 0 };

let tmp: string;
const gateways: GatewayProcess[] = [];
const sockets: KernelSocket[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-crashkeep-'));
});
afterAll(async () => {
  sockets.forEach(s => s.close());
  await Promise.all(gateways.map(g => g.stop()));
  await rm(tmp, { recursive: true, force: true });
});

async function open(gw: GatewayProcess, id: string): Promise<KernelSocket> {
  const ws = await KernelSocket.open(gw.url.replace(/^http/, 'ws'), id, TOKEN);
  sockets.push(ws);
  return ws;
}

describe('integration/crash guard keeps kernels (issue 13)', () => {
  it('should exit 1 on an uncaught exception leaving the local kernel running, and a new gateway re-adopts it with its variable', async () => {
    const runtimeDir = path.join(tmp, 'runtime');
    const preload = path.join(tmp, 'boom.mjs');
    await writeFile(preload, "process.on('SIGUSR2', () => { throw new Error('boom (test preload)'); });\n");
    const { gw, kernelId } = await spawnGatewayWithKernel({
      token: TOKEN,
      runtimeDir,
      adoptGraceSeconds: 120,
      timeoutMs: 60_000,
      env: { NODE_OPTIONS: `--import ${pathToFileURL(preload).href}` }
    });
    gateways.push(gw);
    const ws = await open(gw, kernelId);
    expect((await ws.execute('x = 6 * 7')).reply.content.status).toBe('ok');
    const records = (await readRecords(runtimeDir, uid)).flatMap(e => (e.ok && e.record.kernelId === kernelId ? [e.record] : []));
    const pid = records[0]?.pid ?? null;
    expect(pid).not.toBeNull();

    gw.child.kill('SIGUSR2');
    const exit = await gw.exited;
    expect(exit).toEqual({ code: 1, signal: null });
    expect(gw.log()).toMatch(/"message":"uncaught exception; stopping, kernels kept for the next gateway[^"]*".*boom \(test preload\)/);
    // Its client was told to reconnect (not that the kernel is gone).
    await ws.closed();
    expect([ws.closeCode, ws.closeReason]).toEqual([1001, 'gateway restarting; reconnect']);
    // The kernel was not shut down, and its record is still there for the next gateway.
    expect(processAlive(pid!, null)).toBe(true);
    expect((await readRecords(runtimeDir, uid)).some(e => e.ok && e.record.kernelId === kernelId)).toBe(true);
    expect(gw.log()).not.toContain('"message":"kernel shut down"');

    const gw2 = await spawnGateway({ token: TOKEN, runtimeDir, adoptGraceSeconds: 120, timeoutMs: 60_000 });
    gateways.push(gw2);
    expect(gw2.log()).toContain('"message":"adopted running kernels"');
    const list = (await (await fetch(`${gw2.url}/api/kernels`, { headers: { Authorization: `token ${TOKEN}` } })).json()) as { id: string }[];
    expect(list.map(k => k.id)).toEqual([kernelId]);
    const again = await open(gw2, kernelId);
    expect((await again.execute('x', 60_000)).result).toBe('42');

    // A graceful stop (SIGTERM) still shuts the kernel down.
    again.close();
    await gw2.stop(30_000);
    await waitUntil(() => !processAlive(pid!, null), { timeoutMs: 15_000, what: 'the kernel to stop with the graceful gateway stop' });
  });
});
