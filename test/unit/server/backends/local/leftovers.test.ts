// backends/local/leftovers.ts (issue 13, item 2): kernel temp folders that no runtime directory
// records, left by a killed gateway or kernel, are removed once provably nobody's, and only then.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalBackend } from '../../../../../server/src/backends/local/backend.js';
import { kernelProcesses, reapStrayGroups, sweepLeftovers } from '../../../../../server/src/backends/local/leftovers.js';
import { silentLogger } from '../../../../../server/src/log.js';
import { waitUntil } from '../../../../support/waitFor.js';
import { signalGroup } from '../../../../../server/src/util/processGroup.js';

const uid = process.getuid?.() ?? 0;
const ID = '0123abcd-1111-4222-8333-444455556666';
const MIN = 60_000;

let tmp: string;
let now: number;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-leftovers-test-'));
  now = Date.now();
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A kernel folder as backend.ts makes it (0700, key inside), last changed `ageMs` ago. */
async function folder(name: string, ageMs: number, mode = 0o700): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { mode: 0o700 });
  await writeFile(path.join(dir, 'connection.json'), '{"key":"secret"}', { mode: 0o600 });
  await chmod(dir, mode);
  const at = new Date(now - ageMs);
  await utimes(dir, at, at);
  return dir;
}

const sweep = (over: Partial<Parameters<typeof sweepLeftovers>[0]> = {}) =>
  sweepLeftovers({ dir: tmp, uid, known: new Set(), liveIds: new Set(), minAgeMs: MIN, now, ...over });

