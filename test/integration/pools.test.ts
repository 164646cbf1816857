/**
 * Issue 15: warm driver pools on the local backend — the built gateway (a child process, on a
 * runtime directory in a temp folder) with real kernels, checked the way a user would.
 *
 * One gateway (A) serves four tenants: team-a (alice, bob) keeps 2 python3 drivers warm, team-b
 * (carol) keeps none (her launches are the cold ones to compare with), team-l (dave, erin) keeps
 * 3 but its limits fit only 2 kernels. A pool driver is nobody's until claimed: no user lists or
 * reaches it, and its record in the runtime directory names no user. So "this launch took a warm
 * driver" is told without timing: the kernel id it answered is one of the unclaimed records read
 * before the launch.
 *
 * Then gateways exit: A after an uncaught exception (its crash guard keeps users' kernels for the
 * next gateway and stops its warm drivers), B is killed (SIGKILL: its warm drivers are left
 * running), C re-adopts what B left (users' kernels as theirs, B's warm drivers stopped) and
 * stops gracefully: nothing of any pool is left behind. Last, a PySpark pool on its own gateway
 * (a JVM costs ~15 s and 500 MiB on 2 cores; at most 2 at once here): the figures it prints are
 * reported, never asserted.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import type { LocalKernelRecord } from '../../server/src/backends/local/types.js';
import { spawnGateway, type GatewayProcess } from '../support/gatewayProcess.js';
import { waitUntil } from '../support/waitFor.js';
import { api } from './support/gateway.js';
import { KernelSocket } from './support/kernelSocket.js';
import { processesOfKernel, waitForNoProcesses } from './support/processes.js';
import { signalGroup } from '../../server/src/util/processGroup.js';

jest.setTimeout(120_000);

const USERS = {
  alice: { tenant: 'team-a', token: 'pools-alice-token-0123456789abcdef' },
  bob: { tenant: 'team-a', token: 'pools-bob-token-0123456789abcdef' },
  carol: { tenant: 'team-b', token: 'pools-carol-token-0123456789abcdef' },
  dave: { tenant: 'team-l', token: 'pools-dave-token-0123456789abcdef' },
  erin: { tenant: 'team-l', token: 'pools-erin-token-0123456789abcdef' },
  sam: { tenant: 'team-s', token: 'pools-sam-token-0123456789abcdef' }
} as const;
type User = keyof typeof USERS;

/** The gateway's config with `pools` (flow YAML by tenant); python3 and pyspark are the built-in profiles (python3: 1 core). */
function config(pools: Partial<Record<string, string>>): string {
  const tenants: Record<string, string[]> = { 'team-a': [], 'team-b': [], 'team-l': ['limits: {cores: 2}'], 'team-s': [] };
  return [
    // Tenancy is what is tested; local kernels share one OS user (README, Security).
    'local: {usersTrustEachOther: true}',
    'limits: {maxKernelsPerUser: 0}',
    'users:',
    ...Object.entries(USERS).map(([name, u]) => `  - {name: ${name}, tenant: ${u.tenant}, token: ${u.token}}`),
    'tenants:',
    ...Object.entries(tenants).map(([t, rest]) => `  ${t}: {${[...rest, ...(pools[t] ? [`pools: ${pools[t]}`] : [])].join(', ')}}`),
    ''
  ].join('\n');
}

const FULL = config({ 'team-a': '{python3: {size: 2}}', 'team-l': '{python3: {size: 3}}' });
const TEAM_A = config({ 'team-a': '{python3: {size: 2}}' });
const SPARK = config({ 'team-s': '{pyspark: {size: 1}}' });

/** The unique substring of the message the pool logs when a tenant's limits keep it smaller. */
const STAYS_SMALLER = '"message":"warm pool stays smaller: the tenant is at its limits"';

interface KernelModel {
  id: string;
  name: string;
  execution_state: string;
  connections: number;
  last_activity: string;
}
interface ClusterModel {
  id: string;
  kernelName: string;
  state: string;
  createdAt: string;
  kernelId: string;
  sizing: { driver: { cores: number } };
  [k: string]: unknown;
}
interface Me {
  usage: { cores: number };
  limits: { cores: number | null };
  profiles: { id: string; warm: number; driver: object; executors: object }[];
}

