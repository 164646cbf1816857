// Real, short-lived `sh` process groups: the helper is all about what the OS does with signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { groupAlive, signalGroup, stopGroup, waitForGroupExit } from '../../../../server/src/util/processGroup.mjs';

interface Group {
  child: ChildProcess;
  pgid: number;
  /** The first line the script printed (it prints once its traps and children are in place). */
  firstLine: Promise<string>;
  exited: Promise<void>;
}

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const started: number[] = [];

/** Starts `sh -c script` as the leader of a new process group. */
function startGroup(script: string): Group {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const pgid = child.pid!;
  started.push(pgid);
  let out = '';
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        resolve(out.split('\n')[0]!);
      }
    });
    child.once('exit', () => reject(new Error(`sh exited before printing a line: ${out}`)));
  });
  firstLine.catch(() => undefined);
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  return { child, pgid, firstLine, exited };
}

/** True while `pid` is a live (not zombie) process. */
function processLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

afterEach(() => {
  // Nothing a failed test started may outlive it.
  for (const pgid of started.splice(0)) {
    signalGroup(pgid, 'SIGKILL');
  }
});

describe('util/processGroup', () => {
  describe('#stopGroup()', () => {
    it('should end a group that obeys SIGTERM within the grace, without SIGKILL', async () => {
      const g = startGroup('sleep 30 & sleep 30 & echo ready; wait');
      await g.firstLine;
      let killed = false;
      const outcome = await stopGroup(g.pgid, { graceMs: 5000, onKill: () => (killed = true) });
      expect(outcome).toBe('terminated');
      expect(killed).toBe(false);
      expect(groupAlive(g.pgid)).toBe(false);
      await g.exited;
      expect(g.child.signalCode).toBe('SIGTERM');
    });

    it('should SIGKILL a group that ignores SIGTERM once the grace has passed', async () => {
      // An ignored signal stays ignored across exec, so the sleep ignores SIGTERM too.
      const g = startGroup("trap '' TERM; sleep 30 & echo ready; wait");
      await g.firstLine;
      const calls: boolean[] = [];
      const t0 = Date.now();
      const outcome = await stopGroup(g.pgid, { graceMs: 300, onKill: () => calls.push(groupAlive(g.pgid)) });
      expect(outcome).toBe('killed');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
      // onKill ran once, while the group was still there.
      expect(calls).toEqual([true]);
      expect(groupAlive(g.pgid)).toBe(false);
      await g.exited;
      expect(g.child.signalCode).toBe('SIGKILL');
    });

    it("should answer 'absent' for a group that is already gone", async () => {
      const g = startGroup('exit 0');
      await g.exited;
      let killed = false;
      expect(await stopGroup(g.pgid, { graceMs: 1000, onKill: () => (killed = true) })).toBe('absent');
      expect(killed).toBe(false);
      expect(signalGroup(g.pgid, 'SIGTERM')).toBe(false);
      expect(groupAlive(g.pgid)).toBe(false);
    });

    it('should stop the children of a group whose leader has already exited', async () => {
      // The leader prints its child's pid and exits; the child stays in the group.
      const g = startGroup('sleep 30 >/dev/null 2>&1 & echo $!');
      const orphan = Number(await g.firstLine);
      await g.exited;
      expect(processLive(orphan)).toBe(true);
      expect(groupAlive(g.pgid)).toBe(true);
      expect(await stopGroup(g.pgid, { graceMs: 5000 })).toBe('terminated');
      expect(processLive(orphan)).toBe(false);
      expect(groupAlive(g.pgid)).toBe(false);
    });
  });

  describe('#waitForGroupExit()', () => {
    it('should resolve false when the group outlives the timeout, true once it is gone', async () => {
      const g = startGroup('sleep 30 & echo ready; wait');
      await g.firstLine;
      expect(await waitForGroupExit(g.pgid, { timeoutMs: 100, pollMs: 20 })).toBe(false);
      expect(signalGroup(g.pgid, 'SIGKILL')).toBe(true);
      expect(await waitForGroupExit(g.pgid, { timeoutMs: 5000, pollMs: 20 })).toBe(true);
    });
  });

  describe('#signalGroup()', () => {
    it('should refuse ids whose negation kill(2) reads as our own group or every process', () => {
      for (const pgid of [0, 1, -7, 2.5, Number.NaN]) {
        expect(() => signalGroup(pgid, 'SIGTERM')).toThrow(RangeError);
        expect(() => groupAlive(pgid)).toThrow(RangeError);
      }
    });
  });

  describe('the gateway build', () => {
    it('should carry processGroup.mjs into dist, where the built gateway imports it', async () => {
      // server/dist/util/processGroup.js imports ./processGroup.mjs; tsc copies no .mjs, the build script does.
      const built = path.join(root, 'server/dist/util/processGroup.mjs');
      expect(existsSync(built)).toBe(true);
      expect(readFileSync(built, 'utf8')).toBe(readFileSync(path.join(root, 'server/src/util/processGroup.mjs'), 'utf8'));
      const door = (await import(path.join(root, 'server/dist/util/processGroup.js'))) as Record<string, unknown>;
      expect(typeof door['stopGroup']).toBe('function');
    });
  });
});

