import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { signalGroup } from '../../../server/src/util/processGroup.js';
import type { Mount } from './volumes.js';

/** How one container process is started. */
export interface ProcessSpec {
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  mounts: Mount[];
  /** stdout + stderr are appended here. */
  logFile: string;
  /** Where the mount script is written. */
  scriptFile: string;
  runAsUser?: number;
  runAsGroup?: number;
  /** securityContext.allowPrivilegeEscalation === false → no_new_privs. */
  noNewPrivs?: boolean;
  /** securityContext.capabilities.drop contains ALL → empty bounding and inheritable sets. */
  dropAllCapabilities?: boolean;
}

/** A running container process (leader of its own process group). */
export interface ContainerProcess {
  pid: number;
  /** Resolves with the exit code as the kubelet reports it (128 + signal when killed). */
  exited: Promise<number>;
  /** Signals the whole process group; no-op once it exited. */
  signal(sig: NodeJS.Signals): void;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Finds an executable on PATH like execvp; undefined when there is none. */
export function which(cmd: string, pathVar: string | undefined): string | undefined {
  const candidates = cmd.includes('/') ? [cmd] : (pathVar ?? '').split(':').filter(Boolean).map((d) => path.join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) {
        return c;
      }
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * The shell script that runs inside the container's private mount namespace: bind each volume at
 * its mount path (the agent created missing mount points; read-only mounts are remounted ro), change to the
 * working directory, apply runAsUser/runAsGroup, no_new_privs and a dropped capability set with
 * setpriv when the securityContext asks, then exec the container's argv.
 */
export function mountScript(
  spec: Pick<ProcessSpec, 'mounts' | 'workingDir' | 'runAsUser' | 'runAsGroup' | 'noNewPrivs' | 'dropAllCapabilities'>,
  fallbackDir: string
): string {
  const lines = ['set -e'];
  for (const m of spec.mounts) {
    lines.push(`mount --bind ${q(m.source)} ${q(m.target)}`);
    if (m.readOnly) {
      lines.push(`mount -o remount,bind,ro ${q(m.target)}`);
    }
  }
  lines.push(`cd ${q(spec.workingDir ?? fallbackDir)}`);
  lines.push('set +e');
  const priv: string[] = [];
  if (spec.runAsUser !== undefined) {
    priv.push(`--reuid=${spec.runAsUser}`, `--regid=${spec.runAsGroup ?? spec.runAsUser}`, '--clear-groups');
  }
  if (spec.noNewPrivs) {
    priv.push('--no-new-privs');
  }
  if (spec.dropAllCapabilities) {
    priv.push('--inh-caps=-all', '--bounding-set=-all');
  }
  lines.push(priv.length > 0 ? `exec setpriv ${priv.join(' ')} -- "$@"` : 'exec "$@"');
  return `${lines.join('\n')}\n`;
}

/**
 * Starts a container as a host process: `unshare --mount` gives it a private mount namespace (so
 * volumes appear at their absolute mount paths for this process only), `setpriv --pdeathsig`
 * ties it to the test runner, and `detached` makes it a process-group leader for group signals.
 */
export async function startProcess(spec: ProcessSpec): Promise<ContainerProcess> {
  await writeFile(spec.scriptFile, mountScript(spec, path.dirname(spec.logFile)), { mode: 0o755 });
  const fd = openSync(spec.logFile, 'a');
  const child = spawn(
    'setpriv',
    ['--pdeathsig', 'KILL', '--', 'unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', spec.scriptFile, ...spec.argv],
    { env: spec.env, stdio: ['ignore', fd, fd], detached: true }
  );
  closeSync(fd);
  const pid = child.pid ?? -1;
  let done = false;
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => {
      done = true;
      resolve(128);
    });
    child.once('exit', (code, sig) => {
      done = true;
      resolve(code ?? 128 + (sig ? (SIGNALS[sig] ?? 0) : 0));
    });
  });
  return {
    pid,
    exited,
    signal(sig) {
      if (done || pid <= 0) {
        return;
      }
      signalGroup(pid, sig); // false when the group is already gone
    }
  };
}