let tmp: string;
const gateways: GatewayProcess[] = [];
const sockets: KernelSocket[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-pools-'));
});
afterAll(async () => {
  sockets.forEach(s => s.close());
  await Promise.all(gateways.map(g => g.stop(30_000)));
  // Kernels a failed test left with a gateway that was killed would wait out their adopt grace: end them now.
  for (const p of processesUnder(tmp)) {
    signalGroup(p.pid, 'SIGKILL');
  }
  await rm(tmp, { recursive: true, force: true });
});

async function spawn(yaml: string, runtimeDir: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const gw = await spawnGateway({ yaml, token: USERS.alice.token, runtimeDir, adoptGraceSeconds: 120, timeoutMs: 120_000, env });
  gateways.push(gw);
  return gw;
}

function call(gw: GatewayProcess, user: User, method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return api({ url: gw.url, token: USERS[user].token }, method, route, body);
}

async function open(gw: GatewayProcess, user: User, id: string): Promise<KernelSocket> {
  const ws = await KernelSocket.open(gw.url.replace(/^http/, 'ws'), id, USERS[user].token);
  sockets.push(ws);
  return ws;
}

async function startKernel(gw: GatewayProcess, user: User, body: object = { name: 'python3' }): Promise<KernelModel> {
  const { status, body: model } = await call(gw, user, 'POST', '/api/kernels', body);
  if (status !== 201) {
    throw new Error(`POST /api/kernels as ${user} answered ${status} ${JSON.stringify(model)}\n${gw.log().slice(-3000)}`);
  }
  return model as KernelModel;
}

async function listIds(gw: GatewayProcess, user: User): Promise<string[]> {
  const { status, body } = await call(gw, user, 'GET', '/api/kernels');
  expect(status).toBe(200);
  return (body as KernelModel[]).map(k => k.id).sort();
}

async function me(gw: GatewayProcess, user: User): Promise<Me> {
  const { status, body } = await call(gw, user, 'GET', '/api/me');
  expect(status).toBe(200);
  return body as Me;
}

const warmOf = (m: Me, profile: string): number | undefined => m.profiles.find(p => p.id === profile)?.warm;

/**
 * Every kernel record in the runtime directory, read as plain JSON (a kernel folder holds its
 * record from before its process starts until it is stopped).
 */
function records(runtimeDir: string): LocalKernelRecord[] {
  const out: LocalKernelRecord[] = [];
  for (const entry of existsSync(runtimeDir) ? readdirSync(runtimeDir) : []) {
    try {
      out.push(JSON.parse(readFileSync(path.join(runtimeDir, entry, 'kernel.json'), 'utf8')) as LocalKernelRecord);
    } catch {
      // being written or removed right now
    }
  }
  return out;
}

/** Records of the tenant's unclaimed pool drivers (their owner names no user). */
function unclaimed(runtimeDir: string, tenant: string, profile = 'python3'): LocalKernelRecord[] {
  return records(runtimeDir).filter(r => r.owner.user === '' && r.owner.tenant === tenant && r.profileId === profile);
}

/**
 * Waits until `user` sees `n` warm drivers of `profile` in /api/me and the runtime directory
 * holds exactly those `n` unclaimed drivers, none of `without`, all running; returns their records.
 */
