/**
 * A JupyterLab in gateway mode for test/e2e/gatewayMode.test.ts: with or without sparkgate's gateway
 * relay (`gatewayConnectionConfig()`), plus extra config lines. Free 127.0.0.1 port, own process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePorts } from '../../../server/src/backends/local/ports.js';
import { python } from '../../integration/support/gateway.js';
import { gatewayConnectionConfig } from './gatewayRelay.js';

export interface GatewayModeLab {
  /** http://127.0.0.1:<port> */
  url: string;
  token: string;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface GatewayModeLabOptions {
  /** The gateway JupyterLab forwards kernels to. */
  gateway: { url: string; token: string };
  /** A private directory for config, settings, runtime files and the notebooks. */
  dir: string;
  token: string;
  /** Use sparkgate's relay; false = stock jupyter_server's GatewayWebSocketConnection. */
  sparkgateRelay: boolean;
  /** More config lines (Python). */
  extraConfig?: string[];
}

/** Starts `python -m jupyterlab`; resolves once it answers. */
export async function startGatewayModeLab(options: GatewayModeLabOptions): Promise<GatewayModeLab> {
  const { dir, token, gateway } = options;
  const [port] = await freePorts(1);
  const configDir = path.join(dir, 'config');
  const rootDir = path.join(dir, 'notebooks');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(rootDir, { recursive: true });
  // No "get notified about official Jupyter news?" toast covering the notebook.
  const apputils = path.join(dir, 'settings', '@jupyterlab', 'apputils-extension');
  mkdirSync(apputils, { recursive: true });
  await writeFile(path.join(apputils, 'notification.jupyterlab-settings'), JSON.stringify({ fetchNews: 'false' }));
  const py = JSON.stringify;
  await writeFile(
    path.join(configDir, 'jupyter_server_config.py'),
    [
      `c.ServerApp.ip = '127.0.0.1'`,
      `c.ServerApp.port = ${port}`,
      `c.ServerApp.port_retries = 0`,
      `c.ServerApp.open_browser = False`,
      `c.ServerApp.root_dir = ${py(rootDir)}`,
      `c.IdentityProvider.token = ${py(token)}`,
      `c.GatewayClient.url = ${py(gateway.url)}`,
      `c.GatewayClient.auth_token = ${py(gateway.token)}`,
      `c.GatewayClient.request_timeout = 120.0`,
      // No network: no news or update checks.
      `c.LabApp.news_url = None`,
      `c.LabApp.check_for_updates_class = 'jupyterlab.handlers.announcements.NeverCheckForUpdate'`,
      `c.LabApp.user_settings_dir = ${py(path.join(dir, 'settings'))}`,
      `c.LabApp.workspaces_dir = ${py(path.join(dir, 'workspaces'))}`,
      ...(options.sparkgateRelay ? gatewayConnectionConfig() : []),
      ...(options.extraConfig ?? []),
      ''
    ].join('\n')
  );
  const child: ChildProcess = spawn(python, ['-m', 'jupyterlab', ...(process.getuid?.() === 0 ? ['--allow-root'] : [])], {
    cwd: rootDir,
    env: { ...process.env, JUPYTER_CONFIG_DIR: configDir, JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime'), JUPYTER_PLATFORM_DIRS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true // own process group: stop() reaps anything it spawned
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise(resolve => child.once('exit', resolve));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`jupyterlab exited (${child.exitCode}):\n${log.slice(-3000)}`);
    }
    const ok = await fetch(`${url}/lab/api/settings`, { headers: { Authorization: `token ${token}` } }).then(r => r.ok, () => false);
    if (ok) {
      break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jupyterlab did not answer within 90 s:\n${log.slice(-3000)}`);
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  return { url, token, output: () => log, stop };
}
