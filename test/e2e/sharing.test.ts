/**
 * Sharing a notebook across tenants, in the browser, on the Kubernetes backend (issue 16 item 5).
 * Two users of two tenants, each with their own JupyterLab in gateway mode (their own gateway
 * token), on one gateway and the demo cluster's nodes (real control plane, simulated GPUs):
 *
 * - alice launches the GPU profile from her panel and runs a cell typed as soon as the notebook
 *   shows (its kernel is still being attached then: the run waits for it, on the one session, and
 *   the cluster lives on), and saves the notebook: the file carries the cluster's shape and the
 *   profile's plain kernelspec, nothing of her cluster;
 * - bob opens a copy: no kernel starts on its own, no "Select Kernel" dialog; he is offered to
 *   relaunch the shape, which launches in his tenant's namespace, attached to that very notebook;
 * - nothing of alice's is visible or reachable to him (clusters, kernels, Spark UI through the
 *   gateway and through his lab; the gateway's /metrics, which counts every tenant, refuses his
 *   token both ways; nothing his browser hears live — clusters, cell progress, executors, GPU
 *   metrics — names her cluster);
 * - a copy whose shape exceeds his tenant's limits says which limit, by how much, and launches nothing.
 *
 * Screenshots of every step land in test-artifacts/e2e-sharing/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { demoNodes } from '../../server/scripts/lib/demoConfig.mjs';
import { KUBERNETES_SECTION, repoRoot } from '../cluster/support/sparkgate.js';
import { useCluster } from '../cluster/support/useCluster.js';
import { waitUntil } from '../support/waitFor.js';
import { launchChromium, startLab, type Lab } from './support/lab.js';

jest.setTimeout(600_000);

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'e2e-sharing');
const ALICE = { user: 'alice', tenant: 'team-a', namespace: 'sparkgate-team-a', token: 'alice-gateway-token-0123456789abcdef', labToken: 'alice-lab-token-0123456789' };
const BOB = { user: 'bob', tenant: 'team-b', namespace: 'sparkgate-team-b', token: 'bob-gateway-token-0123456789abcdef', labToken: 'bob-lab-token-0123456789' };
type Who = typeof ALICE;

/** One executor of one GPU: alice's tenant may hold 2 GPUs, bob's 1. */
const CONFIG = [
  'simulatedGpus: true',
  'users:',
  ...[ALICE, BOB].map(u => `  - { name: ${u.user}, tenant: ${u.tenant}, token: ${u.token} }`),
  'tenants:',
  `  ${ALICE.tenant}: { namespace: ${ALICE.namespace}, limits: { gpus: 2, cores: 8, memory: 12g } }`,
  `  ${BOB.tenant}: { namespace: ${BOB.namespace}, limits: { gpus: 1, cores: 8, memory: 12g } }`,
  'profiles:',
  '  pyspark-gpu:',
  '    displayName: PySpark on GPUs',
  '    driver: { cores: 0.5, memory: 768m, gpus: 0 }',
  '    executors: { count: 1, cores: 1, memory: 512m, gpus: 1 }',
  'kernels: { startTimeoutSeconds: 240, shutdownGraceSeconds: 10 }',
  KUBERNETES_SECTION.trim(),
  ''
].join('\n');

interface Seat {
  who: Who;
  lab: Lab;
  context: BrowserContext;
  page: Page;
}