function waitWarm(
  gw: GatewayProcess,
  runtimeDir: string,
  user: User,
  n: number,
  options: { profile?: string; without?: string[]; timeoutMs?: number } = {}
): Promise<LocalKernelRecord[]> {
  const profile = options.profile ?? 'python3';
  return waitUntil(
    async () => {
      if (warmOf(await me(gw, user), profile) !== n) {
        return false;
      }
      const pool = unclaimed(runtimeDir, USERS[user].tenant, profile);
      const ok = pool.length === n && pool.every(r => r.pid !== null && !options.without?.includes(r.kernelId));
      return ok ? pool : false;
    },
    { timeoutMs: options.timeoutMs ?? 90_000, intervalMs: 200, what: `${n} warm ${profile} driver(s) in ${USERS[user].tenant}'s pool` }
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${gw.log().slice(-3000)}`);
  });
}

/** Processes whose command line names a path under `dir`: the kernel launchers of a runtime directory in it. */
function processesUnder(dir: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ');
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (cmdline.includes(`${dir}/`) && !/\) Z /.test(stat)) {
        found.push({ pid: Number(entry), cmdline });
      }
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Whether the runtime directory still holds a folder of kernel `id` (`<id>.<random>`, runtimeDir.ts). */
const hasFolder = (runtimeDir: string, id: string): boolean => existsSync(runtimeDir) && readdirSync(runtimeDir).some(e => e.startsWith(`${id}.`));

const logCount = (gw: GatewayProcess, ...needles: string[]): number => gw.log().split('\n').filter(l => needles.every(n => l.includes(n))).length;

describe('integration/warm pools, local backend (issue 15)', () => {
  let runtimeDir: string;
  let gwA: GatewayProcess;
  /** Kernels that stay claimed until gateway A exits, then are re-adopted. */
  const kept: { user: User; id: string }[] = [];
  /** The gateway that re-adopted them. */
  let gwB_: GatewayProcess | undefined;
  /** Ids of the clusters bob's panel heard of on /status (pool drivers are nobody's: never among them). */
  const bobHeard: string[] = [];
  let bobStatus: Socket | undefined;

  beforeAll(async () => {
    runtimeDir = path.join(tmp, 'runtime');
    // The crash guard's path, induced from outside the product (as in crashGuardKeep.test.ts).
    const preload = path.join(tmp, 'boom.mjs');
    await writeFile(preload, "process.on('SIGUSR2', () => { throw new Error('boom (test preload)'); });\n");
    gwA = await spawn(FULL, runtimeDir, { NODE_OPTIONS: `--import ${pathToFileURL(preload).href}` });
    bobStatus = io(`${gwA.url}/status`, { path: '/socket.io', transports: ['websocket'], auth: { token: USERS.bob.token }, reconnection: false });
    bobStatus.on('cluster', (c: { id: string }) => bobHeard.push(c.id));
    const initial = new Promise<{ id: string }[]>(resolve => bobStatus!.once('clusters', resolve));
    bobHeard.push(...(await initial).map(c => c.id));
  });
  afterAll(() => {
    bobStatus?.close();
  });

  it('should fill the pool, hand a warm driver to a launch at once, keep drivers invisible until claimed, and refill', async () => {
    const pool = await waitWarm(gwA, runtimeDir, 'alice', 2);
    const poolIds = pool.map(r => r.kernelId);
    // Nobody's: not listed, not reachable, not attachable — for any user of the tenant.
    expect(await listIds(gwA, 'alice')).toEqual([]);
    for (const id of poolIds) {
      expect((await call(gwA, 'alice', 'GET', `/api/kernels/${id}`)).status).toBe(404);
      expect((await call(gwA, 'alice', 'GET', `/api/clusters/${id}`)).status).toBe(404);
    }
    await expect(open(gwA, 'alice', poolIds[0]!)).rejects.toMatchObject({ status: 404 });

    const kernel = await startKernel(gwA, 'alice');
    expect(kernel.execution_state).toBe('idle');
    expect(poolIds).toContain(kernel.id);
    // Recorded for alice now, as a cold launch would be (what a later gateway adopts it by).
    const record = records(runtimeDir).find(r => r.kernelId === kernel.id);
    expect(record?.owner).toEqual({ user: 'alice', tenant: 'team-a' });
    expect(record?.kernelName).toBe('python3');
    expect(await listIds(gwA, 'alice')).toEqual([kernel.id]);

    const ws = await open(gwA, 'alice', kernel.id);
    const run = await ws.execute('x = 6 * 7\nx');
    expect(run.result).toBe('42');
    ws.close();
    kept.push({ user: 'alice', id: kernel.id });

    // Refilled with a new driver; the other warm one is still there, unclaimed.
    const refilled = await waitWarm(gwA, runtimeDir, 'alice', 2, { without: [kernel.id] });
    expect(refilled.filter(r => poolIds.includes(r.kernelId))).toHaveLength(1);
  });

  it('should show a claimed driver to its claimer exactly like a cold kernel, with their KERNEL_* env and working dir, and to nobody else', async () => {
    const poolIds = (await waitWarm(gwA, runtimeDir, 'alice', 2)).map(r => r.kernelId);
    const dirs = { alice: path.join(tmp, 'work-alice'), carol: path.join(tmp, 'work-carol') };
    await Promise.all(Object.values(dirs).map(d => mkdir(d)));
    const note = `it's "quoted" \\ back\\slash, ü and 雪 — a ${'long '.repeat(20)}value`;
    const envOf = (user: 'alice' | 'carol'): Record<string, string> => ({ KERNEL_USERNAME: user, KERNEL_WORKING_DIR: dirs[user], KERNEL_SG_NOTE: `${note} ${user}` });
    const before = Date.now();
    // carol's tenant has no pool: hers is a cold kernel of the same profile, to compare with.
    const [warm, cold] = await Promise.all([
      startKernel(gwA, 'alice', { name: 'python3', env: envOf('alice') }),
      startKernel(gwA, 'carol', { name: 'python3', env: envOf('carol') })
    ]);
    expect(poolIds).toContain(warm.id);
    expect(records(runtimeDir).find(r => r.kernelId === cold.id)?.owner).toEqual({ user: 'carol', tenant: 'team-b' });
    const model = (id: string): KernelModel => ({
      id,
      name: 'python3',
      last_activity: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/) as unknown as string,
      execution_state: 'idle',
      connections: 0
    });
    expect(warm).toEqual(model(warm.id));
    expect(cold).toEqual(model(cold.id));
    const alices = (await call(gwA, 'alice', 'GET', '/api/kernels')).body as KernelModel[];
    expect(alices.filter(k => !kept.some(x => x.id === k.id))).toEqual([model(warm.id)]);
    expect((await call(gwA, 'carol', 'GET', '/api/kernels')).body).toEqual([model(cold.id)]);
    expect((await call(gwA, 'alice', 'GET', `/api/kernels/${warm.id}`)).body).toEqual(model(warm.id));

    // The panel's view: the same cluster model, field for field, but its id.
    const clusterOf = async (user: User, id: string): Promise<ClusterModel> => {
      const { body } = await call(gwA, user, 'GET', '/api/clusters');
      const found = (body as { clusters: ClusterModel[] }).clusters.filter(c => c.id === id);
      expect(found).toHaveLength(1);
      return found[0]!;
    };
    const warmCluster = await clusterOf('alice', warm.id);
    const coldCluster = await clusterOf('carol', cold.id);
    const sansIds = ({ id: _id, kernelId: _kernelId, createdAt: _createdAt, ...rest }: ClusterModel): object => rest;
    expect(sansIds(warmCluster)).toEqual(sansIds(coldCluster));
    expect(warmCluster).toMatchObject({ id: warm.id, kernelId: warm.id, kernelName: 'python3', state: 'ready' });
    expect((await call(gwA, 'alice', 'GET', `/api/clusters/${warm.id}`)).body).toEqual(warmCluster);

    // Nobody else reaches it: not bob of the same tenant, not carol of another.
    for (const other of ['bob', 'carol'] as const) {
      expect(await listIds(gwA, other)).not.toContain(warm.id);
      expect((await call(gwA, other, 'GET', `/api/kernels/${warm.id}`)).status).toBe(404);
      expect((await call(gwA, other, 'GET', `/api/clusters/${warm.id}`)).status).toBe(404);
      expect((await call(gwA, other, 'DELETE', `/api/kernels/${warm.id}`)).status).toBe(404);
      expect((await call(gwA, other, 'POST', `/api/kernels/${warm.id}/restart`)).status).toBe(404);
      await expect(open(gwA, other, warm.id)).rejects.toMatchObject({ status: 404 });
    }

    // Inside: the claimer's KERNEL_* env and working dir, no trace of the claim, and the same first cell as cold.
    const probe = "import json, os\nprint(json.dumps({'user': os.environ.get('KERNEL_USERNAME'), 'note': os.environ.get('KERNEL_SG_NOTE'), 'cwd': os.getcwd(), 'names': sorted(n for n in dir() if n.startswith('_sg'))}))";
    for (const [user, id] of [['alice', warm.id], ['carol', cold.id]] as const) {
      const ws = await open(gwA, user, id);
      const run = await ws.execute(probe);
      expect(run.error).toBeUndefined();
      expect(run.reply.content.execution_count).toBe(1);
      expect(JSON.parse(run.stdout)).toEqual({ user, note: `${note} ${user}`, cwd: await realpath(dirs[user]), names: [] });
      ws.close();
    }
    // A restart is a cold launch for the claimer: the same settings come back, the record still names alice.
    const restarted = await call(gwA, 'alice', 'POST', `/api/kernels/${warm.id}/restart`);
    expect([restarted.status, (restarted.body as KernelModel).execution_state]).toEqual([200, 'idle']);
    const ws = await open(gwA, 'alice', warm.id);
    expect(JSON.parse((await ws.execute(probe)).stdout)).toEqual({ user: 'alice', note: `${note} alice`, cwd: await realpath(dirs.alice), names: [] });
    ws.close();
    expect(records(runtimeDir).find(r => r.kernelId === warm.id)?.owner).toEqual({ user: 'alice', tenant: 'team-a' });
    expect((await call(gwA, 'alice', 'DELETE', `/api/kernels/${warm.id}`)).status).toBe(204);
    expect((await call(gwA, 'carol', 'DELETE', `/api/kernels/${cold.id}`)).status).toBe(204);
    // Created when launched, as the panel's uptime ("up 12m") and its newest-first order show: not when the pool started the driver.
    expect(Date.parse(coldCluster.createdAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(warmCluster.createdAt)).toBeGreaterThanOrEqual(before);
  });

  it("should hand a warm driver to a cluster launch at the profile's own sizing, and start a custom sizing cold", async () => {
    const poolIds = (await waitWarm(gwA, runtimeDir, 'alice', 2)).map(r => r.kernelId).sort();
    const python3 = (await me(gwA, 'alice')).profiles.find(p => p.id === 'python3')!;

    // A custom sizing starts cold: the pool keeps both its drivers.
    const custom = await call(gwA, 'alice', 'POST', '/api/clusters', { profile: 'python3', sizing: { driver: { cores: 0.5 } } });
    expect(custom.status).toBe(201);
    const cold = custom.body as ClusterModel;
    expect(poolIds).not.toContain(cold.id);
    expect(cold.sizing.driver.cores).toBe(0.5);
    await waitUntil(async () => ((await call(gwA, 'alice', 'GET', `/api/clusters/${cold.id}`)).body as ClusterModel).state === 'ready', {
      timeoutMs: 60_000,
      what: 'the custom-sized cluster ready'
    });
    expect(warmOf(await me(gwA, 'alice'), 'python3')).toBe(2);
    expect(unclaimed(runtimeDir, 'team-a').map(r => r.kernelId).sort()).toEqual(poolIds);

    // The panel sends the profile's sizing in full: that is the profile's own, and takes a warm driver.
    const launched = await call(gwA, 'alice', 'POST', '/api/clusters', { profile: 'python3', sizing: { driver: python3.driver, executors: python3.executors } });
    expect(launched.status).toBe(201);
    const cluster = launched.body as ClusterModel;
    expect(poolIds).toContain(cluster.id);
    expect(cluster.kernelName).toBe(`python3--${cluster.id}`);
    expect(((await call(gwA, 'alice', 'GET', `/api/clusters/${cluster.id}`)).body as ClusterModel).state).toBe('ready');
    // jupyter_server attaches a notebook by the cluster's kernel name, as to a cold cluster (and waits for it to be handed over).
    const attached = await startKernel(gwA, 'alice', { name: cluster.kernelName });
    expect(attached).toMatchObject({ id: cluster.id, name: cluster.kernelName, execution_state: 'idle' });
    expect(records(runtimeDir).find(r => r.kernelId === cluster.id)).toMatchObject({ owner: { user: 'alice', tenant: 'team-a' }, kernelName: `python3--${cluster.id}` });
    const ws = await open(gwA, 'alice', cluster.id);
    expect((await ws.execute('1 + 1')).result).toBe('2');
    ws.close();

    for (const id of [cold.id, cluster.id]) {
      expect((await call(gwA, 'alice', 'DELETE', `/api/clusters/${id}`)).status).toBe(204);
    }
  });

  it('should give two users claiming at once two different drivers', async () => {
    const poolIds = (await waitWarm(gwA, runtimeDir, 'alice', 2)).map(r => r.kernelId);
    const [a, b] = await Promise.all([startKernel(gwA, 'alice'), startKernel(gwA, 'bob')]);
    expect(a.id).not.toBe(b.id);
    expect(poolIds).toContain(a.id);
    expect(poolIds).toContain(b.id);
    const [alices, bobs] = [await listIds(gwA, 'alice'), await listIds(gwA, 'bob')];
    expect([alices.includes(a.id), alices.includes(b.id), bobs.includes(b.id), bobs.includes(a.id)]).toEqual([true, false, true, false]);
    // Two processes, each its claimer's.
    const pids: string[] = [];
    for (const [user, id] of [['alice', a.id], ['bob', b.id]] as const) {
      const ws = await open(gwA, user, id);
      // A fresh process: nothing of an earlier claimer (alice's x = 42 lives on in her own kernel).
      const run = await ws.execute("import os\nprint(os.getpid(), os.environ.get('SPARKGATE_KERNEL_ID'), 'x' in globals())");
      const [pid, kernelId, hasX] = run.stdout.trim().split(' ');
      expect([kernelId, hasX]).toEqual([id, 'False']);
      pids.push(pid!);
      ws.close();
    }
    expect(new Set(pids).size).toBe(2);
    expect((await call(gwA, 'alice', 'DELETE', `/api/kernels/${a.id}`)).status).toBe(204);
    // bob's stays, for the re-adoption below.
    kept.push({ user: 'bob', id: b.id });
  });

  it('should replace a warm driver that dies, never showing it to anyone', async () => {
    const pool = await waitWarm(gwA, runtimeDir, 'alice', 2);
    const [victim, survivor] = pool as [LocalKernelRecord, LocalKernelRecord];
    process.kill(victim.pid!, 'SIGKILL');
    expect(await waitForNoProcesses(victim.kernelId, 15_000)).toEqual([]);
    const refilled = await waitWarm(gwA, runtimeDir, 'alice', 2, { without: [victim.kernelId] });
    expect(refilled.map(r => r.kernelId)).toContain(survivor.kernelId);
    await waitUntil(() => !hasFolder(runtimeDir, victim.kernelId), { timeoutMs: 10_000, what: "the dead driver's folder removed" });
    for (const user of ['alice', 'bob'] as const) {
      expect(await listIds(gwA, user)).not.toContain(victim.kernelId);
      expect(((await call(gwA, user, 'GET', '/api/clusters')).body as { clusters: ClusterModel[] }).clusters.map(c => c.id)).not.toContain(victim.kernelId);
    }
    // Every fill, claim, refill and death so far reached bob's panel only for his own kernel.
    expect(new Set(bobHeard)).toEqual(new Set(kept.filter(k => k.user === 'bob').map(k => k.id)));
  });

  it("should keep a pool within its tenant's limits, refuse a launch with the clear 403 when the tenant is full, and refill once a kernel goes", async () => {
    // Size 3, but team-l's 2 cores fit two python3 kernels: the pool stops at 2 and says why.
    await waitUntil(() => logCount(gwA, STAYS_SMALLER, '"tenant":"team-l"') >= 1, { timeoutMs: 60_000, what: "team-l's pool to stop at its limits" });
    const poolIds = (await waitWarm(gwA, runtimeDir, 'dave', 2)).map(r => r.kernelId);
    expect(await me(gwA, 'dave')).toMatchObject({ limits: { cores: 2 }, usage: { cores: 2 } });

    const d = await startKernel(gwA, 'dave');
    const e = await startKernel(gwA, 'erin');
    expect(poolIds.sort()).toEqual([d.id, e.id].sort());
    // Full: two claimed kernels hold the tenant's cores, and the pool has no room to refill.
    const full = await me(gwA, 'dave');
    expect(warmOf(full, 'python3')).toBe(0);
    expect(full.usage.cores).toBe(2);
    const refused = await call(gwA, 'dave', 'POST', '/api/kernels', { name: 'python3' });
    expect(refused.status).toBe(403);
    expect((refused.body as { message: string }).message).toBe("cores: this cluster asks for 1, tenant 'team-l' has a limit of 2 and 2 in use; ask for at most 0");
    expect(unclaimed(runtimeDir, 'team-l')).toEqual([]);

    // erin's kernel dies (listed dead, holding no slot): room for one, and the pool takes it (and stops there again).
    const stops = logCount(gwA, STAYS_SMALLER, '"tenant":"team-l"');
    process.kill(records(runtimeDir).find(r => r.kernelId === e.id)!.pid!, 'SIGKILL');
    await waitUntil(async () => ((await call(gwA, 'erin', 'GET', `/api/kernels/${e.id}`)).body as KernelModel).execution_state === 'dead', {
      timeoutMs: 15_000,
      what: "erin's kernel listed dead"
    });
    const refill = await waitWarm(gwA, runtimeDir, 'dave', 1, { without: poolIds });
    expect(logCount(gwA, STAYS_SMALLER, '"tenant":"team-l"')).toBeGreaterThan(stops);
    expect((await me(gwA, 'dave')).usage.cores).toBe(2);
    expect(await listIds(gwA, 'erin')).toEqual([e.id]);
    // Deleting the dead kernel frees nothing more: the pool stays at the limit.
    expect((await call(gwA, 'erin', 'DELETE', `/api/kernels/${e.id}`)).status).toBe(204);
    expect(warmOf(await me(gwA, 'dave'), 'python3')).toBe(1);
    expect(unclaimed(runtimeDir, 'team-l')).toHaveLength(1);
    // And it is there for the next launch.
    const next = await startKernel(gwA, 'erin');
    expect(next.id).toBe(refill[0]!.kernelId);

    for (const [user, id] of [['dave', d.id], ['erin', next.id]] as const) {
      expect((await call(gwA, user, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
    }
    await waitWarm(gwA, runtimeDir, 'dave', 2);
  });

  it("should stop its unclaimed drivers when it exits after an uncaught exception, keeping users' kernels, which the next gateway re-adopts as theirs", async () => {
    await waitWarm(gwA, runtimeDir, 'alice', 2);
    await waitWarm(gwA, runtimeDir, 'dave', 2);
    const before = records(runtimeDir);
    const pool = before.filter(r => r.owner.user === '');
    expect(pool).toHaveLength(4);
    expect(before.filter(r => r.owner.user !== '').map(r => r.kernelId).sort()).toEqual(kept.map(k => k.id).sort());

    gwA.child.kill('SIGUSR2');
    expect(await gwA.exited).toEqual({ code: 1, signal: null });
    expect(gwA.log()).toContain('"message":"uncaught exception; stopping, kernels kept for the next gateway');
    // Nothing of the pools is left, at once: no process, no folder, no record naming nobody.
    for (const r of pool) {
      expect(processesOfKernel(r.kernelId)).toEqual([]);
      expect(hasFolder(runtimeDir, r.kernelId)).toBe(false);
    }
    expect(records(runtimeDir).map(r => r.kernelId).sort()).toEqual(kept.map(k => k.id).sort());
    expect(processesUnder(runtimeDir).map(p => p.cmdline.match(/[0-9a-f-]{36}/)?.[0]).sort()).toEqual(kept.map(k => k.id).sort());

    // Gateway B re-adopts the claimed kernels as their claimers', and fills its own pool with new drivers.
    const gwB = await spawn(TEAM_A, runtimeDir);
    expect(await listIds(gwB, 'alice')).toEqual([kept[0]!.id]);
    expect(await listIds(gwB, 'bob')).toEqual([kept[1]!.id]);
    expect((await call(gwB, 'bob', 'GET', `/api/kernels/${kept[0]!.id}`)).status).toBe(404);
    const ws = await open(gwB, 'alice', kept[0]!.id);
    expect((await ws.execute('x', 60_000)).result).toBe('42');
    ws.close();
    const poolB = await waitWarm(gwB, runtimeDir, 'alice', 2);
    expect(poolB.map(r => r.kernelId).filter(id => pool.some(r => r.kernelId === id))).toEqual([]);
    gwB_ = gwB;
  });

  it('should leave no kernel and no folder behind on a graceful stop right after a claim, its refill still starting', async () => {
    const gwB = gwB_!;
    const pool = await waitWarm(gwB, runtimeDir, 'alice', 2);
    const claimed = await startKernel(gwB, 'bob');
    expect(pool.map(r => r.kernelId)).toContain(claimed.id);
    const seen = records(runtimeDir).map(r => r.kernelId);
    await gwB.stop(30_000);
    expect(processesUnder(runtimeDir)).toEqual([]);
    for (const id of seen) {
      expect(processesOfKernel(id)).toEqual([]);
    }
    expect(await readdir(runtimeDir)).toEqual([]);
  });

  it('should leave no kernel and no folder behind when stopped while its pool is still filling', async () => {
    const dir = path.join(tmp, 'runtime-filling');
    const gw = await spawn(TEAM_A, dir);
    // A folder is there from before a driver's process starts until it is stopped: the pool is at work.
    await waitUntil(() => existsSync(dir) && readdirSync(dir).length > 0, { timeoutMs: 30_000, intervalMs: 10, what: 'a pool driver starting' });
    await gw.stop(30_000);
    expect(processesUnder(dir)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('should stop the warm drivers a killed gateway left running, and adopt its claimed kernels as their owners\'', async () => {
    const dir = path.join(tmp, 'runtime-killed');
    const gwD = await spawn(TEAM_A, dir);
    const poolD = await waitWarm(gwD, dir, 'alice', 2);
    const mine = await startKernel(gwD, 'alice');
    const ws = await open(gwD, 'alice', mine.id);
    expect((await ws.execute('y = 7 * 6')).error).toBeUndefined();
    ws.close();
    const leftovers = await waitWarm(gwD, dir, 'alice', 2, { without: [mine.id] });
    expect(poolD.map(r => r.kernelId)).toContain(mine.id);

    // Killed: no cleanup at all, its warm drivers keep running (waiting for a gateway to adopt them).
    await gwD.crash();
    for (const r of leftovers) {
      expect(processesOfKernel(r.kernelId)).not.toEqual([]);
    }

    // The next gateway: the leftover warm drivers are nobody's to adopt and are stopped; alice's is hers.
    const gwE = await spawn(TEAM_A, dir);
    for (const r of leftovers) {
      const left = await waitForNoProcesses(r.kernelId, 15_000);
      expect({ left, log: left.length > 0 ? gwE.log().slice(-3000) : '' }).toEqual({ left: [], log: '' });
      await waitUntil(() => !hasFolder(dir, r.kernelId), { timeoutMs: 10_000, what: `the folder of the leftover driver ${r.kernelId} removed` });
    }
    expect(await listIds(gwE, 'alice')).toEqual([mine.id]);
    expect(await listIds(gwE, 'bob')).toEqual([]);
    const again = await open(gwE, 'alice', mine.id);
    expect((await again.execute('y', 60_000)).result).toBe('42');
    again.close();
    await waitWarm(gwE, dir, 'alice', 2, { without: leftovers.map(r => r.kernelId) });
    await gwE.stop(30_000);
    expect(processesUnder(dir)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('integration/warm PySpark pool, local backend (issue 15)', () => {
  it('should count a PySpark driver warm only once Spark is up, and answer spark.range(1).count() right after the claim', async () => {
    const runtimeDir = path.join(tmp, 'runtime-spark');
    const gw = await spawn(SPARK, runtimeDir);
    const [driver] = await waitWarm(gw, runtimeDir, 'sam', 1, { profile: 'pyspark', timeoutMs: 150_000 });
    // Warm means Spark is up: its REST API (Spark's UI, as the gateway proxies it) lists the application.
    const apps = await fetch(`http://${driver!.sparkUi}/api/v1/applications`);
    expect(apps.status).toBe(200);
    expect((await apps.json()) as unknown[]).toHaveLength(1);

    // Its Spark UI is nobody's either, until claimed.
    const ui = (): Promise<number> => fetch(`${gw.url}/ui/${driver!.kernelId}/`, { headers: { Authorization: `token ${USERS.sam.token}` } }).then(r => r.status);
    expect(await ui()).toBe(404);

    const t0 = performance.now();
    const kernel = await startKernel(gw, 'sam', { name: 'pyspark' });
    const idleMs = performance.now() - t0;
    expect(kernel).toMatchObject({ id: driver!.kernelId, name: 'pyspark', execution_state: 'idle' });
    const ws = await open(gw, 'sam', kernel.id);
    const run = await ws.execute('spark.range(1).count()', 60_000);
    const countMs = performance.now() - t0;
    expect(run.error).toBeUndefined();
    expect(run.result).toBe('1');
    expect(await ui()).toBe(200);
    console.log(`warm PySpark driver: POST /api/kernels -> idle ${idleMs.toFixed(0)} ms, POST -> spark.range(1).count() answered ${countMs.toFixed(0)} ms`);
    ws.close();

    // The refill (a second JVM) is starting: a graceful stop now still leaves no process and no folder.
    const refill = await waitUntil(() => unclaimed(runtimeDir, 'team-s', 'pyspark').find(r => r.pid !== null), {
      timeoutMs: 30_000,
      what: 'the refill driver started'
    });
    await gw.stop(30_000);
    for (const id of [kernel.id, refill.kernelId]) {
      expect(processesOfKernel(id)).toEqual([]);
    }
    expect(processesUnder(runtimeDir)).toEqual([]);
    expect(await readdir(runtimeDir)).toEqual([]);
  }, 240_000);
});

