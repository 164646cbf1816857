/**
 * Issue 13, item 5: 100 launch/delete cycles on the local backend, a third of them deleted in the
 * middle of their launch, leave nothing behind: no kernel process, no kernel record or key
 * folder in the runtime directory, no temp folder. (The Kubernetes half, with pods, Secrets,
 * Services and NetworkPolicies, is test/cluster/cycles.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnGateway, type GatewayProcess } from '../support/gatewayProcess.js';
import { waitUntil } from '../support/waitFor.js';

jest.setTimeout(300_000);

const CYCLES = 100;
/** Cycles in flight at once: enough to overlap launches and deletes, few enough for 2 cores. */
const PARALLEL = 5;

let gw: GatewayProcess;
let root: string;
let runtimeDir: string;
let tempBefore: Set<string>;

async function call(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(gw.url + route, {
    method,
    headers: { Authorization: `token ${gw.token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  });
  return { status: response.status, body: ((await response.json().catch(() => null)) ?? {}) as Record<string, unknown> };
}

/** The kernel ids of live processes, read from their environment (every kernel has SPARKGATE_KERNEL_ID). */
async function kernelProcesses(ids: ReadonlySet<string>): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) {
      continue;
    }
    const env = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
    const id = /(?:^|\0)SPARKGATE_KERNEL_ID=([^\0]+)/.exec(env)?.[1];
    const state = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '');
    // Zombies are gone for a user (nothing runs); PID 1 here does not reap orphans.
    if (id && ids.has(id) && !/^\d+ \(.*\) Z /.test(state)) {
      found.push(`${pid} (kernel ${id})`);
    }
  }
  return found;
}

/** Key folders of kernels started without a runtime directory (`sparkgate-<id8>-…` in the temp dir). */
const sparkgateTemps = async (): Promise<string[]> => (await readdir(tmpdir())).filter(name => /^sparkgate-[0-9a-f]{8}-/.test(name));

beforeAll(async () => {
  tempBefore = new Set(await sparkgateTemps());
  root = await mkdtemp(path.join(tmpdir(), 'sg-cycles-'));
  runtimeDir = path.join(root, 'runtime');
  gw = await spawnGateway({ yaml: 'limits: {maxKernelsPerUser: 0}\n', runtimeDir, timeoutMs: 120_000 });
});
afterAll(async () => {
  await gw?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('integration/launch and delete cycles, local backend (issue 13)', () => {
  it(`should leave no process, record, key folder or temp folder after ${CYCLES} cycles, a third deleted mid-launch`, async () => {
    const ids = new Set<string>();
    let midLaunch = 0;
    let started = 0;
    const cycle = async (i: number): Promise<void> => {
      if (i % 3 === 0) {
        // Mid-launch: the sparkgate API returns at once with the kernel starting; delete it now.
        const launched = await call('POST', '/api/clusters', { profile: 'python3' });
        expect(launched.status).toBe(201);
        const id = launched.body['id'] as string;
        ids.add(id);
        if (launched.body['state'] === 'requested' || launched.body['state'] === 'launching') {
          midLaunch++;
        }
        expect((await call('DELETE', `/api/clusters/${id}`)).status).toBe(204);
        return;
      }
      const res = await call('POST', '/api/kernels', { name: 'python3' });
      expect(res.status).toBe(201);
      const id = res.body['id'] as string;
      ids.add(id);
      started++;
      expect((await call('DELETE', `/api/kernels/${id}`)).status).toBe(204);
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < CYCLES) {
          await cycle(next++);
        }
      })
    );
    expect(ids.size).toBe(CYCLES);
    expect((await call('GET', '/api/kernels')).body).toEqual([]);

    await waitUntil(async () => (await kernelProcesses(ids)).length === 0, { timeoutMs: 30_000, what: 'no kernel process left' }).catch(async error => {
      throw new Error(`${(error as Error).message}: ${(await kernelProcesses(ids)).join(', ')}`);
    });
    expect(await readdir(runtimeDir)).toEqual([]);
    expect((await sparkgateTemps()).filter(name => !tempBefore.has(name))).toEqual([]);
    process.stderr.write(`cycles (local): ${CYCLES} cycles, ${started} started and deleted, ${midLaunch} deleted mid-launch; 0 processes, records or folders left\n`);
  });
});
