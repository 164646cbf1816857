/// <reference lib="dom" />
/**
 * Browser test of a restart the user asks for (issue 11, item 2): stock JupyterLab in gateway
 * mode against a real gateway, Debian's Chromium. A notebook on python3 runs a cell, the kernel is
 * restarted from the Kernel menu (confirming JupyterLab's own "Restart Kernel?" dialog), no "The
 * kernel appears to have died. It will restart automatically." dialog shows up — sparkgate used to
 * publish an iopub `restarting`, which JupyterLab reads as an auto-restart after a crash — and a
 * cell runs again in the fresh kernel.
 *
 * The final state is saved as test-artifacts/e2e-restart/restart-final.png (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { api, repoRoot, startGateway, type TestGateway } from '../integration/support/gateway.js';
import { launchChromium, startLab, type Lab } from './support/lab.js';

jest.setTimeout(300_000);

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'e2e-restart');
const LAB_TOKEN = 'e2e-restart-lab-token-0123456789';
const GATEWAY_TOKEN = 'e2e-restart-gateway-token-0123456789';
const DIED = 'appears to have died';

const NOTEBOOK = {
  cells: [
    { cell_type: 'code', execution_count: null, id: 'before', metadata: {}, outputs: [], source: ['x = 41\n', 'print("before", x + 1)'] },
    { cell_type: 'code', execution_count: null, id: 'after', metadata: {}, outputs: [], source: ['print("after restart, x defined:", "x" in globals())'] }
  ],
  metadata: { kernelspec: { display_name: 'Python 3 (no Spark)', language: 'python', name: 'python3' } },
  nbformat: 4,
  nbformat_minor: 5
};

/** What the page records from the moment it loads: every dialog's text and every kernel status shown. */
interface Seen {
  dialogs: string[];
  statuses: string[];
}

let gw: TestGateway;
let lab: Lab;
let context: BrowserContext;
let page: Page;
let tmp: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-e2e-restart-'));
  gw = await startGateway({ token: GATEWAY_TOKEN });
  lab = await startLab(gw, tmp, LAB_TOKEN);
  await writeFile(path.join(lab.rootDir, 'restart.ipynb'), JSON.stringify(NOTEBOOK));
  context = await launchChromium(tmp);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  page.on('pageerror', err => console.warn(`browser page error: ${err.message}`));
  // Installed before any page script runs, so nothing shown is missed.
  await context.addInitScript(() => {
    const seen: Seen = { dialogs: [], statuses: [] };
    (window as unknown as { __seen: Seen }).__seen = seen;
    const status = (element: Element): void => {
      const value = element.getAttribute('data-status');
      if (element.classList.contains('jp-Notebook-ExecutionIndicator') && value !== null && seen.statuses.at(-1) !== value) {
        seen.statuses.push(value);
      }
    };
    new MutationObserver(records => {
      for (const record of records) {
        if (record.type === 'attributes') {
          status(record.target as Element);
        }
        for (const node of Array.from(record.addedNodes)) {
          if (!(node instanceof HTMLElement)) {
            continue;
          }
          if (node.classList.contains('jp-Dialog')) {
            seen.dialogs.push(node.innerText || node.textContent || '');
          }
          node.querySelectorAll('.jp-Notebook-ExecutionIndicator').forEach(status);
          status(node);
        }
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
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

const seen = (): Promise<Seen> => page.evaluate(() => (window as unknown as { __seen: Seen }).__seen);

describe('e2e/JupyterLab restart from the Kernel menu', () => {
  it('should restart without the "kernel appears to have died" dialog and run a cell again', async () => {
    const notebook = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const idle = page.locator('.jp-StatusBar-TextItem', { hasText: 'Python 3 (no Spark) | Idle' });
    try {
      await page.goto(`${lab.url}/lab/tree/restart.ipynb?token=${LAB_TOKEN}`);
      // The kernel is connected and idle (the status bar names it; before, it reads "No Kernel").
      await idle.waitFor({ timeout: 120_000 });
      const [kernel] = (await api(gw, 'GET', '/api/kernels')).body as { id: string; name: string }[];
      expect(kernel).toMatchObject({ name: 'python3' });

      // --- run a cell ---------------------------------------------------------------------
      await notebook.locator('.jp-Cell .cm-content').first().click();
      await page.keyboard.press('Shift+Enter');
      await notebook.locator('.jp-OutputArea-output', { hasText: 'before 42' }).waitFor();
      await idle.waitFor();

      // --- Kernel menu → Restart Kernel… → JupyterLab's own confirmation ----------------------
      await page.locator('.lm-MenuBar-item', { hasText: /^Kernel$/ }).click();
      await page.locator('.lm-Menu-item:not(.lm-mod-disabled)', { hasText: /^Restart Kernel…/ }).first().click();
      const confirm = page.locator('.jp-Dialog', { hasText: 'Restart Kernel?' });
      await confirm.waitFor();
      await confirm.locator('button.jp-mod-accept', { hasText: 'Restart' }).click();
      await confirm.waitFor({ state: 'detached' });
      // JupyterLab shows `restarting` while the REST restart runs, then the new kernel's `idle`.
      await page.waitForFunction(() => (window as unknown as { __seen: Seen }).__seen.statuses.includes('restarting'));
      await idle.waitFor({ timeout: 120_000 });
      // The auto-restart dialog would be up by now (it opens on the `restarting` iopub status).
      expect(await page.locator('.jp-Dialog', { hasText: DIED }).count()).toBe(0);

      // --- the same kernel, fresh, runs a cell ---------------------------------------------------
      await notebook.locator('.jp-Cell .cm-content').nth(1).click();
      await page.keyboard.press('Shift+Enter');
      await notebook.locator('.jp-OutputArea-output', { hasText: 'after restart, x defined: False' }).waitFor();
      expect((await api(gw, 'GET', '/api/kernels')).body).toMatchObject([{ id: kernel!.id, execution_state: 'idle' }]);

      const { dialogs, statuses } = await seen();
      console.log(`dialogs shown: ${JSON.stringify(dialogs.map(d => d.split('\n')[0]))}; kernel statuses shown: ${statuses.join(' → ')}`);
      expect(dialogs.filter(d => d.includes(DIED))).toEqual([]);
      expect(await page.locator('.jp-Dialog', { hasText: DIED }).count()).toBe(0);
      expect(dialogs.some(d => d.includes('Do you want to restart the kernel of restart.ipynb?'))).toBe(true);
      expect(statuses).not.toContain('autorestarting');
      expect(statuses).not.toContain('dead');
    } finally {
      await page.screenshot({ path: path.join(ARTIFACTS, 'restart-final.png') }).catch(() => undefined);
    }
  });
});
