import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { holdsWithin } from '../../support/waitFor.js';
import { ComponentStartError } from './errors.js';

/** How to start one control-plane process. */
export interface ComponentOptions {
  /** Name used in errors and logs, e.g. `kube-apiserver`. */
  name: string;
  /** Executable and its arguments. */
  command: string;
  args: string[];
  /** stdout and stderr go here (appended). */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the component serves; called until then. Errors count as "not yet". */
  probe: () => Promise<boolean>;
  /** Bound on the start, in ms. */
  timeoutMs: number;
  /** Pause between probes, in ms (the probe is a request; there is no event to await). */
  probeIntervalMs?: number;
}

/** A running control-plane process. */
export interface Component {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Last `lines` lines of a log file ('' if unreadable). */
export function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts a process and waits, bounded, until its probe passes. Fails with a
 * {@link ComponentStartError} naming the component and showing its log tail when the process
 * exits or the time runs out. The process gets the parent-death signal SIGKILL (setpriv) so a
 * crashed test runner leaves no control plane behind.
 */
export async function startComponent(options: ComponentOptions): Promise<Component> {
  const fd = openSync(options.logFile, 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', options.command, ...options.args], {
    env: options.env ?? process.env,
    stdio: ['ignore', fd, fd]
  });
  closeSync(fd);
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const gone = exited(child);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  };
  const fail = async (reason: string, cause?: unknown): Promise<never> => {
    await stop(2_000);
    throw new ComponentStartError(options.name, reason, tail(options.logFile), { cause });
  };
  let failure: { reason: string; cause?: unknown } | undefined;
  const readyOrFailed = async (): Promise<boolean> => {
    if (spawnError) {
      failure = { reason: `could not spawn ${options.command}: ${spawnError.message}`, cause: spawnError };
    } else if (child.exitCode !== null || child.signalCode !== null) {
      failure = { reason: `exited with ${child.exitCode ?? child.signalCode} before it was ready` };
    }
    return failure !== undefined || (await options.probe().catch(() => false));
  };
  if (!(await holdsWithin(readyOrFailed, { timeoutMs: options.timeoutMs, intervalMs: options.probeIntervalMs ?? 200 }))) {
    return fail(`not ready after ${options.timeoutMs} ms`);
  }
  if (failure) {
    return fail(failure.reason, failure.cause);
  }
  return { name: options.name, pid: child.pid ?? -1, logFile: options.logFile, stop };
}
