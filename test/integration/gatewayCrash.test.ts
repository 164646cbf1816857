/**
 * Issue 13, items 3 and 5: local kernels survive a gateway crash. The built gateway runs as a
 * child process on a runtime directory in a temp folder; it is killed with SIGKILL (no cleanup at
 * all) while kernels run, some of them in the middle of a cell.
 *
 * 1. A new gateway on the same runtime directory re-adopts every live kernel: same ids, same
 *    owners (two users, each sees only theirs), variables kept. JS of the kernels were started
 *    through a real jupyter_server in gateway mode, whose own gateway websockets reconnect by
 *    themselves (GatewayWebSocketConnection retries) under the notebook-side websocket that stays
 *    open; to the rest a Jupyter websocket client (the framing jupyter_server's gateway client
 *    speaks) reconnects. Each reads its variable back.
 *    A kernel that died meanwhile is reaped (record and key removed), a record that is not ours
 *    is refused, and a graceful stop of the new gateway leaves nothing running and an empty folder.
 * 2. Without a new gateway, every kernel exits by itself once the grace (2 s here) has passed, and
 *    removes its folder: nothing runs and nothing is left.
 *
 * What is guaranteed for a cell that was running during the crash (README "Re-adoption"): it runs
 * to its end in the kernel, and its effects (variables) and the kernel's execution_count are kept
 * and seen through the new gateway, so a client can tell the cell ran; and the output it printed
 * while no gateway was up reaches the reconnected client, in order, none missing: the kernel held
 * it (its iopub is XPUB and sees the gateway's subscription go) until the new gateway subscribed,
 * and the gateway held it until the first client attached. The mid-cell kernels print on a shared
 * 0.25 s wall-clock grid and the gateway is killed just after a tick every one of them has
 * delivered, so no tick is in flight at the kill (what was, is not guaranteed).
 *
 * N = 20 kernels: 19 python3 and 1 PySpark (a JVM, ~500 MiB and 10-60 s to start on 2 busy cores), whose
 * SparkSession must still answer after the re-adoption: the JVM is the launcher's child and lives on.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../../server/src/backends/local/ports.js';
import { processAlive } from '../../server/src/backends/local/processProbe.js';
import { readRecords } from '../../server/src/backends/local/runtimeDir.js';
import { spawnGateway, type GatewayProcess } from '../support/gatewayProcess.js';
import { startJupyterProcess, type JupyterProcess } from '../support/jupyterProcess.js';
import { waitUntil } from '../support/waitFor.js';
import { python } from './support/gateway.js';
import { jupyterServerArgs } from './support/jupyterServer.js';
import { KernelSocket } from './support/kernelSocket.js';
import { PERIOD_S, SLOW_CELL, ticks } from '../support/tickCell.js';

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
/** Kernels started through jupyter_server (as alice), the first of them mid-cell at the crash. */
const JS = 3;
const JS_TOKEN = 'crash-jupyter-token';

let tmp: string;
let js: JupyterProcess | undefined;
const gateways: GatewayProcess[] = [];
const sockets: KernelSocket[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-crash-'));
});
afterAll(async () => {
  sockets.forEach(s => s.close());
  await js?.stop();
  await Promise.all(gateways.map(g => g.stop()));
  await rm(tmp, { recursive: true, force: true });
});

