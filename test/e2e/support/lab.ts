/**
 * A real JupyterLab in gateway mode against a test gateway, and Debian's Chromium driven by
 * playwright-core, for browser tests: free ports on 127.0.0.1 only, no network, own process group.
 */
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { freePorts } from '../../../server/src/backends/local/ports.js';
import { python, type TestGateway } from '../../integration/support/gateway.js';
import { startJupyterProcess } from '../../support/jupyterProcess.js';
import { gatewayConnectionConfig } from './gatewayRelay.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface Lab {
  url: string;
  token: string;
  /** Where notebooks live (the server's root_dir). */
  rootDir: string;
  output(): string;
  stop(): Promise<void>;
}

export interface LabOptions {
  /** sparkgate's gateway relay, as `npm start` configures it (default); false = stock jupyter_server's. */
  sparkgateRelay?: boolean;
  /** More config lines (Python). */
  extraConfig?: string[];
}

/** Starts `python -m jupyterlab` with its config, settings and runtime under `dir`; resolves once it answers. */
export async function startLab(gateway: Pick<TestGateway, 'url' | 'token'>, dir: string, token: string, options: LabOptions = {}): Promise<Lab> {
  const [port] = await freePorts(1);
  const configDir = path.join(dir, 'config');
  const rootDir = path.join(dir, 'notebooks');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(rootDir, { recursive: true });
  // No "get notified about official Jupyter news?" toast covering the notebook.
  const settings = path.join(dir, 'settings', '@jupyterlab', 'apputils-extension');
  mkdirSync(settings, { recursive: true });
  await writeFile(path.join(settings, 'notification.jupyterlab-settings'), JSON.stringify({ fetchNews: 'false' }));
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
      ...(options.sparkgateRelay === false ? [] : gatewayConnectionConfig()),
      // No network: no news or update checks.
      `c.LabApp.news_url = None`,
      `c.LabApp.check_for_updates_class = 'jupyterlab.handlers.announcements.NeverCheckForUpdate'`,
      `c.LabApp.user_settings_dir = ${py(path.join(dir, 'settings'))}`,
      `c.LabApp.workspaces_dir = ${py(path.join(dir, 'workspaces'))}`,
      // The sparkgate-lab extension (when installed) reaches the gateway here.
      `c.ServerProxy.servers = {'sparkgate': {'port': ${new URL(gateway.url).port}, 'absolute_url': False,`,
      `    'launcher_entry': {'enabled': False},`,
      `    'request_headers_override': {'Authorization': ${py(`token ${gateway.token}`)}}}}`,
      ...(options.extraConfig ?? []),
      ''
    ].join('\n')
  );
  const lab = await startJupyterProcess({
    name: 'jupyterlab',
    python,
    args: ['-m', 'jupyterlab', ...(process.getuid?.() === 0 ? ['--allow-root'] : [])],
    cwd: rootDir,
    env: { ...process.env, JUPYTER_CONFIG_DIR: configDir, JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime'), JUPYTER_PLATFORM_DIRS: '1' },
    port: port!,
    token,
    readyPath: '/lab/api/settings',
    readyTimeoutMs: 90_000,
    pollMs: 250
  });
  return { url: lab.url, token, rootDir, output: lab.output, stop: lab.stop };
}

/** Headless Debian Chromium with a throw-away profile under `dir`, without background network. */
export function launchChromium(dir: string, viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ],
    viewport
  });
}
