// backends/local/discover.ts on a real temp runtime directory with real processes standing in for
// kernels (issue 13, item 3): a live kernel whose gateway is gone is adopted (its record then names
// the new gateway; terminate ends it and removes its folder), a dead one is reaped, one a live
// gateway holds is left alone, a foreign record is refused; each decision is logged.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { discoverLocal } from '../../../../../server/src/backends/local/discover.js';
import { processStartTime } from '../../../../../server/src/backends/local/processProbe.js';
import { createKernelDir, ensureRuntimeDir, readRecord, writeRecord } from '../../../../../server/src/backends/local/runtimeDir.js';
import type { LocalKernelRecord } from '../../../../../server/src/backends/local/types.js';
import { createLogger } from '../../../../../server/src/log.js';
import { waitUntil } from '../../../../support/waitFor.js';

const owner = { uid: process.getuid?.() ?? 0 };
/** A gateway that is gone: a pid no process has. */
const GONE = { pid: 2 ** 22 + 17, start: null };
const SELF = { pid: 2 ** 22 + 18, start: null };

let root: string;
let lines: { message: string; kernel?: string; reason?: string }[];
const children: ChildProcess[] = [];

beforeEach(async () => {
  root = path.join(await mkdtemp(path.join(tmpdir(), 'sparkgate-discover-test-')), 'kernels');
  await ensureRuntimeDir(root, owner);
  lines = [];
});
afterEach(async () => {
  children.splice(0).forEach(c => c.kill('SIGKILL'));
  await rm(path.dirname(root), { recursive: true, force: true });
});

const logger = () => createLogger({ level: 'debug', write: line => lines.push(JSON.parse(line) as (typeof lines)[number]) });

/** A process leading its own group, like a launcher. */
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
    connection: {
      ip: '127.0.0.1',
      transport: 'tcp',
      shell_port: 1,
      iopub_port: 2,
      stdin_port: 3,
      control_port: 4,
      hb_port: 5,
      key: 'k',
      signature_scheme: 'hmac-sha256'
    },
    pid: null,
    processStart: null,
    gateway: GONE,
    createdAt: new Date().toISOString(),
    ...over
  });
  return dir;
}

const discover = () => discoverLocal({ root, owner, self: SELF, logger: logger(), exitPollMs: 20 });

describe('backends/local/discover', () => {
  it('should adopt a live kernel whose gateway is gone, claim its record, and remove its folder once terminated', async () => {
    const pid = kernelProcess();
    await recordOf('live', { pid, processStart: processStartTime(pid) });
    const found = await discover();
    expect(found.map(k => [k.kernelId, k.owner, k.profileId, k.kernelName])).toEqual([['live', { user: 'alice', tenant: 'default' }, 'python3', 'python3']]);
    const launched = found[0]!.adopt(() => undefined);
    expect(launched.connection.key).toBe('k');
    await launched.terminate(1000);
    expect(await readdir(root)).toEqual([]);
    await expect(launched.exited).resolves.toMatchObject({ code: null, signal: 'exit status unknown' });
  });

  it('should name this gateway in an adopted record (what cancels the launcher grace)', async () => {
    const pid = kernelProcess();
    const dir = await recordOf('claimed', { pid, processStart: processStartTime(pid) });
    const [found] = await discover();
    const launched = found!.adopt(() => undefined);
    const read = await waitUntil(
      async () => {
        const r = await readRecord(dir, owner);
        return r.ok && r.record.gateway.pid === SELF.pid ? r : null;
      },
      { timeoutMs: 5000, what: 'the record to name this gateway' }
    );
    expect(read).toMatchObject({ ok: true, record: { gateway: SELF, pid } });
    await launched.terminate(1000);
  });

  it('should reap a kernel whose process is gone, and one whose gateway crashed before its spawn', async () => {
    const exited = spawn('true');
    await new Promise(resolve => exited.once('exit', resolve));
    await recordOf('dead', { pid: exited.pid as number, processStart: '1' });
    await recordOf('never-started', { pid: null });
    expect(await discover()).toEqual([]);
    expect(await readdir(root)).toEqual([]);
    const reaped = lines.filter(l => l.message === 'removed the record and key of a kernel that is gone').map(l => l.kernel);
    expect(reaped.sort()).toEqual(['dead', 'never-started']);
  });

  it('should not take a pid reused by another process for the kernel', async () => {
    const pid = kernelProcess();
    await recordOf('reused', { pid, processStart: 'not-its-start-time' });
    expect(await discover()).toEqual([]);
    expect(await readdir(root)).toEqual([]);
    expect(children[0]!.exitCode).toBeNull(); // the unrelated process is left running
  });

  it('should leave a kernel that a live gateway holds', async () => {
    const pid = kernelProcess();
    await recordOf('held', { pid, gateway: { pid: process.pid, start: processStartTime(process.pid) } });
    expect(await discover()).toEqual([]);
    expect(await readdir(root)).toHaveLength(1);
    expect(lines.map(l => l.message)).toContain('kernel left to the gateway process that holds it');
  });

  it('should refuse, keep and log a record others can read', async () => {
    const dir = await recordOf('open', { pid: kernelProcess() });
    await chmod(path.join(dir, 'kernel.json'), 0o644);
    expect(await discover()).toEqual([]);
    expect(await readdir(root)).toHaveLength(1);
    expect(lines).toContainEqual(expect.objectContaining({ message: 'kernel record refused; left as it is', reason: 'kernel.json mode 0644 lets others read it (expected 0600)' }));
  });
});
