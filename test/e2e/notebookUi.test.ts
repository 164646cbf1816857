/// <reference lib="dom" />
/**
 * Browser test of the notebook side of sparkgate-lab (issue 16, items 4 and 6): a real gateway
 * (local backend), JupyterLab in gateway mode, Debian's Chromium.
 *
 * 1. "Launch a Spark Cluster (Default Profile)" from the command palette (category Spark) launches
 *    the `defaultProfile` setting's profile; the toolbar's executor count opens the executors
 *    list; a cell runs; the saved file carries the profile's
 *    plain kernelspec and the shape, never the cluster; Kernel → "Shut Down the Spark Cluster…"
 *    (confirmed) leaves the toolbar saying the cluster was shut down, with the relaunch offer.
 * 2. Reopening that notebook (no cluster for it) starts no kernel and shows no "Select Kernel"
 *    dialog: the toolbar offers the relaunch, which attaches a new cluster to this same notebook.
 *
 * Screenshots land in test-artifacts/e2e-notebook-ui/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { api, repoRoot, startGateway, type TestGateway } from '../integration/support/gateway.js';
import { holdsWithin, waitUntil } from '../support/waitFor.js';
import { launchChromium, startLab, type Lab } from './support/lab.js';

jest.setTimeout(300_000);

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'e2e-notebook-ui');
const LAB_TOKEN = 'e2e-notebook-ui-lab-token-0123456789';
const GATEWAY_TOKEN = 'e2e-notebook-ui-gateway-token-0123456789';

// A plain Python profile: the notebook side is the same as for Spark, and it starts in seconds.
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
  python3:
    displayName: Python 3 (no Spark)
    spark: false
    driver: {cores: 1, memory: 1g, gpus: 0}
`;

interface SavedNotebook {
  cells: { source: string | string[] }[];
  metadata: { kernelspec?: { name: string; display_name: string }; sparkgate?: { profile: string } };
}

let gw: TestGateway;
let lab: Lab;
let context: BrowserContext;
let page: Page;
let tmp: string;
let shot = 0;
/** The launched notebook's file name, found after the first test saves it. */
let notebookFile = '';

