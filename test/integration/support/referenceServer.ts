/**
 * A real jupyter_server *not* in gateway mode, running its own local ipykernel kernels (the
 * `.venv` python3 kernelspec): the reference for what a Jupyter kernel websocket sends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../../../server/src/backends/local/ports.js';
import { python } from './gateway.js';

export interface ReferenceServer {
  url: string;
  wsUrl: string;
  token: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startReferenceServer(): Promise<ReferenceServer> {
  const [port] = await freePorts(1);
  const dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-ref-'));
  const token = 'reference-test-token';
  const child: ChildProcess = spawn(
    python,
    [
      '-m', 'jupyter_server',
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      '--ServerApp.open_browser=False',
      `--ServerApp.root_dir=${dir}`,
      `--IdentityProvider.token=${token}`,
      ...(process.getuid?.() === 0 ? ['--allow-root'] : [])
    ],
    {
      // The kernel's cwd is root_dir; its Python is the one on PATH first (the kernelspec says `python`).
      env: {
        ...process.env,
        PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`,
        JUPYTER_CONFIG_DIR: path.join(dir, '.jupyter-config'),
        JUPYTER_RUNTIME_DIR: path.join(dir, '.jupyter-runtime')
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true // own process group: stop() reaps its kernels too
    }
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise(resolve => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`jupyter_server exited (${child.exitCode}):\n${log.slice(-3000)}`);
    }
    const ok = await fetch(`${url}/api/status`, { headers: { Authorization: `token ${token}` } }).then(r => r.ok, () => false);
    if (ok) {
      break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jupyter_server did not answer within 60 s:\n${log.slice(-3000)}`);
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  return { url, wsUrl: url.replace(/^http/, 'ws'), token, output: () => log, stop };
}