async function start(runtimeDir: string, adoptGraceSeconds: number, port?: number): Promise<GatewayProcess> {
  const args = port === undefined ? [] : ['--port', String(port)];
  const gw = await spawnGateway({ yaml: YAML, token: USERS[0].token, runtimeDir, adoptGraceSeconds, timeoutMs: 120_000, args });
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

async function openSocketAt(wsUrl: string, id: string, token: string): Promise<KernelSocket> {
  const ws = await KernelSocket.open(wsUrl, id, token);
  sockets.push(ws);
  return ws;
}

function openSocket(gw: GatewayProcess, id: string, token: string): Promise<KernelSocket> {
  return openSocketAt(gw.url.replace(/^http/, 'ws'), id, token);
}

/** A kernel of the test: its id, its owner's token, and whether it was started through jupyter_server. */
interface Kernel {
  id: string;
  token: string;
  viaJs?: boolean;
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
  it(`should re-adopt ${N}/${N} kernels after a SIGKILL of the gateway, ids, owners and variables kept, output printed meanwhile delivered`, async () => {
    const runtimeDir = path.join(tmp, 'runtime-readopt');
    // One port for both gateways: jupyter_server reconnects to the URL it was given.
    const [port, jsPort] = await freePorts(2);
    const gw1 = await start(runtimeDir, 120, port);
    js = await startJupyterProcess({
      name: 'jupyter_server',
      python,
      args: [
        ...jupyterServerArgs(jsPort!, tmp, JS_TOKEN),
        `--gateway-url=${gw1.url}`,
        `--GatewayClient.auth_token=${USERS[0].token}`,
        '--GatewayClient.request_timeout=120',
        // Retries for ~2 min: the new gateway listens once it has re-adopted every kernel.
        '--GatewayClient.gateway_retry_interval=0.5',
        '--GatewayClient.gateway_retry_interval_max=2',
        '--GatewayClient.gateway_retry_max=60'
      ],
      env: { ...process.env, JUPYTER_CONFIG_DIR: path.join(tmp, '.jupyter-config'), JUPYTER_RUNTIME_DIR: path.join(tmp, '.jupyter-runtime') },
      port: jsPort!,
      token: JS_TOKEN,
      readyPath: '/api/status',
      readyTimeoutMs: 60_000
    });
    const direct = await startKernels(gw1, N + 1 - JS, SPARK);
    // The extra kernel dies while no gateway is up: the next one must reap it, not list it.
    const doomed = direct.pop()!;
    const viaJs: Kernel[] = [];
    for (let j = 0; j < JS; j++) {
      const res = await fetch(`${js.url}/api/kernels`, {
        method: 'POST',
        headers: { Authorization: `token ${JS_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'python3' })
      });
      expect(res.status).toBe(201);
      viaJs.push({ id: ((await res.json()) as { id: string }).id, token: USERS[0].token, viaJs: true });
    }
    // Mid-execution (after the PySpark ones): MID - 1 direct kernels and the first jupyter_server one.
    const kernels: Kernel[] = [...direct.slice(0, SPARK + MID - 1), ...viaJs, ...direct.slice(SPARK + MID - 1)];
    const owned = (token: string): string[] => kernels.filter(k => k.token === token).map(k => k.id).sort();
    const clientOf = (k: Kernel, gw: GatewayProcess): Promise<KernelSocket> =>
      k.viaJs ? openSocketAt(js!.wsUrl, k.id, JS_TOKEN) : openSocket(gw, k.id, k.token);

    const counts = new Map<string, number>();
    const clients = new Map<string, KernelSocket>();
    for (const [i, k] of kernels.entries()) {
      const ws = await clientOf(k, gw1);
      clients.set(k.id, ws);
      const set = await ws.execute(`x = ${i} * 1000 + 7`, 120_000);
      expect(set.reply.content.status).toBe('ok');
      counts.set(k.id, set.reply.content.execution_count as number);
    }
    const sparkKernels = kernels.slice(0, SPARK);
    for (const k of sparkKernels) {
      const count = await clients.get(k.id)!.execute('spark.range(10).count()', 180_000);
      expect([count.result, count.error]).toEqual(['10', undefined]);
    }
    const mid = kernels.slice(SPARK, SPARK + MID);
    expect(mid.filter(k => k.viaJs)).toHaveLength(1);
    for (const k of mid) {
      const ws = clients.get(k.id)!;
      ws.send('shell', 'execute_request', { code: SLOW_CELL, silent: false, store_history: true, user_expressions: {}, allow_stdin: false });
      await ws.waitFor(() => ticks(ws.received).length > 0, 30_000, `${k.id}'s slow cell to print`);
    }
    const pids = await recordedPids(runtimeDir);
    expect(pids.size).toBe(N + 1);

    // Kill just after a grid tick that every mid-cell client has received, early in the period:
    // nothing is in flight then, and the next tick comes well after the kernels saw the gateway go.
    const slot = (k: Kernel): number => Math.round((ticks(clients.get(k.id)!.received).at(-1)?.t ?? 0) / PERIOD_S);
    const startSlot = Math.max(...mid.map(slot));
    await waitUntil(
      () => {
        const slots = new Set(mid.map(slot));
        const [s] = slots;
        return slots.size === 1 && s! > startSlot && Date.now() / 1000 < (s! + 0.4) * PERIOD_S;
      },
      { timeoutMs: 5000, intervalMs: 5, what: 'every mid-cell kernel to deliver the same fresh tick' }
    );
    const seenBefore = new Map(mid.map(k => [k.id, clients.get(k.id)!.received.length]));
    await gw1.crash();
    const crashedAt = Date.now() / 1000;
    for (const k of kernels) {
      if (!k.viaJs) {
        clients.get(k.id)!.close(); // jupyter_server's notebook-side websockets stay open
      }
    }
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

    const gw2 = await start(runtimeDir, 120, port);
    expect(gw2.log()).toContain('"message":"adopted running kernels"');
    expect(gw2.log()).toMatch(new RegExp(`removed the record and key of a kernel that is gone.*"kernel":"${doomed.id}"|"kernel":"${doomed.id}".*removed the record and key of a kernel that is gone`));
    expect(gw2.log()).toMatch(/kernel record refused; left as it is.*not-a-kernel/);

    // Same ids, each under its own owner only.
    for (const user of USERS) {
      expect(await listIds(gw2, user.token)).toEqual(owned(user.token));
    }
    expect(owned(USERS[0].token).length + owned(USERS[1].token).length).toBe(N);

    // Every client reconnects and reads its variable back; mid-execution cells ran to their end.
    const delivered: string[] = [];
    for (const [i, k] of kernels.entries()) {
      let ws: KernelSocket;
      if (k.viaJs) {
        // jupyter_server reconnects to the new gateway by itself, under the same notebook websocket.
        ws = clients.get(k.id)!;
        await waitUntil(
          async () => {
            const res = await call(gw2, k.token, 'GET', `/api/kernels/${k.id}`);
            return res.status === 200 && ((res.body as { connections?: number }).connections ?? 0) >= 1;
          },
          { timeoutMs: 120_000, intervalMs: 250, what: `jupyter_server to reconnect ${k.id} to the new gateway\n${js.output().slice(-3000)}` }
        );
      } else {
        ws = await openSocket(gw2, k.id, k.token);
      }
      const wasMid = mid.includes(k);
      if (wasMid) {
        // The ticks printed while no gateway was up arrive on the reconnected client: with the
        // ones seen before the crash, 0..29 in order, none missing, none twice.
        const from = k.viaJs ? seenBefore.get(k.id)! : 0;
        await ws.waitFor(() => ticks(ws.received.slice(from)).some(t => t.i === 29), 60_000, `${k.id}'s ticks up to 29 on the reconnected client`);
        const before = ticks(clients.get(k.id)!.received.slice(0, seenBefore.get(k.id)!));
        const after = ticks(ws.received.slice(from));
        expect([k.id, [...before, ...after].map(t => t.i)]).toEqual([k.id, Array.from({ length: 30 }, (_x, n) => n)]);
        // Really printed while the gateway was down, not before it.
        expect([k.id, after[0]!.t > crashedAt - PERIOD_S]).toEqual([k.id, true]);
        delivered.push(`${k.viaJs ? 'via jupyter_server ' : ''}${after.length} (ticks ${after[0]!.i}-29)`);
      }
      const read = await ws.execute('x', 120_000);
      expect([k.id, read.result]).toEqual([k.id, String(i * 1000 + 7)]);
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
    process.stdout.write(`gatewayCrash: lines printed while no gateway was up, delivered after re-adoption: ${delivered.join(', ')}\n`);
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
