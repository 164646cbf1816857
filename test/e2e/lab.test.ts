/**
 * Browser end-to-end test of the sparkgate-lab extension: a real gateway (in-process, local backend),
 * a real JupyterLab in gateway mode with jupyter-server-proxy forwarding `/sparkgate/` to it, and
 * Debian's Chromium driven by playwright-core (`test/e2e/prepare.mjs` makes sure all exist).
 *
 * Walks the user's path: Spark panel → pick a profile → over-limit sizing is refused (Launch
 * disabled) → fix it → Launch → a notebook opens on the cluster → the panel shows it Ready → a
 * PySpark cell runs while the toolbar shows job progress → the Spark UI link loads → Shut down
 * from the panel → gone everywhere (the gateway has no kernels).
 *
 * Screenshots of every step land in test-artifacts/e2e/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freePorts } from '../../server/src/backends/local/ports.js';
import { api, python, repoRoot, startGateway, type TestGateway } from '../integration/support/gateway.js';
import { gatewayConnectionConfig } from './support/gatewayRelay.js';

jest.setTimeout(600_000);

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'e2e');
const LAB_TOKEN = 'e2e-lab-token-0123456789';
const GATEWAY_TOKEN = 'e2e-gateway-token-0123456789';

// Single-user mode (no `users`): user `local`, tenant `default`, here with limits.
const yaml = `
tenants:
  default:
    limits: {gpus: 2, cores: 16, memory: 32g}
profiles:
  pyspark:
    displayName: PySpark (local)
    spark: true
    driver: {cores: 1, memory: 1g, gpus: 0}
    executors: {count: 0, cores: 1, memory: 1g, gpus: 0}
  gpu-small:
    displayName: PySpark GPU (small)
    spark: true
    driver: {cores: 1, memory: 1g, gpus: 1}
    executors: {count: 1, cores: 1, memory: 1g, gpus: 0}
`;

/** Eight 1-s tasks per wave on 2 cores: long enough for the 1 Hz job poll to see it running. */
const SPARK_CELL = [
  'import time',
  'def slow(x):',
  '    time.sleep(1)',
  '    return x',
  'total = spark.sparkContext.parallelize(range(16), 8).map(slow).sum()',
  'rows = spark.range(0, 10**7, numPartitions=8).selectExpr("sum(id) AS s").collect()',
  'print("RESULT", total, rows[0]["s"])'
].join('\n');

interface Lab {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

let gw: TestGateway;
let lab: Lab;
let context: BrowserContext;
let page: Page;
let tmp: string;
const timings: Record<string, number> = {};
let shot = 0;

async function screenshot(name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`) });
}

/** Times a step; the table is printed after the run. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = Date.now() - t0;
  }
}

async function startLab(gateway: TestGateway, dir: string): Promise<Lab> {
  const [port] = await freePorts(1);
  const configDir = path.join(dir, 'config');
  const rootDir = path.join(dir, 'notebooks');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(rootDir, { recursive: true });
  // No "get notified about official Jupyter news?" toast covering the notebook.
  mkdirSync(path.join(dir, 'settings', '@jupyterlab', 'apputils-extension'), { recursive: true });
  await writeFile(path.join(dir, 'settings', '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings'), JSON.stringify({ fetchNews: 'false' }));
  const py = JSON.stringify;
  await writeFile(
    path.join(configDir, 'jupyter_server_config.py'),
    [
      `c.ServerApp.ip = '127.0.0.1'`,
      `c.ServerApp.port = ${port}`,
      `c.ServerApp.port_retries = 0`,
      `c.ServerApp.open_browser = False`,
      `c.ServerApp.root_dir = ${py(rootDir)}`,
      `c.IdentityProvider.token = ${py(LAB_TOKEN)}`,
      `c.GatewayClient.url = ${py(gateway.url)}`,
      `c.GatewayClient.auth_token = ${py(gateway.token)}`,
      `c.GatewayClient.request_timeout = 120.0`,
      // sparkgate's gateway relay, as `npm start` configures it (issue 11, item 3).
      ...gatewayConnectionConfig(),
      // No network: no news or update checks.
      `c.LabApp.news_url = None`,
      `c.LabApp.check_for_updates_class = 'jupyterlab.handlers.announcements.NeverCheckForUpdate'`,
      `c.LabApp.user_settings_dir = ${py(path.join(dir, 'settings'))}`,
      `c.LabApp.workspaces_dir = ${py(path.join(dir, 'workspaces'))}`,
      `c.ServerProxy.servers = {'sparkgate': {'port': ${new URL(gateway.url).port}, 'absolute_url': False,`,
      `    'launcher_entry': {'enabled': False},`,
      `    'request_headers_override': {'Authorization': ${py(`token ${gateway.token}`)}}}}`,
      ''
    ].join('\n')
  );
  const child: ChildProcess = spawn(python, ['-m', 'jupyterlab', ...(process.getuid?.() === 0 ? ['--allow-root'] : [])], {
    cwd: rootDir,
    env: {
      ...process.env,
      JUPYTER_CONFIG_DIR: configDir,
      JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime'),
      JUPYTER_PLATFORM_DIRS: '1'
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true // own process group: stop() reaps anything it spawned
  });
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
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`jupyterlab exited (${child.exitCode}):\n${log.slice(-3000)}`);
    }
    const ok = await fetch(`${url}/lab/api/settings`, { headers: { Authorization: `token ${LAB_TOKEN}` } }).then(r => r.ok, () => false);
    if (ok) {
      break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jupyterlab did not answer within 90 s:\n${log.slice(-3000)}`);
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  return { url, output: () => log, stop };
}

