/**
 * Temp folders of local kernels that no runtime directory records (backend.ts makes
 * `sparkgate-<id8>-XXXXXX` in the OS temp dir when `local.runtimeDir` is null): a gateway that was
 * SIGKILLed, or a kernel that was, leaves them behind with the kernel's key inside. One is removed
 * only when it is provably nobody's: the name is ours, it is a real folder (never a symlink) of
 * this uid with mode 0700, it is older than `minAgeMs` (a kernel whose folder exists but whose
 * process is not spawned yet is never touched), no kernel this gateway holds has that id prefix,
 * and no live process of ours carries SPARKGATE_KERNEL_ID with it (the launcher, ipykernel and the
 * JVM all do). Where /proc cannot be read, nothing is removed. Also here: process groups of
 * kernels whose launcher was SIGKILLed, with a JVM still in them (`reapStrayGroups`).
 */
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { signalGroup } from '../../util/processGroup.js';
import type { SweptObject } from '../types.js';
import { processAlive } from './processProbe.js';

/** `sparkgate-` + the first 8 hex digits of the kernel id + mkdtemp's 6 characters. */
export const LEFTOVER_NAME = /^sparkgate-([0-9a-f]{8})-[A-Za-z0-9]{6}$/;

export interface SweepLeftoversOptions {
  /** The OS temp dir (`os.tmpdir()`). */
  dir: string;
  uid: number;
  /** Ids of every kernel this gateway holds, starting ones included. */
  known: ReadonlySet<string>;
  /** Kernel ids of live processes (`kernelProcesses`), or null when that cannot be told: then nothing is removed. */
  liveIds: ReadonlySet<string> | null;
  minAgeMs: number;
  now: number;
}

/** One sweep of the temp dir; returns what it removed and why. */
export async function sweepLeftovers(o: SweepLeftoversOptions): Promise<SweptObject[]> {
  if (o.liveIds === null) {
    return [];
  }
  const names = await readdir(o.dir).catch(() => [] as string[]);
  const swept: SweptObject[] = [];
  for (const name of names) {
    const prefix = LEFTOVER_NAME.exec(name)?.[1];
    if (!prefix || someStartsWith(o.known, prefix) || someStartsWith(o.liveIds, prefix)) {
      continue;
    }
    const folder = path.join(o.dir, name);
    const info = await lstat(folder).catch(() => null);
    // lstat: a symlink is never a directory here, so nothing outside the temp dir is followed.
    if (!info?.isDirectory() || info.uid !== o.uid || (info.mode & 0o077) !== 0) {
      continue;
    }
    const ageMs = o.now - info.mtimeMs;
    if (ageMs < o.minAgeMs) {
      continue;
    }
    // rm does not follow symlinks inside; /tmp's sticky bit keeps others from swapping the folder.
    await rm(folder, { recursive: true, force: true });
    swept.push({
      kind: 'directory',
      namespace: '',
      name: folder,
      reason:
        `temp folder of kernel ${prefix}…, ${Math.round(ageMs / 1000)} s old: no process of this user has ` +
        `SPARKGATE_KERNEL_ID=${prefix}… and no kernel of this gateway has that id (its gateway or kernel was killed)`
    });
  }
  return swept;
}

/** A live process that carries SPARKGATE_KERNEL_ID (a launcher, or what it spawned: the JVM). */
export interface KernelProcess {
  pid: number;
  kernelId: string;
  /** Its process group: the launcher's pid, as every kernel leads its own group. */
  pgid: number;
  uid: number;
}

/**
 * Every live (not zombie) process this user may read that carries SPARKGATE_KERNEL_ID, from
 * `<proc>/<pid>/environ` and `stat`; null when `<proc>` cannot be listed or our own environ not
 * read (not Linux).
 */
export async function kernelProcesses(proc = '/proc'): Promise<KernelProcess[] | null> {
  const entries = await readdir(proc).catch(() => null);
  if (entries === null || (await readFile(path.join(proc, 'self', 'environ')).catch(() => null)) === null) {
    return null;
  }
  const found = await Promise.all(
    entries
      .filter(e => /^\d+$/.test(e))
      .map(async (pid): Promise<KernelProcess | null> => {
        // Unreadable (another user's, or gone meanwhile): another user's process cannot hold our 0700 folder.
        const env = await readFile(path.join(proc, pid, 'environ'), 'latin1').catch(() => '');
        const kernelId = /(?:^|\0)SPARKGATE_KERNEL_ID=([^\0]*)/.exec(env)?.[1];
        if (!kernelId) {
          return null;
        }
        const [stat, info] = await Promise.all([readFile(path.join(proc, pid, 'stat'), 'latin1').catch(() => ''), lstat(path.join(proc, pid)).catch(() => null)]);
        // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses. Unreadable counts as live (kept).
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (state === 'Z' || state === 'X') {
          return null;
        }
        return { pid: Number(pid), kernelId, pgid: Number(pgrp ?? pid) || Number(pid), uid: info?.uid ?? -1 };
      })
  );
  return found.filter((p): p is KernelProcess => p !== null);
}

export interface ReapStrayGroupsOptions {
  processes: readonly KernelProcess[];
  uid: number;
  /** Ids of every kernel this gateway holds: its own stops end their groups themselves. */
  known: ReadonlySet<string>;
  /** Whether the group's leader (the launcher) still runs (zombies do not); default processProbe's. */
  leaderAlive?: (pgid: number) => boolean;
  /** Default `signalGroup(pgid, 'SIGKILL')`. */
  kill?: (pgid: number) => void;
}

/**
 * Kernel process groups whose launcher is gone (SIGKILLed: it could not end its group) but where
 * something still runs, a JVM typically: nothing can talk to them any more (the kernel that
 * held the sockets is gone), so they are killed. Only this uid's, never one this gateway holds.
 */
export function reapStrayGroups(o: ReapStrayGroupsOptions): SweptObject[] {
  const leaderAlive = o.leaderAlive ?? ((pgid: number) => processAlive(pgid, null));
  const kill = o.kill ?? ((pgid: number) => void signalGroup(pgid, 'SIGKILL'));
  const swept: SweptObject[] = [];
  const seen = new Set<number>();
  for (const p of o.processes) {
    if (p.uid !== o.uid || p.pgid <= 1 || seen.has(p.pgid) || o.known.has(p.kernelId) || p.pid === p.pgid || leaderAlive(p.pgid)) {
      continue;
    }
    seen.add(p.pgid);
    try {
      kill(p.pgid);
    } catch {
      continue; // EPERM: a member is not ours to signal; left alone
    }
    swept.push({
      kind: 'process',
      namespace: '',
      name: `group ${p.pgid}`,
      reason: `left behind by kernel ${p.kernelId}, whose launcher (pid ${p.pgid}) is gone; pid ${p.pid} still ran`
    });
  }
  return swept;
}

function someStartsWith(ids: Iterable<string>, prefix: string): boolean {
  for (const id of ids) {
    if (id.startsWith(prefix)) {
      return true;
    }
  }
  return false;
}
