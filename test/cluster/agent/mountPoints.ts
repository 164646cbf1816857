import { existsSync, mkdirSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Mount } from './volumes.js';

const isFile = (p: string): boolean => existsSync(p) && !statSync(p).isDirectory();

/**
 * Mount points the agent had to create on the host (a bind mount needs an existing target),
 * reference-counted across pods and removed again when no running container uses them, so
 * `/var/run/secrets/kubernetes.io/serviceaccount` and friends do not linger on the test machine.
 * Paths that existed before are never touched.
 */
export class MountPoints {
  private readonly refs = new Map<string, number>();

  /**
   * Creates the missing targets (and parents) of `mounts` plus the working directory; returns
   * what to pass to {@link release}.
   */
  acquire(mounts: Mount[], workingDir?: string): string[] {
    const held: string[] = [];
    const wanted = [...mounts.map((m) => ({ target: m.target, file: isFile(m.source) })), ...(workingDir ? [{ target: workingDir, file: false }] : [])];
    for (const m of wanted) {
      const target = path.resolve(m.target);
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

  /** Drops one reference to each path; removes those nobody holds any more, deepest first. */
  release(held: string[]): void {
    for (const p of [...held].reverse()) {
      const n = (this.refs.get(p) ?? 1) - 1;
      if (n > 0) {
        this.refs.set(p, n);
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
  }
}
