/**
 * Browser end-to-end test of the sparkgate-lab extension: a real gateway (in-process, local backend),
 * a real JupyterLab in gateway mode with jupyter-server-proxy forwarding `/sparkgate/` to it, and
 * Debian's Chromium driven by playwright-core (`test/e2e/prepare.mjs` makes sure all exist).
 *
 * Walks the user's path: Spark panel → pick a profile → over-limit sizing is refused (Launch
 * disabled, with the reason as text) → fix it → Launch → the panel shows the launch's progress and
 * no notebook opens until the cluster is up → a notebook opens on the cluster, Ready → a
 * PySpark cell runs while the toolbar shows job progress → the Spark UI link loads → Shut down
 * from the panel → gone everywhere (the gateway has no kernels).
 *
 * Screenshots of every step land in test-artifacts/e2e/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { api, repoRoot, startGateway, type TestGateway } from '../integration/support/gateway.js';
import { waitUntil } from '../support/waitFor.js';
import { launchChromium, startLab, type Lab } from './support/lab.js';

jest.setTimeout(600_000);

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'e2e');
const LAB_TOKEN = 'e2e-lab-token-0123456789';
const GATEWAY_TOKEN = 'e2e-gateway-token-0123456789';

// Single-user mode (no `users`): user `local`, tenant `default`, here with limits.
const yaml = `
tenants:
  default:
    limits: {gpus: 2, cores: 16, memory: 32g}
    pools: {python3: {size: 1}}
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
  python3:
    displayName: Python 3 (warm pool)
    spark: false
    driver: {cores: 1, memory: 1g, gpus: 0}
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

/** The Spark panel alone, scrolled to its top (form) and its bottom (launch progress, clusters). */
async function panelScreenshots(panel: ReturnType<Page['locator']>, theme: string): Promise<void> {
  for (const [where, top] of [['top', 0], ['bottom', 1e6]] as const) {
    await panel.evaluate((node, y) => node.scrollTo(0, y), top);
    shot += 1;
    await panel.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-panel-${theme}-${where}.png`) });
  }
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

beforeAll(async () => {
  await rm(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-e2e-'));
  gw = await step('start gateway', () => startGateway({ yaml, token: GATEWAY_TOKEN }));
  lab = await step('start jupyterlab', () => startLab(gw, tmp, LAB_TOKEN));
  context = await step('start chromium', () => launchChromium(tmp, { width: 1440, height: 900 }));
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  page.on('pageerror', err => console.warn(`browser page error: ${err.message}`));
  // A plugin that fails to activate only logs: say so, or a missing panel is a mystery.
  page.on('console', msg => {
    if (msg.type() === 'error') {
      console.warn(`browser console error: ${msg.text()}`);
    }
  });
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
    // The warm pool of python3 (issue 15) is full before the panel reads profiles.
    await step('pool warm', () =>
      waitUntil(
        async () => {
          const me = (await api(gw, 'GET', '/api/me')).body as { profiles: Array<{ id: string; warm?: number }> };
          return me.profiles.find(p => p.id === 'python3')?.warm === 1;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: 'one warm python3 driver' }
      )
    );
    await step('open panel', async () => {
      await page.locator('.jp-SideBar.jp-mod-left [data-id="sparkgate-panel"]').click();
      await panel.waitFor();
      await panel.locator('input.sg-SizingForm-profileRadio[value="gpu-small"]').waitFor();
    });
    const headerText = await panel.locator('.sg-SparkPanel-header').innerText();
    expect(headerText).toContain('local');
    // Profiles are radio cards with their key facts, whole names included (no truncated <select>).
    await panel.locator('.sg-ProfileCard[data-profile="gpu-small"]', { hasText: 'PySpark GPU (small)' }).waitFor();
    expect(await panel.locator('.sg-ProfileCard[data-profile="gpu-small"]').innerText()).toContain('Driver: 1 GPU · 1 core · 1 GiB');
    await panel.locator('input.sg-SizingForm-profileRadio[value="python3"]').check();
    await panel.locator('.sg-SizingForm-note', { hasText: '1 warm' }).waitFor();
    await screenshot('panel');

    await panel.locator('input.sg-SizingForm-profileRadio[value="gpu-small"]').check();
    const driverGpus = panel.locator('input[data-field="driver.gpus"]');
    expect(await driverGpus.inputValue()).toBe('1');
    // Memory is typed in GiB (the profile's 1g), with a label naming the unit.
    expect(await panel.locator('input[data-field="driver.memoryMiB"]').inputValue()).toBe('1');
    expect(await panel.getByLabel('Memory (GiB)', { exact: true }).getAttribute('data-field')).toBe('driver.memoryMiB');
    // The quota left sits next to each total.
    expect(await panel.locator('.sg-SizingForm-total[data-resource="gpus"] .sg-SizingForm-totalAvail').innerText()).toBe('2 of 2 left');
    await driverGpus.fill('3');
    const gpuTotal = panel.locator('.sg-SizingForm-total[data-resource="gpus"]');
    await panel.locator('.sg-SizingForm-total.sg-mod-invalid[data-resource="gpus"]').waitFor();
    const refusal = await gpuTotal.innerText();
    expect(refusal).toMatch(/3 GPUs asked, tenant limit 2/);
    expect(await launch.isDisabled()).toBe(true);
    expect(await panel.locator('.sg-SizingForm-blocker').innerText()).toMatch(/^Launch is disabled: 3 GPUs asked, tenant limit 2/);
    await screenshot('over-limit-refused');

    await driverGpus.fill('1');
    await panel.locator('.sg-SizingForm-total.sg-mod-invalid').waitFor({ state: 'detached' });
    expect(await launch.isEnabled()).toBe(true);
    await screenshot('sizing-fits');

    // --- Launch → progress in the panel, then a notebook attached to the cluster, Ready ----------
    const item = panel.locator('.sg-ClusterList-item');
    const status = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .sg-SparkStatus');
    const progress = panel.locator('.sg-LaunchProgress');
    await step('launch → progress shown', async () => {
      await launch.click();
      await item.waitFor();
      await progress.locator('.sg-LaunchProgress-step').first().waitFor();
    });
    // The notebook opens only once the cluster is up, so a failed launch leaves none behind.
    const openedEarly = await page.locator('.jp-NotebookPanel').count();
    const earlyState = ((await api(gw, 'GET', '/api/clusters')).body as { clusters: { state: string }[] }).clusters[0]?.state;
    if (earlyState === 'requested' || earlyState === 'launching') {
      expect(openedEarly).toBe(0);
    }
    await screenshot('launching');
    await step('launch → notebook open', async () => {
      await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)').waitFor({ timeout: 180_000 });
    });
    await step('launch → ready', async () => {
      await item.locator('.sg-Chip', { hasText: 'Ready' }).waitFor({ timeout: 180_000 });
      await status.locator('.sg-Chip', { hasText: 'Driver: Ready' }).waitFor({ timeout: 60_000 });
      await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor({ timeout: 60_000 });
    });
    // Every launch step is done, and the live region says so in words.
    await progress.locator('.sg-LaunchProgress-live', { hasText: 'is ready.' }).waitFor({ state: 'attached' });
    expect(await progress.locator('.sg-LaunchProgress-step:not(.sg-mod-done)').count()).toBe(0);
    const { clusters } = (await api(gw, 'GET', '/api/clusters')).body as {
      clusters: { id: string; kernelName: string; state: string; sizing: { driver: { gpus: number } } }[];
    };
    expect(clusters).toHaveLength(1);
    const cluster = clusters[0]!;
    expect(cluster).toMatchObject({ state: 'ready', sizing: { driver: { gpus: 1 } } });
    expect(cluster.kernelName).toMatch(/--/);
    expect(await status.locator('.sg-SparkStatus-gpus').innerText()).toBe('1 GPU');
    await panel.locator('.sg-SparkPanel-usage', { hasText: 'In use: 1/2 GPUs' }).waitFor({ timeout: 30_000 });
    // The entry tells this cluster from another of the same profile: short id, start time, sizing.
    expect(await item.locator('.sg-ClusterList-id').innerText()).toBe(cluster.id.slice(0, 8));
    expect(await item.locator('.sg-ClusterList-sizing').innerText()).toBe('1 × 1-core executor · driver 1 GPU');
    expect(await item.locator('.sg-ClusterList-started').innerText()).toMatch(/^started \d{2}:\d{2}$/);
    await screenshot('cluster-ready');
    await panelScreenshots(panel, 'light');
    // The same panel in JupyterLab's dark theme (Settings → Theme), for a look at its colours.
    await step('dark theme', async () => {
      await page.locator('.lm-MenuBar-itemLabel', { hasText: 'Settings' }).click();
      await page.locator('.lm-Menu-itemLabel', { hasText: /^Theme$/ }).hover();
      await page.locator('.lm-Menu-itemLabel', { hasText: /^JupyterLab Dark$/ }).click();
      await page.locator('body[data-jp-theme-light="false"]').waitFor({ state: 'attached' });
      // Switching themes shows the splash until the theme's CSS is in.
      await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    });
    await panelScreenshots(panel, 'dark');

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
