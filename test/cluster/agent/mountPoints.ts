import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { holdsWithin } from '../../support/waitFor.js';
import type { Mount } from './volumes.js';

const isFile = (p: string): boolean => existsSync(p) && !statSync(p).isDirectory();

/** `p` with symlinks of its existing part resolved (/var/run/x → /run/x), as mountinfo shows it. */
function canonical(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let base = abs;
  while (!existsSync(base)) {
    rest.unshift(path.basename(base));
    base = path.dirname(base);
  }
  return path.join(realpathSync(base), ...rest);
}

/**
 * True when any process on the machine has something mounted at or below `p` in its mount
 * namespace. Removing such a directory would detach those mounts (Linux >= 3.18), e.g. the
 * volumes of a pod run by another agent in another test process.
 */
export function mountedAnywhere(p: string): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) {
      continue;
    }
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
    } catch {
      continue; // process gone
    }
    for (const line of info.split('\n')) {
      const mountPoint = line.split(' ')[4];
      if (mountPoint === p || mountPoint?.startsWith(`${p}/`)) {
        return true;
      }
    }
  }
  return false;
}

/**
 * Mount points the agent had to create on the host (a bind mount needs an existing target),
 * reference-counted across pods and removed again when no running container uses them, so
 * `/var/run/secrets/kubernetes.io/serviceaccount` and friends do not linger on the test machine.
 * Paths that existed before are never touched, nor paths still mounted in any namespace.
 */
export class MountPoints {
  /** Paths the agent created → number of running containers using them; 0 = to be removed. */
  private readonly refs = new Map<string, number>();
  private retry: NodeJS.Timeout | undefined;
  private retries = 0;

  /**
   * Creates the missing targets (and parents) of `mounts` plus the working directory; returns
   * what to pass to {@link release}.
   */
  acquire(mounts: Mount[], workingDir?: string): string[] {
    const held: string[] = [];
    const wanted = [...mounts.map((m) => ({ target: m.target, file: isFile(m.source) })), ...(workingDir ? [{ target: workingDir, file: false }] : [])];
    for (const m of wanted) {
      const target = canonical(m.target);
      const chain: string[] = [];
      for (let p = target; p !== path.dirname(p); p = path.dirname(p)) {
        if (existsSync(p) && !this.refs.has(p)) {
          break;
        }
        chain.unshift(p);
      }
      for (const p of chain) {
        if (!existsSync(p)) {
          if (p === target && m.file) {
            writeFileSync(p, '');
          } else {
            mkdirSync(p);
          }
        }
        this.refs.set(p, (this.refs.get(p) ?? 0) + 1);
        held.push(p);
      }
    }
    return held;
  }

  /** Drops one reference to each path and removes what nobody holds any more. */
  release(held: string[]): void {
    for (const p of held) {
      this.refs.set(p, Math.max(0, (this.refs.get(p) ?? 1) - 1));
    }
    this.collect();
  }

  /**
   * Waits (bounded) until every unheld path is removed: a container's orphaned children or an
   * exec probe can keep its mount namespace (and so the mount point) alive a moment after it exited.
   */
  async sweep(timeoutMs = 5_000): Promise<void> {
    await holdsWithin(() => !this.collect(), { timeoutMs, intervalMs: 100 });
  }

  /** Removes unheld paths, deepest first; returns true while some are still blocked by a mount. */
  private collect(): boolean {
    let blocked = false;
    const idle = [...this.refs].filter(([, n]) => n === 0).map(([p]) => p).sort((a, b) => b.length - a.length);
    for (const p of idle) {
      if ([...this.refs.keys()].some((q) => q.startsWith(`${p}/`)) || mountedAnywhere(p)) {
        blocked = true; // a child is still pending, or something is still mounted there
        continue;
      }
      this.refs.delete(p);
      try {
        if (statSync(p).isDirectory()) {
          rmdirSync(p);
        } else {
          unlinkSync(p);
        }
      } catch {
        // not empty (something else wrote there) or already gone: leave it
      }
    }
    if (blocked && !this.retry && this.retries < 50) {
      this.retries++;
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.collect();
      }, 200);
      this.retry.unref();
    } else if (!blocked) {
      this.retries = 0;
    }
    return blocked;
  }
}