describe('backends/local/leftovers', () => {
  describe('sweepLeftovers()', () => {
    it('should remove an old private folder of ours whose kernel no process carries, saying which and why', async () => {
      const dir = await folder('sparkgate-0123abcd-Xy12Zq', 2 * MIN);
      const swept = await sweep({ liveIds: new Set(['ffffeeee-other']) });
      expect(swept).toEqual([
        {
          kind: 'directory',
          namespace: '',
          name: dir,
          reason:
            'temp folder of kernel 0123abcd…, 120 s old: no process of this user has SPARKGATE_KERNEL_ID=0123abcd… ' +
            'and no kernel of this gateway has that id (its gateway or kernel was killed)'
        }
      ]);
      expect(await readdir(tmp)).toEqual([]);
    });

    it("should keep a live kernel's folder, one this gateway holds, and one young enough to be still starting", async () => {
      await folder('sparkgate-0123abcd-live01', 10 * MIN);
      await folder('sparkgate-aaaabbbb-known1', 10 * MIN);
      await folder('sparkgate-ccccdddd-young1', MIN - 1000);
      const swept = await sweep({ liveIds: new Set([ID]), known: new Set(['aaaabbbb-2222-4333-8444-555566667777']) });
      expect(swept).toEqual([]);
      expect((await readdir(tmp)).sort()).toEqual(['sparkgate-0123abcd-live01', 'sparkgate-aaaabbbb-known1', 'sparkgate-ccccdddd-young1']);
    });

    it("should never touch what is not provably ours: other names, open modes, another uid's, symlinks, files", async () => {
      const target = await mkdtemp(path.join(tmpdir(), 'sparkgate-leftovers-target-'));
      try {
        await writeFile(path.join(target, 'precious'), 'x');
        await folder('sparkgate-kernel-abc123', 10 * MIN); // the launcher's (pods only), nothing in it names its kernel
        await folder('sparkgate-gw-abc123', 10 * MIN);
        await folder('sparkgate-0123abcd-open01', 10 * MIN, 0o755);
        await symlink(target, path.join(tmp, 'sparkgate-0123abcd-link01'));
        await writeFile(path.join(tmp, 'sparkgate-0123abcd-file01'), 'x', { mode: 0o600 });
        expect(await sweep()).toEqual([]);
        await folder('sparkgate-0123abcd-uid001', 10 * MIN);
        expect(await sweep({ uid: uid + 1 })).toEqual([]);
        expect(await readdir(tmp)).toHaveLength(6);
        expect(await readdir(target)).toEqual(['precious']);
      } finally {
        await rm(target, { recursive: true, force: true });
      }
    });

    it('should remove nothing when which kernel processes live cannot be told', async () => {
      await folder('sparkgate-0123abcd-Xy12Zq', 10 * MIN);
      expect(await sweep({ liveIds: null })).toEqual([]);
      expect(await readdir(tmp)).toHaveLength(1);
    });
  });

  describe('kernelProcesses()', () => {
    async function proc(pid: string, env: string[], state = 'S', pgid = pid): Promise<void> {
      await mkdir(path.join(tmp, pid));
      await writeFile(path.join(tmp, pid, 'environ'), `${env.join('\0')}\0`);
      await writeFile(path.join(tmp, pid, 'stat'), `${pid} (python3 (x) y) ${state} 1 ${pgid} ${pgid} 0`);
    }

    it('should read SPARKGATE_KERNEL_ID, group and uid of live processes, not zombies or others', async () => {
      await proc('self', ['HOME=/h']);
      await proc('10', ['PATH=/bin', `SPARKGATE_KERNEL_ID=${ID}`]);
      await proc('14', [`SPARKGATE_KERNEL_ID=${ID}`], 'S', '10');
      await proc('11', ['SPARKGATE_KERNEL_ID=dead-one'], 'Z');
      await proc('12', ['NOT_SPARKGATE_KERNEL_ID=x']);
      await mkdir(path.join(tmp, '13')); // gone, or another user's: unreadable
      const found = await kernelProcesses(tmp);
      expect(found?.sort((a, b) => a.pid - b.pid)).toEqual([
        { pid: 10, kernelId: ID, pgid: 10, uid },
        { pid: 14, kernelId: ID, pgid: 10, uid }
      ]);
    });

    it('should answer null where there is no readable /proc', async () => {
      await expect(kernelProcesses(path.join(tmp, 'none'))).resolves.toBeNull();
      await expect(kernelProcesses(tmp)).resolves.toBeNull(); // no self/environ
    });
  });

  describe('reapStrayGroups()', () => {
    const p = (pid: number, pgid: number, kernelId = ID, owner = uid) => ({ pid, pgid, kernelId, uid: owner });

    it("should kill each group whose launcher is gone, once, and leave live launchers', held kernels' and other uids' alone", () => {
      const killed: number[] = [];
      const swept = reapStrayGroups({
        processes: [p(21, 20), p(22, 20), p(31, 30, 'held'), p(41, 40), p(40, 40), p(51, 50, 'x', uid + 1)],
        uid,
        known: new Set(['held']),
        leaderAlive: pgid => pgid === 40,
        kill: pgid => void killed.push(pgid)
      });
      expect(killed).toEqual([20]);
      expect(swept).toEqual([
        { kind: 'process', namespace: '', name: 'group 20', reason: `left behind by kernel ${ID}, whose launcher (pid 20) is gone; pid 21 still ran` }
      ]);
    });

    it('should end a real group whose leader was SIGKILLed, with what still ran in it', async () => {
      const kernelId = `stray-${process.pid}-${Date.now()}`;
      const leader = spawn('sh', ['-c', 'sleep 60 & wait'], { detached: true, stdio: 'ignore', env: { ...process.env, SPARKGATE_KERNEL_ID: kernelId } });
      const pgid = leader.pid as number;
      const mine = async () => ((await kernelProcesses()) ?? []).filter(k => k.kernelId === kernelId);
      try {
        await waitUntil(async () => (await mine()).some(k => k.pid !== pgid), { timeoutMs: 5000, what: 'the sleep in the group' });
        const exited = new Promise(resolve => leader.once('exit', resolve));
        leader.kill('SIGKILL');
        await exited;
        const swept = reapStrayGroups({ processes: await mine(), uid, known: new Set() });
        expect(swept.map(s => s.name)).toEqual([`group ${pgid}`]);
        await waitUntil(async () => (await mine()).length === 0, { timeoutMs: 5000, what: 'the group gone' });
      } finally {
        signalGroup(pgid, 'SIGKILL');
      }
    });
  });

  describe('LocalBackend#sweep() without a runtime directory', () => {
    it('should remove leftovers from its temp dir', async () => {
      const dir = await folder('sparkgate-0123abcd-Xy12Zq', 2 * MIN);
      const procDir = path.join(tmp, 'proc');
      await mkdir(path.join(procDir, 'self'), { recursive: true });
      await writeFile(path.join(procDir, 'self', 'environ'), 'HOME=/h\0');
      const backend = new LocalBackend({
        python: 'python3',
        launcher: '/nonexistent/launcher.py',
        workingDir: tmp,
        baseEnv: {},
        logger: silentLogger,
        runtimeDir: null,
        tempDir: tmp,
        procDir,
        now: () => now
      });
      await expect(backend.sweep([], new Set())).resolves.toMatchObject([{ kind: 'directory', name: dir }]);
      expect(await readdir(tmp)).toEqual(['proc']);
    });
  });
});
