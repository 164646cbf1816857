/**
 * Issue 13, item 2, local half: a gateway without a runtime directory keeps each kernel's folder
 * (connection file with the key, log) in the OS temp dir and removes it when the kernel stops. A
 * gateway SIGKILLed together with its kernel cannot, and the folder used to stay forever. The next
 * gateway's orphan sweep (on start, then every `kernels.reap.intervalSeconds`) removes it and logs
 * the path and why, and leaves a live kernel's folder alone, sweep after sweep.
 *
 * The gateways get a private TMPDIR, so what they sweep is this test's alone. Folders are
 * backdated past the sweep's minimum age (60 s) rather than waited for.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnGatewayWithKernel, type GatewayProcess } from '../support/gatewayProcess.js';
import { waitUntil } from '../support/waitFor.js';
import { processesOfKernel, waitForNoProcesses } from './support/processes.js';

jest.setTimeout(180_000);

const YAML = 'local: {runtimeDir: null}\nkernels: {reap: {intervalSeconds: 1}}\n';

let tmp: string;
let privateTmp: string;
const gateways: GatewayProcess[] = [];
const kernelIds: string[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sg-localreap-'));
  privateTmp = path.join(tmp, 'tmp');
  await mkdir(privateTmp, { mode: 0o700 });
});
afterAll(async () => {
  await Promise.all(gateways.map(g => g.stop()));
  for (const id of kernelIds) {
    processesOfKernel(id).forEach(pid => process.kill(pid, 'SIGKILL'));
  }
  await rm(tmp, { recursive: true, force: true });
});

/** The kernel's folder in the gateways' temp dir (`sparkgate-<id8>-XXXXXX`). */
async function folderOf(kernelId: string): Promise<string> {
  const names = (await readdir(privateTmp)).filter(n => n.startsWith(`sparkgate-${kernelId.slice(0, 8)}-`));
  expect(names).toHaveLength(1);
  return path.join(privateTmp, names[0]!);
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

/** Sets the folder's mtime 10 min back: older than the sweep's minimum age. */
async function backdate(dir: string): Promise<void> {
  const old = new Date(Date.now() - 10 * 60_000);
  await utimes(dir, old, old);
}

/** The gateway's `orphan removed` log lines. */
function removals(gw: GatewayProcess): { name: string; reason: string; kind: string }[] {
  return gw
    .log()
    .split('\n')
    .filter(line => line.includes('"orphan removed"'))
    .map(line => JSON.parse(line) as { name: string; reason: string; kind: string });
}

async function start(): Promise<{ gw: GatewayProcess; kernelId: string }> {
  const started = await spawnGatewayWithKernel({ yaml: YAML, env: { TMPDIR: privateTmp }, timeoutMs: 60_000 });
  gateways.push(started.gw);
  kernelIds.push(started.kernelId);
  return started;
}

describe('integration/local orphan sweep of temp folders (issue 13, item 2)', () => {
  it("should remove a killed gateway's and kernel's folder, log it with the path and why, and keep a live kernel's", async () => {
    // A gateway and its kernel both SIGKILLed: nothing of theirs can clean up.
    const first = await start();
    const leftover = await folderOf(first.kernelId);
    await first.gw.crash();
    processesOfKernel(first.kernelId).forEach(pid => process.kill(pid, 'SIGKILL'));
    expect(await waitForNoProcesses(first.kernelId, 10_000)).toEqual([]);
    expect(await exists(path.join(leftover, 'connection.json'))).toBe(true);

    const second = await start();
    const live = await folderOf(second.kernelId);
    // The live one first: the sweep that removes the leftover has seen both past the minimum age.
    await backdate(live);
    await backdate(leftover);
    await waitUntil(async () => !(await exists(leftover)), { timeoutMs: 20_000, what: 'the leftover folder removed' });
    expect(removals(second.gw)).toEqual([
      expect.objectContaining({
        kind: 'directory',
        name: leftover,
        reason: expect.stringContaining(`no process of this user has SPARKGATE_KERNEL_ID=${first.kernelId.slice(0, 8)}…`)
      })
    ]);

    // One more leftover (no kernel ever had it): once that is swept too, the live folder has
    // been through at least one more sweep.
    const marker = path.join(privateTmp, 'sparkgate-0000beef-Abc123');
    await mkdir(marker, { mode: 0o700 });
    await backdate(marker);
    await waitUntil(async () => !(await exists(marker)), { timeoutMs: 20_000, what: 'the second leftover removed' });
    expect(removals(second.gw).map(r => r.name)).toEqual([leftover, marker]);
    expect(await exists(path.join(live, 'connection.json'))).toBe(true);
    const model = await fetch(`${second.gw.url}/api/kernels/${second.kernelId}`, { headers: { Authorization: `token ${second.gw.token}` } });
    expect(model.status).toBe(200);
    expect(((await model.json()) as { execution_state: string }).execution_state).not.toBe('dead');
    expect(processesOfKernel(second.kernelId).length).toBeGreaterThan(0);

    // A graceful stop still removes the live kernel's folder itself.
    await second.gw.stop();
    await waitUntil(async () => !(await exists(live)), { timeoutMs: 10_000, what: "the live kernel's folder removed on stop" });
  });
});