async function screenshot(name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`) });
}

const clusters = async (): Promise<{ id: string; profile: string; kernelName: string }[]> =>
  ((await api(gw, 'GET', '/api/clusters')).body as { clusters: { id: string; profile: string; kernelName: string }[] }).clusters;

const dialogsSeen = (): Promise<string[]> => page.evaluate(() => (window as unknown as { __dialogs: string[] }).__dialogs);

beforeAll(async () => {
  await rm(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-e2e-notebook-ui-'));
  // The user's setting: the default profile the launch command uses.
  const settings = path.join(tmp, 'settings', 'sparkgate-lab');
  mkdirSync(settings, { recursive: true });
  await writeFile(path.join(settings, 'plugin.jupyterlab-settings'), JSON.stringify({ defaultProfile: 'python3' }));
  gw = await startGateway({ yaml, token: GATEWAY_TOKEN });
  lab = await startLab(gw, tmp, LAB_TOKEN);
  context = await launchChromium(tmp, { width: 1440, height: 900 });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  page.on('pageerror', err => console.warn(`browser page error: ${err.message}`));
  page.on('console', msg => {
    if (msg.type() === 'error' || msg.text().includes('sparkgate')) {
      console.warn(`browser console ${msg.type()}: ${msg.text()}`);
    }
  });
  // Every dialog shown from page load on, so one that came and went is not missed.
  await context.addInitScript(() => {
    const dialogs: string[] = [];
    (window as unknown as { __dialogs: string[] }).__dialogs = dialogs;
    new MutationObserver(records => {
      for (const record of records) {
        for (const node of Array.from(record.addedNodes)) {
          if (node instanceof HTMLElement && node.classList.contains('jp-Dialog')) {
            dialogs.push(node.innerText || node.textContent || '');
          }
        }
      }
    }).observe(document, { subtree: true, childList: true });
  });
});

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await lab?.stop();
  await gw?.stop();
  if (tmp) {
    await rm(tmp, { recursive: true, force: true });
  }
});

describe('e2e/notebook UI: commands, shape-only saves, shut down, shared notebooks', () => {
  const notebook = () => page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const status = () => page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .sg-SparkStatus');
  // The status bar names the kernel once JupyterLab has connected it ("No Kernel" before).
  const idle = () => page.locator('.jp-StatusBar-TextItem', { hasText: /Python 3 \(no Spark\) · \w+ \| Idle/ });

  it('should launch the default profile from the palette, save only the shape, and say the cluster was shut down', async () => {
    try {
      await page.goto(`${lab.url}/lab?token=${LAB_TOKEN}`);
      await page.locator('.jp-LabShell').waitFor();
      await page.locator('.jp-SideBar.jp-mod-left [data-id="sparkgate-panel"]').waitFor();

      // --- View menu: the Spark panel; palette: category Spark, launch with the default profile ---
      await page.locator('.lm-MenuBar-item', { hasText: /^View$/ }).click();
      await page.locator('.lm-Menu-item:not(.lm-mod-disabled)', { hasText: 'Spark Panel' }).waitFor();
      await page.locator('.lm-Menu-item', { hasText: 'Activate Command Palette' }).click();
      const palette = page.locator('.lm-CommandPalette');
      // Unfiltered, the palette lists its categories; a search shows matches only.
      await palette.locator('.lm-CommandPalette-header', { hasText: /^Spark$/i }).waitFor({ state: 'attached' });
      await palette.locator('input').fill('Launch a Spark Cluster');
      await screenshot('palette');
      await palette.locator('.lm-CommandPalette-item', { hasText: 'Launch a Spark Cluster (Default Profile)' }).click();
      await notebook().waitFor({ timeout: 120_000 });
      await status().locator('.sg-Chip', { hasText: 'Driver: Ready' }).waitFor({ timeout: 60_000 });
      // The toolbar knows the cluster before JupyterLab has connected its kernel.
      await idle().waitFor({ timeout: 60_000 });
      const [cluster] = await clusters();
      expect(cluster).toMatchObject({ profile: 'python3' });
      expect(cluster!.kernelName).toBe(`python3--${cluster!.id}`);
      await screenshot('launched');

      // --- the executor count: its full text is its accessible name; a click opens the list --------
      const count = status().locator('button.sg-SparkStatus-executors');
      expect(await count.getAttribute('aria-label')).toBe('0/0 executors. Show the executors');
      await count.click();
      const popup = page.locator('.sg-ExecutorsPopup[role="dialog"]');
      await popup.waitFor();
      await page.keyboard.press('Escape');
      await popup.waitFor({ state: 'detached' });

      // --- a cell, then save: the file names the profile, not the cluster -------------------------
      await notebook().locator('.jp-Cell .cm-content').first().click();
      await page.keyboard.insertText('print("hello from", 6 * 7)');
      await page.keyboard.press('Shift+Enter');
      await notebook().locator('.jp-OutputArea-output', { hasText: 'hello from 42' }).waitFor({ timeout: 60_000 });
      await page.keyboard.press('Control+s');
      // JupyterLab asks for a name on the first save of an Untitled notebook.
      const rename = page.locator('.jp-Dialog', { hasText: 'Rename file' });
      await rename.waitFor();
      await rename.locator('input[type="text"]').fill('shared.ipynb');
      await rename.locator('button.jp-mod-accept').click();
      await rename.waitFor({ state: 'detached' });
      const saved = await waitUntil(
        async () => {
          const files = readdirSync(lab.rootDir).filter(f => f.endsWith('.ipynb'));
          if (files.length !== 1 || files[0] !== 'shared.ipynb') {
            return null;
          }
          const nb = JSON.parse(await readFile(path.join(lab.rootDir, files[0]!), 'utf8')) as SavedNotebook;
          const code = nb.cells.map(c => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
          return code.includes('hello from') ? { file: files[0]!, nb } : null;
        },
        { timeoutMs: 30_000, intervalMs: 250, what: 'the notebook saved with its cell' }
      );
      notebookFile = saved.file;
      expect(saved.nb.metadata.kernelspec).toMatchObject({ name: 'python3', display_name: 'Python 3 (no Spark)' });
      expect(saved.nb.metadata.sparkgate).toMatchObject({ profile: 'python3' });
      expect(JSON.stringify(saved.nb)).not.toContain(cluster!.id.slice(0, 6));
      // The notebook in memory keeps its cluster, and saving left it clean.
      expect(await page.locator('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty').count()).toBe(0);
      await status().locator('.sg-Chip', { hasText: 'Driver: Ready' }).waitFor();

      // --- Kernel menu: Open Spark UI is off (no Spark), Shut Down the Spark Cluster… ------------
      await page.locator('.lm-MenuBar-item', { hasText: /^Kernel$/ }).click();
      await page.locator('.lm-Menu-item.lm-mod-disabled', { hasText: 'Open Spark UI' }).waitFor();
      await page.locator('.lm-Menu-item:not(.lm-mod-disabled)', { hasText: 'Shut Down the Spark Cluster…' }).click();
      const confirm = page.locator('.jp-Dialog', { hasText: 'Shut down Spark cluster?' });
      await confirm.waitFor();
      await screenshot('shutdown-confirm');
      await confirm.locator('button.jp-mod-warn', { hasText: 'Shut down' }).click();
      await confirm.waitFor({ state: 'detached' });
      await status().locator('.sg-Chip', { hasText: 'Spark cluster shut down' }).waitFor({ timeout: 30_000 });
      await status().locator('button.sg-SparkStatus-relaunch').waitFor();
      await waitUntil(async () => (await clusters()).length === 0, { timeoutMs: 30_000, intervalMs: 250, what: 'no clusters' });
      // It stays so: not "Spark: starting…" once JupyterLab sees its kernel gone.
      expect(await holdsWithin(async () => (await status().innerText()).includes('Spark cluster shut down'), { timeoutMs: 3_000, intervalMs: 200 })).toBe(true);
      await screenshot('shut-down');
    } finally {
      await screenshot('test-1-final').catch(() => undefined);
    }
  });

  it('should reopen the shared notebook without starting a kernel or asking for one, and relaunch into it', async () => {
    expect(notebookFile).not.toBe('');
    try {
      await page.goto(`${lab.url}/lab/tree/${encodeURIComponent(notebookFile)}?token=${LAB_TOKEN}`);
      await notebook().waitFor();
      const relaunch = status().locator('button.sg-SparkStatus-relaunch');
      await relaunch.waitFor({ timeout: 60_000 });
      await page.locator('.Toastify__toast', { hasText: "was made on a 'python3' Spark cluster" }).waitFor({ timeout: 30_000 });
      // No cluster starts on its own and JupyterLab does not ask which kernel to use.
      expect(await holdsWithin(async () => (await clusters()).length === 0 && (await page.locator('.jp-Dialog').count()) === 0, { timeoutMs: 5_000, intervalMs: 250 })).toBe(true);
      expect((await api(gw, 'GET', '/api/kernels')).body).toEqual([]);
      expect((await dialogsSeen()).filter(d => d.includes('Select Kernel'))).toEqual([]);
      await screenshot('reopened');

      // --- relaunch: the panel is filled in; Launch attaches this notebook ------------------------
      await relaunch.click();
      // Answered from the toolbar, the offer's toast goes too (it would stay 15 s).
      await page.locator('.Toastify__toast', { hasText: "was made on a 'python3' Spark cluster" }).waitFor({ state: 'detached', timeout: 5_000 });
      const panel = page.locator('#sparkgate-panel');
      await panel.locator('input.sg-SizingForm-profileRadio[value="python3"]:checked').waitFor();
      await panel.locator('button.sg-SizingForm-launch:not([disabled])').click();
      await status().locator('.sg-Chip', { hasText: 'Driver: Ready' }).waitFor({ timeout: 120_000 });
      await idle().waitFor({ timeout: 60_000 });
      expect(await page.locator('.jp-NotebookPanel').count()).toBe(1);
      const [cluster] = await clusters();
      expect(cluster).toMatchObject({ profile: 'python3' });
      // A new cell below the saved one runs in the relaunched kernel.
      await notebook().locator('.jp-Cell .cm-content').first().click();
      await page.keyboard.press('Escape');
      await page.keyboard.press('b');
      await page.keyboard.press('Enter');
      await page.keyboard.insertText('print("relaunched", 7 * 6)');
      await page.keyboard.press('Shift+Enter');
      await notebook().locator('.jp-OutputArea-output', { hasText: 'relaunched 42' }).waitFor({ timeout: 60_000 });
      expect((await dialogsSeen()).filter(d => d.includes('Select Kernel'))).toEqual([]);
      await screenshot('relaunched');
    } finally {
      await screenshot('test-2-final').catch(() => undefined);
    }
  });
});
