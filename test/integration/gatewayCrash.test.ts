/**
 * Issue 13, items 3 and 5: local kernels survive a gateway crash. The built gateway runs as a
 * child process on a runtime directory in a temp folder; it is killed with SIGKILL (no cleanup at
 * all) while kernels run, some of them in the middle of a cell.
 *
 * 1. A new gateway on the same runtime directory re-adopts every live kernel: same ids, same
 *    owners (two users, each sees only theirs), variables kept; a Jupyter websocket client (the
 *    framing jupyter_server's gateway client speaks) reconnects to each and reads its variable.
 *    A kernel that died meanwhile is reaped (record and key removed), a record that is not ours
 *    is refused, and a graceful stop of the new gateway leaves nothing running and an empty folder.
 * 2. Without a new gateway, every kernel exits by itself once the grace (2 s here) has passed, and
 *    removes its folder: nothing runs and nothing is left.
 *
 * What is guaranteed for a cell that was running during the crash (README "Re-adoption"): it runs
 * to its end in the kernel, and its effects (variables) and the kernel's execution_count are kept
 * and seen through the new gateway, so a client can tell the cell ran. Output it published while
 * no gateway was subscribed to the kernel's iopub is lost (ZeroMQ PUB/SUB keeps nothing for a
 * subscriber that is not there); this test asserts the state, not that output.
 *
 * N = 20 kernels: 19 python3 and 1 PySpark (a JVM, ~500 MiB and 10-60 s to start on 2 busy cores), whose
 * SparkSession must still answer after the re-adoption: the JVM is the launcher's child and lives on.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processAlive } from '../../server/src/backends/local/processProbe.js';
import { readRecords } from '../../server/src/backends/local/runtimeDir.js';
import { spawnGateway, type GatewayProcess } from '../support/gatewayProcess.js';
import { waitUntil } from '../support/waitFor.js';
import { KernelSocket } from './support/kernelSocket.js';

jest.setTimeout(300_000);

const N = 20;
/** Kernels left in the middle of a slow cell when the gateway is killed. */
const MID = 4;
const USERS = [
  { name: 'alice', token: 'crash-alice-token-0123456789abcdef' },
  { name: 'bob', token: 'crash-bob-token-0123456789abcdef' }
] as const;
const YAML =
  'local: {usersTrustEachOther: true}\n' +
  'users:\n' +
  USERS.map((u, i) => `  - {name: ${u.name}, tenant: team-${i}, token: ${u.token}}\n`).join('') +
  'tenants:\n' +
  USERS.map((_u, i) => `  team-${i}: {limits: {cores: 100}}\n`).join('') +
  'limits: {maxKernelsPerUser: 0}\n';
const uid = { uid: process.getuid?.() ?? 0 };
/** A cell that prints for ~6 s, then sets `done`. */
const SLOW_CELL = 'import time\nfor i in range(30):\n    print("tick", i, flush=True)\n    time.sleep(0.2)\ndone = "finished"';

let tmp: string;
const gateways: GatewayProcess[] = [];
const sockets: KernelSocket[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-crash-'));
});
afterAll(async () => {
  sockets.forEach(s => s.close());
  await Promise.all(gateways.map(g => g.stop()));
  await rm(tmp, { recursive: true, force: true });
});

async function start(runtimeDir: string, adoptGraceSeconds: number): Promise<GatewayProcess> {
  const gw = await spawnGateway({ yaml: YAML, token: USERS[0].token, runtimeDir, adoptGraceSeconds, timeoutMs: 120_000 });
  gateways.push(gw);
  return gw;
}