describe('e2e/sharing a notebook across tenants (Kubernetes backend)', () => {
  const k8s = useCluster({
    nodes: demoNodes(2),
    gateway: { config: CONFIG, tenants: { [ALICE.namespace]: { gpuQuota: 2 }, [BOB.namespace]: { gpuQuota: 1 } } }
  });
  const seats: Seat[] = [];
  const consoleLines: string[] = [];
  const received: Record<string, string[]> = { [ALICE.user]: [], [BOB.user]: [] };
  let dir = '';
  let shot = 0;
  const screenshot = async (seat: Seat, name: string): Promise<void> => {
    shot += 1;
    await seat.page.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${seat.who.user}-${name}.png`) });
  };
  const call = (who: Who, method: string, route: string, body?: unknown) => k8s.call(who.token, method, route, body);
  const podsIn = async (namespace: string) =>
    (await k8s.core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/managed-by=sparkgate' })).items.filter(p => !p.metadata?.deletionTimestamp);

  beforeAll(async () => {
    await rm(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-e2e-sharing-'));
    for (const who of [ALICE, BOB]) {
      const home = path.join(dir, who.user);
      const lab = await startLab({ url: k8s.gw.url, token: who.token }, home, who.labToken, { extraConfig: ['c.LabApp.expose_app_in_browser = True'] });
      const context = await launchChromium(home, { width: 1440, height: 900 });
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(60_000);
      page.on('pageerror', err => console.warn(`browser page error (${who.user}): ${err.message}`));
      page.on('console', msg => consoleLines.push(`${who.user} ${msg.type()}: ${msg.text()}`));
      // Everything this browser hears live (status socket, kernel channels): nothing of alice's may reach bob.
      page.on('websocket', ws => ws.on('framereceived', frame => received[who.user]!.push(frame.payload.toString())));
      seats.push({ who, lab, context, page });
    }
  }, 300_000);

  // Declared after useCluster: jest runs afterAll hooks in declaration order... so this one runs
  // after the gateway stopped; browsers and labs only need to go before the temp dir does.
  afterAll(async () => {
    for (const seat of seats) {
      await seat.context.close().catch(() => undefined);
      await seat.lab.stop();
    }
    if (dir) {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  const openLab = async (seat: Seat): Promise<void> => {
    await seat.page.goto(`${seat.lab.url}/lab?token=${seat.who.labToken}`);
    await seat.page.locator('.jp-LabShell').waitFor();
    await seat.page.locator('.jp-SideBar.jp-mod-left [data-id="sparkgate-panel"]').waitFor();
  };
  const openNotebook = async (seat: Seat, file: string): Promise<void> => {
    await seat.page.evaluate(async (p: string) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await (window as any).jupyterapp.commands.execute('docmanager:open', { path: p });
    }, file);
    await seat.page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)').waitFor();
  };
  /** The lab's sessions (jupyter_server's own list: one per notebook with a kernel). */
  const labSessions = async (seat: Seat): Promise<{ path: string; kernel: { id: string } | null }[]> =>
    (await fetch(`${seat.lab.url}/api/sessions`, { headers: { Authorization: `token ${seat.who.labToken}` } })).json() as Promise<{ path: string; kernel: { id: string } | null }[]>;
  const currentPath = (seat: Seat): Promise<string> =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    seat.page.evaluate(() => ((window as any).jupyterapp.shell.currentWidget?.context?.path as string | undefined) ?? '(none)');
  const runCell = async (seat: Seat, code: string, expected: string): Promise<void> => {
    const notebook = seat.page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    await notebook.locator('.jp-Cell .cm-content').last().click();
    await seat.page.keyboard.press('Control+a');
    await seat.page.keyboard.insertText(code);
    await seat.page.keyboard.press('Shift+Enter');
    await notebook
      .locator('.jp-OutputArea-output', { hasText: expected })
      .first()
      .waitFor({ timeout: 180_000 })
      .catch(async (error: unknown) => {
        await screenshot(seat, `cell-never-printed-${expected.replace(/\W+/g, '-')}`);
        console.log(`browser console:\n${consoleLines.slice(-60).join('\n')}\nlab log:\n${seat.lab.output().split('\n').slice(-80).join('\n')}`);
        throw error;
      });
  };

  it("should let bob relaunch alice's notebook's shape in his own tenant, within his limits, and see nothing of hers", async () => {
    const [alice, bob] = seats as [Seat, Seat];

    // --- alice: launch the GPU profile, run a cell, save -------------------------------------
    await openLab(alice);
    const panelA = alice.page.locator('#sparkgate-panel');
    await alice.page.locator('.jp-SideBar.jp-mod-left [data-id="sparkgate-panel"]').click();
    await panelA.locator('.sg-ProfileCard[data-profile="pyspark-gpu"]').click();
    await panelA.locator('button.sg-SizingForm-launch').click();
    const notebookA = alice.page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    await notebookA.locator('.sg-SparkStatus .sg-Chip', { hasText: 'Driver: Ready' }).waitFor({ timeout: 240_000 });
    await screenshot(alice, 'notebook-open');
    // Typed at once, as a user may: JupyterLab is still creating the notebook's session then (in
    // gateway mode a round trip to the gateway and a socket). The run waits for that kernel; it
    // was once lost (`[ ]`), or started a second session on the same cluster and JupyterLab, on
    // dropping the one it preempted, shut the cluster down.
    await runCell(alice, 'print("rows", spark.range(100).count())', 'rows 100');
    const fileA = await currentPath(alice);
    // One session, on the cluster launched (not a second one, not gone).
    const [clusterA] = (await call(ALICE, 'GET', '/api/clusters')).body.clusters as { id: string; kernelName: string }[];
    expect(clusterA).toBeDefined();
    expect((await labSessions(alice)).map(x => [x.path, x.kernel?.id])).toEqual([[fileA, clusterA!.id]]);
    // The notebook's own save (File > Save would first offer to rename an Untitled notebook).
    await alice.page.evaluate(async () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await (window as any).jupyterapp.shell.currentWidget.context.save();
    });
    // Saved: the file on disk holds the cell's output.
    const text = await waitUntil(
      async () => {
        const content = await readFile(path.join(alice.lab.rootDir, fileA), 'utf8').catch(() => '');
        return content.includes('rows 100') ? content : null;
      },
      { timeoutMs: 30_000, what: "alice's notebook saved with its output" }
    );
    await screenshot(alice, 'ran-and-saved');
    expect((await podsIn(ALICE.namespace)).length).toBeGreaterThanOrEqual(2); // driver + executor

    // The saved file: the shape and the profile's plain kernelspec, nothing of alice's cluster.
    const nb = JSON.parse(text) as { metadata: { kernelspec?: { name: string }; sparkgate?: { profile: string; sizing: { executors: { count?: number; gpus: number } } } } };
    expect(nb.metadata.kernelspec?.name).toBe('pyspark-gpu');
    expect(nb.metadata.sparkgate).toMatchObject({ profile: 'pyspark-gpu', sizing: { executors: { count: 1, gpus: 1 } } });
    expect(text).not.toContain(clusterA!.id);

    // --- bob: a copy of it, and a copy whose shape needs 2 GPUs (his tenant may hold 1) -------
    await writeFile(path.join(bob.lab.rootDir, 'from-alice.ipynb'), text);
    const big = structuredClone(nb);
    big.metadata.sparkgate!.sizing.executors.count = 2;
    await writeFile(path.join(bob.lab.rootDir, 'from-alice-2-gpus.ipynb'), JSON.stringify(big));

    await openLab(bob);
    await openNotebook(bob, 'from-alice.ipynb');
    const notebookB = bob.page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const relaunch = notebookB.locator('.sg-SparkStatus-relaunch');
    await relaunch.waitFor({ timeout: 60_000 });
    // No kernel of its own and no stock kernel dialog: the shape waits for his click.
    expect(await bob.page.locator('.jp-Dialog').count()).toBe(0);
    expect((await call(BOB, 'GET', '/api/kernels')).body).toEqual([]);
    expect((await podsIn(BOB.namespace)).length).toBe(0);
    await screenshot(bob, 'offered-relaunch');

    // Nothing of alice's reaches bob: her cluster, kernel and Spark UI are not found for him.
    expect((await call(BOB, 'GET', '/api/clusters')).body.clusters).toEqual([]);
    expect((await call(BOB, 'GET', `/api/clusters/${clusterA!.id}`)).status).toBe(404);
    expect((await call(BOB, 'GET', `/api/kernels/${clusterA!.id}`)).status).toBe(404);
    expect((await call(BOB, 'GET', `/ui/${clusterA!.id}/`)).status).toBe(404);
    const viaBobsLab = await bob.page.evaluate(async (id: string) => (await fetch(`sparkgate/ui/${id}/jobs/`)).status, clusterA!.id);
    expect(viaBobsLab).toBe(404);
    const metricsChecked = Date.now();
    // Nor the gateway's /metrics: its series count every tenant's kernels and launches, so with
    // several tenants a user's token is refused (only the scraper's metrics.token reads it).
    for (const who of [BOB, ALICE]) {
      const refusedMetrics = await call(who, 'GET', '/metrics');
      expect([who.user, refusedMetrics.status, refusedMetrics.body?.reason]).toEqual([who.user, 403, 'NotAllowed']);
      expect(refusedMetrics.body?.message).toMatch(/every tenant.*several tenants: scrape it with metrics\.token/);
    }
    // His lab proxies <lab>/sparkgate/… to the gateway with his token: refused the same way there.
    // <lab>/metrics is jupyter_server's own (his lab's requests), none of the gateway's series.
    const [metricsViaLab, labMetrics] = await bob.page.evaluate(async () =>
      Promise.all(['sparkgate/metrics', 'metrics'].map(async url => {
        const r = await fetch(url);
        return { status: r.status, text: await r.text() };
      }))
    );
    expect([metricsViaLab!.status, (JSON.parse(metricsViaLab!.text) as { reason?: string }).reason]).toEqual([403, 'NotAllowed']);
    expect([labMetrics!.status, /^sparkgate_/m.test(labMetrics!.text), /^python_gc_objects_collected_total/m.test(labMetrics!.text)]).toEqual([200, false, true]);
    console.log(`e2e sharing: /metrics refused to both tokens, and through bob's lab, in ${Date.now() - metricsChecked} ms`);

    // --- relaunch: his tenant's namespace, attached to this notebook --------------------------
    await relaunch.click();
    const panelB = bob.page.locator('#sparkgate-panel');
    await panelB.locator('.sg-SizingForm-target', { hasText: 'from-alice.ipynb' }).waitFor();
    await screenshot(bob, 'relaunch-form');
    await panelB.locator('button.sg-SizingForm-launch').click();
    await notebookB.locator('.sg-SparkStatus .sg-Chip', { hasText: 'Driver: Ready' }).waitFor({ timeout: 240_000 });
    const clustersB = (await call(BOB, 'GET', '/api/clusters')).body.clusters as { id: string; profile: string; sizing: object }[];
    expect(clustersB).toHaveLength(1);
    expect(clustersB[0]).toMatchObject({ profile: 'pyspark-gpu', sizing: nb.metadata.sparkgate!.sizing });
    const podsB = await podsIn(BOB.namespace);
    expect(podsB.map(p => p.metadata?.labels?.['app.kubernetes.io/component']).sort()).toContain('driver');
    expect(podsB.every(p => p.metadata?.labels?.['sparkgate.io/user'] !== ALICE.user)).toBe(true);
    // The same notebook (not a new one) runs on it.
    expect(await currentPath(bob)).toBe('from-alice.ipynb');
    expect(await bob.page.locator('.jp-NotebookPanel').count()).toBe(1);
    // At once again: the notebook's kernel is being changed to his cluster's meanwhile.
    await runCell(bob, 'print("bob rows", spark.range(7).count())', 'bob rows 7');
    expect((await labSessions(bob)).map(x => [x.path, x.kernel?.id])).toEqual([['from-alice.ipynb', clustersB[0]!.id]]);
    await screenshot(bob, 'relaunched-and-ran');
    // Still nothing of alice's in bob's panel.
    expect(await panelB.locator('.sg-ClusterList-item').count()).toBe(1);
    expect(await panelB.locator('.sg-ClusterList-item').innerText()).not.toContain(clusterA!.id.slice(0, 8));

    // --- the 2-GPU copy: which limit, by how much; nothing launched ---------------------------
    await openNotebook(bob, 'from-alice-2-gpus.ipynb');
    const notebookBig = bob.page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    await notebookBig.locator('.sg-SparkStatus-relaunch').click();
    await panelB.locator('.sg-SizingForm-target', { hasText: 'from-alice-2-gpus.ipynb' }).waitFor();
    // His 1 GPU is in use by his first cluster: 2 asked, limit 1, 1 in use (usage is re-read, hence waited for).
    const refusal = panelB.locator('.sg-SizingForm-blocker', { hasText: /2 GPUs asked, tenant limit 1, 1 in use/ });
    await refusal.waitFor();
    expect(await panelB.locator('button.sg-SizingForm-launch').isDisabled()).toBe(true);
    await screenshot(bob, 'over-limit');
    // The gateway says the same to a client that asks anyway, naming the limit and the room left.
    const refused = await call(BOB, 'POST', '/api/clusters', { profile: 'pyspark-gpu', sizing: big.metadata.sparkgate!.sizing });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/GPUs: this cluster asks for 2, tenant 'team-b' has a limit of 1 and 1 in use; ask for at most 0/);
    expect((await call(BOB, 'GET', '/api/clusters')).body.clusters).toHaveLength(1);

    // Nothing bob's browser heard live named alice's cluster (while his own did come through).
    expect(received[BOB.user]!.some(f => f.includes(clustersB[0]!.id))).toBe(true);
    expect(received[BOB.user]!.filter(f => f.includes(clusterA!.id))).toEqual([]);
    expect(received[ALICE.user]!.some(f => f.includes(clusterA!.id))).toBe(true);

    // --- both shut down; nothing left in either namespace --------------------------------------
    for (const who of [ALICE, BOB]) {
      for (const c of (await call(who, 'GET', '/api/clusters')).body.clusters as { id: string }[]) {
        expect((await call(who, 'DELETE', `/api/clusters/${c.id}`)).status).toBe(204);
      }
    }
    await waitUntil(async () => (await podsIn(ALICE.namespace)).length + (await podsIn(BOB.namespace)).length === 0, {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: 'no sparkgate pod left'
    });
  });
});
