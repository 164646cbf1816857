/**
 * The extension installed the way a platform team installs it (issue 14, item 6): the `sparkgate_lab` wheel built
 * from the repository (`npm run build:wheel -w extension`, from the already built labextension) and pip-installed
 * into a clean virtualenv that has only a plain JupyterLab at the repository's pins — what goes into a
 * zero-to-jupyterhub single-user image. Nothing is linked from the repository and no `c.ServerProxy.servers` is
 * configured: JupyterLab gets the gateway from `JUPYTER_GATEWAY_URL` / `JUPYTER_GATEWAY_AUTH_TOKEN` alone, as
 * `singleuser.extraEnv` sets them, and the wheel's server extension forwards `<base_url>/sparkgate/` to it.
 *
 * The clean venv is cached under ~/.cache/sparkgate/ (test/e2e/support/wheelInstall.mjs); each run uninstalls the
 * sparkgate_lab it holds and installs the freshly built wheel offline. One Chromium page walks: Spark panel →
 * profiles from the gateway → Launch → notebook on the cluster, Ready → a cell runs → Shut down → gone.
 * Screenshots in test-artifacts/e2e-wheel/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { freePorts } from '../../server/src/backends/local/ports.js';
import { api, python as repoPython, repoRoot, startGateway, type TestGateway } from '../integration/support/gateway.js';
import { startJupyterProcess, type JupyterProcess } from '../support/jupyterProcess.js';
import { launchChromium } from './support/lab.js';
import { SPARKGATE_CONNECTION_CLASS } from './support/gatewayRelay.js';
import { buildWheel, ensurePlainLabVenv, installWheel, isolatedEnv, type PlainLabVenv } from './support/wheelInstall.mjs';

jest.setTimeout(300_000);

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'e2e-wheel');
const LAB_TOKEN = 'e2e-wheel-lab-token-0123456789';
const GATEWAY_TOKEN = 'e2e-wheel-gateway-token-0123456789';

// Single-user gateway (user `local`, tenant `default`); a plain Python profile starts in seconds.
const yaml = `
tenants:
  default:
    limits: {gpus: 2, cores: 8, memory: 16g}
profiles:
  python-small:
    displayName: Python (wheel e2e)
    spark: false
    driver: {cores: 1, memory: 1g, gpus: 0}
    executors: {count: 0, cores: 1, memory: 1g, gpus: 0}
`;

let venv: PlainLabVenv;
let wheel: string;
let gw: TestGateway;
let lab: JupyterProcess;
let context: BrowserContext;
let page: Page;
let tmp: string;
let labEnv: NodeJS.ProcessEnv;
const timings: Record<string, number> = {};

function timed<T>(name: string, fn: () => T): T {
  const t0 = Date.now();
  try {
    return fn();
  } finally {
    timings[name] = Date.now() - t0;
  }
}

/** Runs a command of the clean venv (its bin/ first on PATH) with the Lab's environment; stdout + stderr. */
function inVenv(cmd: string, args: string[]): string {
  const r = spawnSync(path.join(venv.dir, 'bin', cmd), args, { encoding: 'utf8', env: labEnv, cwd: tmp, timeout: 60_000 });
  // jupyter's extension listings colour their output even into a pipe.
  const out = `${r.stdout}${r.stderr}`.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${out}`);
  }
  return out;
}

/** Every path under `dir` that is a symlink. */
function symlinksUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map(f => path.join(dir, f))
    .filter(f => lstatSync(f).isSymbolicLink());
}

async function startWheelLab(): Promise<JupyterProcess> {
  const [port] = await freePorts(1);
  const configDir = path.join(tmp, 'config');
  const rootDir = path.join(tmp, 'notebooks');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(rootDir, { recursive: true });
  const settings = path.join(tmp, 'settings', '@jupyterlab', 'apputils-extension');
  mkdirSync(settings, { recursive: true });
  await writeFile(path.join(settings, 'notification.jupyterlab-settings'), JSON.stringify({ fetchNews: 'false' }));
  const py = JSON.stringify;
  // What a single-user image's jupyter_server_config.py adds: the relay from the wheel; no gateway or proxy lines.
  await writeFile(
    path.join(configDir, 'jupyter_server_config.py'),
    [
      `c.ServerApp.ip = '127.0.0.1'`,
      `c.ServerApp.port = ${port}`,
      `c.ServerApp.port_retries = 0`,
      `c.ServerApp.open_browser = False`,
      `c.ServerApp.root_dir = ${py(rootDir)}`,
      `c.IdentityProvider.token = ${py(LAB_TOKEN)}`,
      `c.ServerApp.kernel_websocket_connection_class = ${py(SPARKGATE_CONNECTION_CLASS)}`,
      `c.LabApp.news_url = None`,
      `c.LabApp.check_for_updates_class = 'jupyterlab.handlers.announcements.NeverCheckForUpdate'`,
      `c.LabApp.user_settings_dir = ${py(path.join(tmp, 'settings'))}`,
      `c.LabApp.workspaces_dir = ${py(path.join(tmp, 'workspaces'))}`,
      ''
    ].join('\n')
  );
  return startJupyterProcess({
    name: 'jupyterlab (clean venv)',
    python: venv.python,
    args: ['-m', 'jupyterlab', ...(process.getuid?.() === 0 ? ['--allow-root'] : [])],
    cwd: rootDir,
    env: labEnv,
    port: port!,
    token: LAB_TOKEN,
    readyPath: '/lab/api/settings',
    readyTimeoutMs: 90_000,
    pollMs: 250
  });
}

beforeAll(async () => {
  await rm(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-e2e-wheel-'));
  const basePython = spawnSync(repoPython, ['-c', 'import sys; print(sys._base_executable)'], { encoding: 'utf8' }).stdout.trim();
  venv = timed('clean venv (cached)', () => ensurePlainLabVenv({ root: repoRoot, basePython, log: msg => console.log(msg) }));
  wheel = timed('build wheel', () => buildWheel({ root: repoRoot, pathPrefix: path.dirname(repoPython) }));
  timed('install wheel', () => installWheel(venv.python, wheel));
  gw = await startGateway({ yaml, token: GATEWAY_TOKEN });
  // The user's Jupyter paths are private to the run: only the venv's own share/ and etc/ are seen.
  labEnv = isolatedEnv({
    PATH: `${path.join(venv.dir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    JUPYTER_CONFIG_DIR: path.join(tmp, 'config'),
    JUPYTER_DATA_DIR: path.join(tmp, 'data'),
    JUPYTER_RUNTIME_DIR: path.join(tmp, 'runtime'),
    JUPYTER_PLATFORM_DIRS: '1',
    JUPYTER_GATEWAY_URL: gw.url,
    JUPYTER_GATEWAY_AUTH_TOKEN: GATEWAY_TOKEN,
    JUPYTER_GATEWAY_REQUEST_TIMEOUT: '120'
  });
  const t0 = Date.now();
  lab = await startWheelLab();
  timings['start jupyterlab'] = Date.now() - t0;
});

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await lab?.stop();
  await gw?.stop();
  if (tmp) {
    await rm(tmp, { recursive: true, force: true });
  }
  console.log(`wheel e2e timings (ms):\n${Object.entries(timings).map(([k, v]) => `  ${k.padEnd(22)} ${v}`).join('\n')}`);
});

