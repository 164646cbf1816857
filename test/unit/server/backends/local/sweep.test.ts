// backends/local/sweep.ts (issue 13, item 2, local half): the periodic orphan sweep of the runtime
// directory, on a real temp folder with real processes standing in for kernels.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processAlive, processStartTime } from '../../../../../server/src/backends/local/processProbe.js';
import { createKernelDir, ensureRuntimeDir, writeRecord } from '../../../../../server/src/backends/local/runtimeDir.js';
import { sweepLocal } from '../../../../../server/src/backends/local/sweep.js';
import type { GatewayProcessRef, LocalKernelRecord } from '../../../../../server/src/backends/local/types.js';

const owner = { uid: process.getuid?.() ?? 0 };
const GONE: GatewayProcessRef = { pid: 2 ** 22 + 17, start: null };
const SELF: GatewayProcessRef = { pid: 2 ** 22 + 18, start: null };

let root: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  root = path.join(await mkdtemp(path.join(tmpdir(), 'sparkgate-sweep-test-')), 'kernels');
  await ensureRuntimeDir(root, owner);
});
afterEach(async () => {
  children.splice(0).forEach(c => c.kill('SIGKILL'));
  await rm(path.dirname(root), { recursive: true, force: true });
});

function kernelProcess(): number {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  children.push(child);
  return child.pid as number;
}

async function recordOf(id: string, over: Partial<LocalKernelRecord>): Promise<string> {
  const dir = await createKernelDir(root, id);
  await writeRecord(dir, {
    version: 1,
    kernelId: id,
    kernelName: 'python3',
    profileId: 'python3',
    owner: { user: 'alice', tenant: 'default' },
    sizing: { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 } },
    spark: false,
    sparkUi: null,
    connection: { ip: '127.0.0.1', transport: 'tcp', shell_port: 1, iopub_port: 2, stdin_port: 3, control_port: 4, hb_port: 5, key: 'k', signature_scheme: 'hmac-sha256' },
    pid: null,
    processStart: null,
    gateway: GONE,
    createdAt: new Date().toISOString(),
    ...over
  });
  return dir;
}

const sweep = (known: string[] = []) => sweepLocal({ root, owner, self: SELF, known: new Set(known) });

describe('backends/local/sweep', () => {
  it('should keep a kernel this gateway knows, and one a crashed gateway left running (still adoptable)', async () => {
    const mine = kernelProcess();
    const orphan = kernelProcess();
    await recordOf('mine', { pid: mine, processStart: processStartTime(mine), gateway: SELF });
    await recordOf('adoptable', { pid: orphan, processStart: processStartTime(orphan) });
    expect(await sweep(['mine'])).toEqual([]);
    expect(await readdir(root)).toHaveLength(2);
  });

  it("should keep what another live gateway holds, even if its process is gone", async () => {
    await recordOf('theirs', { pid: null, gateway: { pid: process.pid, start: processStartTime(process.pid) } });
    expect(await sweep()).toEqual([]);
    expect(await readdir(root)).toHaveLength(1);
  });

  it('should remove the folder of a kernel whose process and gateway are gone, saying why', async () => {
    const dir = await recordOf('dead', { pid: null });
    expect(await sweep()).toEqual([{ kind: 'directory', namespace: '', name: dir, reason: "kernel dead's process is gone and no gateway holds it" }]);
    expect(await readdir(root)).toEqual([]);
  });

  it('should stop a kernel process this gateway started but no longer knows, and remove its folder', async () => {
    const pid = kernelProcess();
    const dir = await recordOf('forgotten', { pid, processStart: processStartTime(pid), gateway: SELF });
    const swept = await sweep();
    expect(swept).toEqual([
      { kind: 'process', namespace: '', name: `${pid}`, reason: 'kernel forgotten is no longer known to this gateway' },
      { kind: 'directory', namespace: '', name: dir, reason: 'kernel forgotten was stopped as an orphan' }
    ]);
    expect(processAlive(pid, null)).toBe(false);
    expect(await readdir(root)).toEqual([]);
  });
});
