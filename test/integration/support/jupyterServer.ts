/** A real jupyter_server in gateway mode, pointed at a test gateway (what `jupyter lab --gateway-url` runs). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../../../server/src/backends/local/ports.js';
import { python } from './gateway.js';

export interface JupyterServer {
  url: string;
  wsUrl: string;
  token: string;
  rootDir: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startJupyterServer(gateway: { url: string; token: string }, options: { rootDir?: string } = {}): Promise<JupyterServer> {
  const [port] = await freePorts(1);
  const rootDir = options.rootDir ?? (await mkdtemp(path.join(tmpdir(), 'sparkgate-js-')));
  const token = 'jupyter-test-token';
  const child: ChildProcess = spawn(
    python,
    [
      '-m', 'jupyter_server',
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      '--ServerApp.open_browser=False',
      `--ServerApp.root_dir=${rootDir}`,
      `--IdentityProvider.token=${token}`,
      `--gateway-url=${gateway.url}`,
      `--GatewayClient.auth_token=${gateway.token}`,
      '--GatewayClient.request_timeout=120',
      // CI machines run tests as root; jupyter_server refuses that unless told.
      ...(process.getuid?.() === 0 ? ['--allow-root'] : [])
    ],
    { env: { ...process.env, JUPYTER_CONFIG_DIR: path.join(rootDir, '.jupyter-config'), JUPYTER_RUNTIME_DIR: path.join(rootDir, '.jupyter-runtime') }, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
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
      child.kill('SIGKILL');
      throw new Error(`jupyter_server did not answer within 60 s:\n${log.slice(-3000)}`);
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    token,
    rootDir,
    output: () => log,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise(resolve => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (!options.rootDir) {
        await rm(rootDir, { recursive: true, force: true });
      }
    }
  };
}
