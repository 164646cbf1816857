/**
 * Temp folders of local kernels that no runtime directory records (backend.ts makes
 * `sparkgate-<id8>-XXXXXX` in the OS temp dir when `local.runtimeDir` is null): a gateway that was
 * SIGKILLed, or a kernel that was, leaves them behind with the kernel's key inside. One is removed
 * only when it is provably nobody's: the name is ours, it is a real folder (never a symlink) of
 * this uid with mode 0700, it is older than `minAgeMs` (a kernel whose folder exists but whose
 * process is not spawned yet is never touched), no kernel this gateway holds has that id prefix,
 * and no live process of ours carries SPARKGATE_KERNEL_ID with it (the launcher, ipykernel and the
 * JVM all do). Where /proc cannot be read, nothing is removed.
 */
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SweptObject } from '../types.js';

/** `sparkgate-` + the first 8 hex digits of the kernel id + mkdtemp's 6 characters. */
export const LEFTOVER_NAME = /^sparkgate-([0-9a-f]{8})-[A-Za-z0-9]{6}$/;

export interface SweepLeftoversOptions {
  /** The OS temp dir (`os.tmpdir()`). */
  dir: string;
  uid: number;
  /** Ids of every kernel this gateway holds, starting ones included. */
  known: ReadonlySet<string>;
  /** Kernel ids of live processes (`liveKernelIds`), or null when that cannot be told: then nothing is removed. */
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

/**
 * SPARKGATE_KERNEL_ID of every live (not zombie) process this user may read, from
 * `<proc>/<pid>/environ`; null when `<proc>` cannot be listed or our own environ not read (not Linux).
 */
export async function liveKernelIds(proc = '/proc'): Promise<Set<string> | null> {
  const entries = await readdir(proc).catch(() => null);
  if (entries === null || (await readFile(path.join(proc, 'self', 'environ')).catch(() => null)) === null) {
    return null;
  }
  const ids = new Set<string>();
  await Promise.all(
    entries
      .filter(e => /^\d+$/.test(e))
      .map(async pid => {
        // Unreadable (another user's, or gone meanwhile): another user's process cannot hold our 0700 folder.
        const env = await readFile(path.join(proc, pid, 'environ'), 'latin1').catch(() => '');
        const id = /(?:^|\0)SPARKGATE_KERNEL_ID=([^\0]*)/.exec(env)?.[1];
        if (!id) {
          return;
        }
        const stat = await readFile(path.join(proc, pid, 'stat'), 'latin1').catch(() => '');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state !== 'Z' && state !== 'X') {
          ids.add(id);
        }
      })
  );
  return ids;
}

function someStartsWith(ids: Iterable<string>, prefix: string): boolean {
  for (const id of ids) {
    if (id.startsWith(prefix)) {
      return true;
    }
  }
  return false;
}