async function call(gw: GatewayProcess, token: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(gw.url + route, {
    method,
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** PySpark kernels among the N of the re-adoption test (the first ones started). */
const SPARK = 1;

/** Starts `count` kernels (the first `spark` of them PySpark, the rest python3), a few at a time (2 cores), alternating owners. */
async function startKernels(gw: GatewayProcess, count: number, spark = 0): Promise<{ id: string; token: string }[]> {
  const started: { id: string; token: string }[] = [];
  for (let i = 0; i < count; i += 5) {
    const batch = Array.from({ length: Math.min(5, count - i) }, async (_x, j) => {
      const token = USERS[(i + j) % USERS.length]!.token;
      const { status, body } = await call(gw, token, 'POST', '/api/kernels', { name: i + j < spark ? 'pyspark' : 'python3' });
      if (status !== 201) {
        throw new Error(`kernel start answered ${status} ${JSON.stringify(body)}\n${gw.log().slice(-2000)}`);
      }
      return { id: (body as { id: string }).id, token };
    });
    started.push(...(await Promise.all(batch)));
  }
  return started;
}

async function listIds(gw: GatewayProcess, token: string): Promise<string[]> {
  const { status, body } = await call(gw, token, 'GET', '/api/kernels');
  expect(status).toBe(200);
  return (body as { id: string }[]).map(k => k.id).sort();
}

async function openSocket(gw: GatewayProcess, id: string, token: string): Promise<KernelSocket> {
  const ws = await KernelSocket.open(gw.url.replace(/^http/, 'ws'), id, token);
  sockets.push(ws);
  return ws;
}

/** Pids of the kernels the runtime directory records. */
async function recordedPids(runtimeDir: string): Promise<Map<string, number>> {
  const pids = new Map<string, number>();
  for (const entry of await readRecords(runtimeDir, uid)) {
    if (entry.ok && entry.record.pid !== null) {
      pids.set(entry.record.kernelId, entry.record.pid);
    }
  }
  return pids;
}

describe('integration/gateway crash, local backend (issue 13)', () => {
  it(`should re-adopt ${N}/${N} kernels after a SIGKILL of the gateway, ids, owners and variables kept`, async () => {
    const runtimeDir = path.join(tmp, 'runtime-readopt');
    const gw1 = await start(runtimeDir, 120);
    const kernels = await startKernels(gw1, N + 1, SPARK);
    // The extra kernel dies while no gateway is up: the next one must reap it, not list it.
    const doomed = kernels.pop()!;
    const owned = (token: string): string[] => kernels.filter(k => k.token === token).map(k => k.id).sort();

    const counts = new Map<string, number>();
    for (const [i, k] of kernels.entries()) {
      const ws = await openSocket(gw1, k.id, k.token);
      const set = await ws.execute(`x = ${i} * 1000 + 7`);
      expect(set.reply.content.status).toBe('ok');
      counts.set(k.id, set.reply.content.execution_count as number);
    }
    const sparkKernels = kernels.slice(0, SPARK);
    for (const k of sparkKernels) {
      const count = await sockets[kernels.indexOf(k)]!.execute('spark.range(10).count()', 180_000);
      expect([count.result, count.error]).toEqual(['10', undefined]);
    }
    // Mid-execution: python3 kernels (after the PySpark ones).
    const mid = kernels.slice(SPARK, SPARK + MID);
    for (const k of mid) {
      const ws = sockets[kernels.indexOf(k)]!;
      ws.send('shell', 'execute_request', { code: SLOW_CELL, silent: false, store_history: true, user_expressions: {}, allow_stdin: false });
      await ws.waitFor(() => ws.received.some(m => m.header.msg_type === 'stream' && String(m.content.text).includes('tick')), 30_000, 'the slow cell to print');
    }
    const pids = await recordedPids(runtimeDir);
    expect(pids.size).toBe(N + 1);

    await gw1.crash();
    sockets.splice(0).forEach(s => s.close());
    // The kernels outlive the crash; the doomed one is killed while no gateway is up.
    for (const [id, pid] of pids) {
      expect([id, processAlive(pid, null)]).toEqual([id, true]);
    }
    process.kill(pids.get(doomed.id)!, 'SIGKILL');
    await waitUntil(() => !processAlive(pids.get(doomed.id)!, null), { timeoutMs: 10_000, what: 'the doomed kernel to die' });
    // Someone else's leftovers must be refused, not adopted or removed.
    const foreign = path.join(runtimeDir, 'not-a-kernel');
    await mkdir(foreign, { mode: 0o755 });
    await writeFile(path.join(foreign, 'kernel.json'), '{}', { mode: 0o644 });

    const gw2 = await start(runtimeDir, 120);
    expect(gw2.log()).toContain('"message":"adopted running kernels"');
    expect(gw2.log()).toMatch(new RegExp(`removed the record and key of a kernel that is gone.*"kernel":"${doomed.id}"|"kernel":"${doomed.id}".*removed the record and key of a kernel that is gone`));
    expect(gw2.log()).toMatch(/kernel record refused; left as it is.*not-a-kernel/);

    // Same ids, each under its own owner only.
    for (const user of USERS) {
      expect(await listIds(gw2, user.token)).toEqual(owned(user.token));
    }
    expect(owned(USERS[0].token).length + owned(USERS[1].token).length).toBe(N);

    // Every client reconnects and reads its variable back; mid-execution cells ran to their end.
    for (const [i, k] of kernels.entries()) {
      const ws = await openSocket(gw2, k.id, k.token);
      const read = await ws.execute('x', 120_000);
      expect([k.id, read.result]).toEqual([k.id, String(i * 1000 + 7)]);
      const wasMid = mid.includes(k);
      // The cell running during the crash counted: execution_count went on from it.
      const ran = wasMid ? 2 : sparkKernels.includes(k) ? 2 : 1;
      expect([k.id, read.reply.content.execution_count]).toEqual([k.id, counts.get(k.id)! + ran]);
      if (wasMid) {
        expect((await ws.execute('done')).result).toBe("'finished'");
      }
      if (sparkKernels.includes(k)) {
        // The same SparkSession (its JVM outlived the gateway too).
        expect((await ws.execute('spark.range(5).count()', 120_000)).result).toBe('5');
      }
    }
    // The N adopted kernels' folders and the refused one; the doomed kernel's is gone.
    expect((await readdir(runtimeDir)).filter(name => name.startsWith(doomed.id))).toEqual([]);
    expect(await readdir(runtimeDir)).toHaveLength(N + 1);

    // A graceful stop still shuts kernels down and removes their records.
    await gw2.stop(30_000);
    for (const [id, pid] of pids) {
      expect([id, processAlive(pid, null)]).toEqual([id, false]);
    }
    const after = await readdir(runtimeDir);
    if (after.length !== 1) {
      throw new Error(`left in the runtime directory: ${after.join(', ')}\n${gw2.log().slice(-20000)}`);
    }
    expect(after).toEqual(['not-a-kernel']);
  });

  it('should leave no kernel and no record once the grace has passed with no gateway to re-adopt them', async () => {
    const runtimeDir = path.join(tmp, 'runtime-grace');
    const GRACE_S = 2;
    const gw = await start(runtimeDir, GRACE_S);
    const kernels = await startKernels(gw, 4);
    const pids = await recordedPids(runtimeDir);
    expect([...pids.keys()].sort()).toEqual(kernels.map(k => k.id).sort());

    const crashedAt = Date.now();
    await gw.crash();
    // Gone within the grace, plus the launcher's 1 s poll and its own shutdown.
    await waitUntil(async () => [...pids.values()].every(pid => !processAlive(pid, null)) && (await readdir(runtimeDir)).length === 0, {
      timeoutMs: GRACE_S * 1000 + 15_000,
      intervalMs: 100,
      what: `every kernel process and record to be gone (left: ${[...pids.values()].filter(pid => processAlive(pid, null)).join(', ')})`
    });
    // Not before the grace: they waited for a gateway that might re-adopt them.
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(GRACE_S * 1000);
  });
});
