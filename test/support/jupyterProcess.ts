/**
 * A Jupyter server process a test starts (jupyter_server, JupyterLab): its own process group so
 * that stop() also ends the kernels it spawned, its output kept for failure messages, ready once
 * an authenticated GET answers 2xx. The one place that starts, waits for and stops one.
 */
import { spawn } from 'node:child_process';
import { stopGroup } from '../../server/src/util/processGroup.js';
import { waitUntil } from './waitFor.js';

export interface JupyterProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  /** ws://127.0.0.1:<port> */
  wsUrl: string;
  /** Everything the process printed, for failure messages. */
  output(): string;
  /** SIGTERM to its group, SIGKILL after 10 s; resolves once the leader has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface JupyterProcessOptions {
  /** What failure messages call it, e.g. 'jupyter_server'. */
  name: string;
  python: string;
  /** Arguments after the python executable, e.g. ['-m', 'jupyter_server', …]. */
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** The port the arguments or config make it listen on, on 127.0.0.1. */
  port: number;
  token: string;
  /** Answers 2xx once the server is up, e.g. '/api/status'. */
  readyPath: string;
  readyTimeoutMs: number;
  pollMs?: number;
}

/** Starts the process; resolves once `readyPath` answers, rejects (after stopping it) if it exits or never does. */
export async function startJupyterProcess(options: JupyterProcessOptions): Promise<JupyterProcess> {
  const child = spawn(options.python, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true // own process group: stop() reaps anything it spawned
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async (): Promise<void> => {
    if (running() && child.pid !== undefined) {
      await stopGroup(child.pid, { graceMs: 10_000 });
      await exited;
    }
  };
  try {
    await waitUntil(
      async () => {
        if (!running()) {
          throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode})`);
        }
        return fetch(`${url}${options.readyPath}`, { headers: { Authorization: `token ${options.token}` } }).then(r => r.ok, () => false);
      },
      { timeoutMs: options.readyTimeoutMs, what: `${options.name} to answer ${options.readyPath}`, intervalMs: options.pollMs ?? 200 }
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}:\n${log.slice(-3000)}`, { cause: error });
  }
  return { url, wsUrl: url.replace(/^http/, 'ws'), output: () => log, stop };
}