beforeAll(async () => {
  await rm(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-e2e-'));
  gw = await step('start gateway', () => startGateway({ yaml, token: GATEWAY_TOKEN }));
  lab = await step('start jupyterlab', () => startLab(gw, tmp));
  context = await step('start chromium', () =>
    chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
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
      viewport: { width: 1440, height: 900 }
    })
  );
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  page.on('pageerror', err => console.warn(`browser page error: ${err.message}`));
});

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await lab?.stop();
  await gw?.stop();
  if (tmp) {
    await rm(tmp, { recursive: true, force: true });
  }
  console.log(`e2e timings (ms):\n${Object.entries(timings).map(([k, v]) => `  ${k.padEnd(28)} ${v}`).join('\n')}`);
});

describe('e2e/JupyterLab + sparkgate-lab', () => {
  it('should launch a sized Spark cluster from the panel, run a job with live progress and shut it down', async () => {
    await step('open lab', async () => {
      await page.goto(`${lab.url}/lab?token=${LAB_TOKEN}`);
      await page.locator('.jp-LabShell').waitFor();
      await page.locator('.jp-SideBar.jp-mod-left [data-id="sparkgate-panel"]').waitFor();
    });
    await screenshot('lab-loaded');

    // --- the Spark panel: profile, sizing over the limit, refusal -----------------------------
    const panel = page.locator('#sparkgate-panel');
    const launch = panel.locator('button.sg-SizingForm-launch');
    await step('open panel', async () => {
      await page.locator('.jp-SideBar.jp-mod-left [data-id="sparkgate-panel"]').click();
      await panel.waitFor();
      await panel.locator('select.sg-SizingForm-profile option[value="gpu-small"]').waitFor({ state: 'attached' });
    });
    const headerText = await panel.locator('.sg-SparkPanel-header').innerText();
    expect(headerText).toContain('local');
    await screenshot('panel');

    await panel.locator('select.sg-SizingForm-profile').selectOption('gpu-small');
    const driverGpus = panel.locator('input[data-field="driver.gpus"]');
    expect(await driverGpus.inputValue()).toBe('1');
    await driverGpus.fill('3');
    const gpuTotal = panel.locator('.sg-SizingForm-total[data-resource="gpus"]');
    await panel.locator('.sg-SizingForm-total.sg-mod-invalid[data-resource="gpus"]').waitFor();
    const refusal = await gpuTotal.innerText();
    expect(refusal).toMatch(/3 GPUs asked, tenant limit 2/);
    expect(await launch.isDisabled()).toBe(true);
    await screenshot('over-limit-refused');

    await driverGpus.fill('1');
    await panel.locator('.sg-SizingForm-total.sg-mod-invalid').waitFor({ state: 'detached' });
    expect(await launch.isEnabled()).toBe(true);
    await screenshot('sizing-fits');

    // --- Launch → a notebook attached to the cluster, Ready in the panel and the toolbar --------
    const item = panel.locator('.sg-ClusterList-item');
    const status = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .sg-SparkStatus');
    await step('launch → notebook open', async () => {
      await launch.click();
      await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)').waitFor();
      await item.waitFor();
    });
    await screenshot('launching');
    await step('launch → ready', async () => {
      await item.locator('.sg-Chip', { hasText: 'Ready' }).waitFor({ timeout: 180_000 });
      await status.locator('.sg-Chip', { hasText: 'Driver: Ready' }).waitFor({ timeout: 60_000 });
      await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor({ timeout: 60_000 });
    });
    const { clusters } = (await api(gw, 'GET', '/api/clusters')).body as {
      clusters: { id: string; kernelName: string; state: string; sizing: { driver: { gpus: number } } }[];
    };
    expect(clusters).toHaveLength(1);
    const cluster = clusters[0]!;
    expect(cluster).toMatchObject({ state: 'ready', sizing: { driver: { gpus: 1 } } });
    expect(cluster.kernelName).toMatch(/--/);
    expect(await status.locator('.sg-SparkStatus-gpus').innerText()).toBe('1 GPU');
    await panel.locator('.sg-SparkPanel-usage', { hasText: 'In use: 1/2 GPUs' }).waitFor({ timeout: 30_000 });
    await screenshot('cluster-ready');

    // --- a PySpark cell, with job progress in the toolbar while it runs ------------------------
    const notebook = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    await notebook.locator('.jp-Cell .cm-content').first().click();
    await page.keyboard.insertText(SPARK_CELL);
    const job = status.locator('.sg-SparkStatus-job');
    const seen: string[] = [];
    await step('run cell', async () => {
      await page.keyboard.press('Shift+Enter');
      await step('run cell → progress shown', async () => {
        await job.waitFor({ timeout: 60_000 });
      });
      seen.push(`${await job.getAttribute('aria-label')} | ${await job.innerText()}`);
      await screenshot('job-progress');
      await item.locator('.sg-Chip', { hasText: 'Busy' }).waitFor({ timeout: 10_000 }).catch(() => undefined);
      await notebook.locator('.jp-OutputArea-output', { hasText: 'RESULT' }).waitFor({ timeout: 180_000 });
    });
    const output = await notebook.locator('.jp-OutputArea-output', { hasText: 'RESULT' }).innerText();
    expect(output).toContain(`RESULT 120 ${(10 ** 7 * (10 ** 7 - 1)) / 2}`);
    expect(seen[0]).toMatch(/\d+\/\d+ stages/);
    await job.waitFor({ state: 'detached', timeout: 30_000 });
    await screenshot('cell-done');

    // --- the Spark UI link loads through jupyter-server-proxy -----------------------------------
    const uiLink = item.locator('a.sg-ClusterList-ui');
    const href = await uiLink.getAttribute('href');
    expect(href).toBe(`${lab.url}/sparkgate/ui/${cluster.id}/`);
    // Follow the link as a click would: `ui/<id>/` redirects (relatively) to the Jobs page.
    const uiPage = await step('spark ui', async () => {
      const popup = await context.newPage();
      const response = await popup.goto(href ?? '');
      expect(popup.url()).toBe(`${lab.url}/sparkgate/ui/${cluster.id}/jobs/`);
      expect(response?.status()).toBe(200);
      await popup.getByText('Spark Jobs').first().waitFor();
      return popup;
    });
    await uiPage.screenshot({ path: path.join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-spark-ui.png`) });
    expect(await uiPage.title()).toMatch(/Spark|Jobs/);
    await uiPage.close();

    // --- shut down from the panel ----------------------------------------------------------
    await step('shut down', async () => {
      await item.locator('button.sg-ClusterList-shutdown').click();
      const dialog = page.locator('.jp-Dialog');
      await dialog.waitFor();
      await screenshot('shutdown-dialog');
      await dialog.locator('button.jp-mod-warn', { hasText: 'Shut down' }).click();
      await item.waitFor({ state: 'detached', timeout: 60_000 });
      await panel.locator('.sg-ClusterList-empty', { hasText: 'No clusters running.' }).waitFor();
      // Usage is re-read from the gateway shortly after the cluster list changes.
      await panel.locator('.sg-SparkPanel-usage', { hasText: 'In use: 0/2 GPUs' }).waitFor({ timeout: 30_000 });
    });
    await screenshot('shut-down');
    expect((await api(gw, 'GET', '/api/kernels')).body).toEqual([]);
    expect((await api(gw, 'GET', '/api/clusters')).body).toEqual({ clusters: [] });
    console.log(`job progress seen in the toolbar: ${seen.join(' ; ')}`);
  });
});