describe('e2e/the sparkgate_lab wheel in a clean JupyterLab venv (issue 14, item 6)', () => {
  it('should be installed from the wheel alone: extension enabled and OK, files copied into the venv, none from the repository', () => {
    expect(path.basename(wheel)).toMatch(/^sparkgate_lab-\d+\.\d+\.\d+-py3-none-any\.whl$/);
    // The build leaves nothing for git to see (dist/ and _version.py are ignored).
    const status = spawnSync('git', ['status', '--porcelain', '--', 'extension/dist', 'extension/sparkgate_lab/_version.py'], { cwd: repoRoot, encoding: 'utf8' });
    expect(status.stdout).toBe('');

    const labextensions = inVenv('jupyter', ['labextension', 'list']);
    expect(labextensions).toMatch(/sparkgate-lab v\d+\.\d+\.\d+ enabled\s+OK \(python, sparkgate_lab\)/);
    const serverExtensions = inVenv('jupyter', ['server', 'extension', 'list']);
    expect(serverExtensions).toMatch(/sparkgate_lab enabled/);
    expect(serverExtensions).toMatch(/sparkgate_lab \d+\.\d+\.\d+ OK/);

    // The installed labextension is a copy inside the venv, with exactly the wheel's files.
    const installed = path.join(venv.dir, 'share', 'jupyter', 'labextensions', 'sparkgate-lab');
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(symlinksUnder(installed)).toEqual([]);
    const wheelFiles = spawnSync(
      venv.python,
      ['-c', 'import sys, zipfile; print("\\n".join(sorted(n.split("/labextensions/sparkgate-lab/", 1)[1] for n in zipfile.ZipFile(sys.argv[1]).namelist() if "/labextensions/sparkgate-lab/" in n)))', wheel],
      { encoding: 'utf8' }
    ).stdout.trim().split('\n');
    const installedFiles = readdirSync(installed, { recursive: true, encoding: 'utf8' }).filter(f => lstatSync(path.join(installed, f)).isFile()).sort();
    expect(installedFiles).toEqual(wheelFiles);
    const module = inVenv('python', ['-c', 'import sparkgate_lab, os; print(os.path.realpath(sparkgate_lab.__file__))']).trim();
    expect(module.startsWith(realpathSync(venv.dir) + path.sep)).toBe(true);
    expect(module.startsWith(realpathSync(repoRoot) + path.sep)).toBe(false);
    expect(lab.output()).toContain(`sparkgate_lab: /sparkgate/ → ${gw.url}`);
  });

  it('should forward <lab>/sparkgate/ to the gateway with the gateway token, for Jupyter-authenticated requests only', async () => {
    // The Lab's token is not a gateway token: a 200 means the proxy sent JUPYTER_GATEWAY_AUTH_TOKEN instead.
    const me = await fetch(`${lab.url}/sparkgate/api/me`, { headers: { Authorization: `token ${LAB_TOKEN}` } });
    expect(me.status).toBe(200);
    const body = (await me.json()) as { user: string; profiles: { id: string }[] };
    expect(body.user).toBe('local');
    expect(body.profiles.map(p => p.id)).toContain('python-small');
    const anonymous = await fetch(`${lab.url}/sparkgate/api/me`, { redirect: 'manual' });
    expect([302, 403]).toContain(anonymous.status);
  });

  it('should show the Spark panel with the gateway\'s profiles, launch from it, run a cell and shut down', async () => {
    context = await launchChromium(tmp, { width: 1440, height: 900 });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(60_000);
    page.on('pageerror', err => console.warn(`browser page error: ${err.message}`));
    const t0 = Date.now();
    await page.goto(`${lab.url}/lab?token=${LAB_TOKEN}`);
    await page.locator('.jp-LabShell').waitFor();
    const tab = page.locator('.jp-SideBar.jp-mod-left [data-id="sparkgate-panel"]');
    await tab.waitFor();
    await tab.click();
    const panel = page.locator('#sparkgate-panel');
    // The profile list, user and usage come from the gateway's /api/me through <lab>/sparkgate/.
    await panel.locator('input.sg-SizingForm-profileRadio[value="python-small"]').waitFor({ state: 'attached' });
    timings['lab → panel live'] = Date.now() - t0;
    expect(await panel.locator('.sg-ProfileCard[data-profile="python-small"]').innerText()).toContain('Python (wheel e2e)');
    expect(await panel.locator('.sg-SparkPanel-header').innerText()).toContain('local');
    await page.screenshot({ path: path.join(ARTIFACTS, '1-panel.png') });

    await panel.locator('input.sg-SizingForm-profileRadio[value="python-small"]').check();
    const launch = panel.locator('button.sg-SizingForm-launch');
    await panel.locator('.sg-SizingForm-total.sg-mod-invalid').waitFor({ state: 'detached' });
    expect(await launch.isEnabled()).toBe(true);
    const item = panel.locator('.sg-ClusterList-item');
    const t1 = Date.now();
    await launch.click();
    // Live status over socket.io through the proxy: the cluster appears, then turns Ready.
    await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)').waitFor();
    await item.locator('.sg-Chip', { hasText: 'Ready' }).waitFor({ timeout: 120_000 });
    await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor({ timeout: 60_000 });
    timings['launch → ready'] = Date.now() - t1;
    const { clusters } = (await api(gw, 'GET', '/api/clusters')).body as { clusters: { id: string; profile: string; state: string }[] };
    expect(clusters).toHaveLength(1);
    expect(clusters[0]).toMatchObject({ profile: 'python-small', state: 'ready' });

    // The notebook's kernel runs on the gateway, through the wheel's relay class.
    const notebook = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    await notebook.locator('.jp-Cell .cm-content').first().click();
    await page.keyboard.insertText('import sys; print("answer", 6 * 7, sys.executable)');
    await page.keyboard.press('Shift+Enter');
    const output = notebook.locator('.jp-OutputArea-output', { hasText: 'answer 42' });
    await output.waitFor({ timeout: 60_000 });
    // The kernel is the gateway's (the project's .venv), not the clean venv's: there is no kernel in it.
    expect(await output.innerText()).not.toContain(venv.dir);
    await page.screenshot({ path: path.join(ARTIFACTS, '2-cell-ran.png') });
    // (Shutting the cluster down below ends its relay, which jupyter_server logs as a lost connection.)
    expect(lab.output()).not.toMatch(/Traceback|Lost connection to Gateway/);

    await item.locator('button.sg-ClusterList-shutdown').click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.waitFor();
    await dialog.locator('button.jp-mod-warn', { hasText: 'Shut down' }).click();
    await item.waitFor({ state: 'detached', timeout: 60_000 });
    await panel.locator('.sg-ClusterList-empty', { hasText: 'No clusters running.' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, '3-shut-down.png') });
    expect((await api(gw, 'GET', '/api/kernels')).body).toEqual([]);
    expect((await api(gw, 'GET', '/api/clusters')).body).toEqual({ clusters: [] });
    expect(lab.output()).not.toContain('Traceback');
  });
});
