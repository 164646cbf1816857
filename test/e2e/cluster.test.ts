/**
 * Browser end-to-end test on the Kubernetes backend: the stack of `npm start -- --demo-cluster`
 * (real control plane, pods as host processes, simulated GPUs; support/clusterLab.ts), with node
 * gpu-1 holding ONE fake GPU, so the GPU profile's second executor (1 GPU each) cannot be scheduled.
 *
 * Walks the user's path: Spark panel → launch "PySpark on GPUs" → the cluster comes up with one
 * executor running and one pending, the scheduler's reason shown as text (panel, toolbar, executors
 * popup) → a cell runs a Spark job on the GPU executor (its task sees the fake GPU's address) with
 * per-cell progress → an interrupt from the toolbar cancels that cell's job only → a cell's task
 * keeps the executor's GPU busy (the fake DCGM exporter, scraped by Prometheus, asked by the
 * gateway): the toolbar shows the cluster's mean utilisation, the executors popup the GPU's row,
 * both idle again once the task ends → the dark theme keeps the panel, the progress and the popup
 * readable → shut down from the command palette → no pod left in the tenant namespace.
 *
 * Screenshots of every step land in test-artifacts/e2e-cluster/ (git-ignored). With
 * SPARKGATE_README_SCREENSHOT=<file.png> the walk also saves the README's picture there (1280×800:
 * the notebook, a cell's Spark progress unfolded, the executors popup open with its GPU busy).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../cluster/support/sparkgate.js';
import { waitUntil } from '../support/waitFor.js';
import { DEMO_NAMESPACE, LAB_TOKEN, USER, useClusterLab } from './support/clusterLab.js';
import { backgroundLuminanceOf, contrastOf, MIN_CONTRAST } from './support/contrast.js';

jest.setTimeout(600_000);

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'e2e-cluster');
const PENDING = /Insufficient nvidia\.com\/gpu/;

/** Where each task ran and the GPU Spark gave it (TaskContext resources), plus a sum to check. */
const GPU_CELL = [
  'import os',
  'from pyspark import TaskContext',
  'def where(_):',
  '    gpu = TaskContext.get().resources().get("gpu")',
  '    return os.environ.get("HOSTNAME"), ",".join(gpu.addresses) if gpu else "none"',
  'for host, gpus in sorted(set(sc.parallelize(range(8), 8).map(where).collect())):',
  '    print("TASKS-ON", host, "GPU", gpus)',
  'print("SUM", sc.parallelize(range(1000), 4).map(lambda x: x * x).sum())'
].join('\n');

/**
 * Another job on the same kernel, queued behind the cell that is interrupted next: a thread (so
 * none of that cell's tag) that waits until a job runs, then submits its own in job group
 * 'background' — its task holds the executor's one task slot once the interrupted job leaves it.
 */
const BACKGROUND_CELL = [
  'import threading, time',
  'def hold(rows):',
  '    time.sleep(300)',
  '    yield from rows',
  'background = {}',
  'def submit():',
  '    while not sc.statusTracker().getActiveJobsIds():',
  '        time.sleep(0.1)',
  '    sc.setJobGroup("background", "queued behind the slow cell")',
  '    try:',
  '        background["count"] = sc.parallelize(range(1), 1).mapPartitions(hold).count()',
  '    except Exception as e:',
  '        background["error"] = type(e).__name__',
  'worker = threading.Thread(target=submit, daemon=True)',
  'worker.start()',
  'print("BACKGROUND WAITING")'
].join('\n');

/** The cell interrupted: one job of 2 tasks that would take 10 minutes. */
const SLOW_CELL = ['def forever(rows):', '    time.sleep(600)', '    yield from rows', 'sc.parallelize(range(2), 2).mapPartitions(forever).count()'].join('\n');

/** What the busy cell's task writes to its GPU's state file (the fake DCGM exporter serves it). */
const BUSY = { util: 40, fbUsedMiB: 8192 };

/**
 * A one-task job that keeps its GPU busy, as the README's cell does: the task writes BUSY to the
 * state file of the GPU Spark gave it, holds it until the test drops a `stop` file beside it
 * (bounded at 120 s), then removes it (the GPU reads idle again).
 */
const BUSY_CELL = [
  'import os, time',
  'from pyspark import TaskContext',
  'def busy(_):',
  '    gpu = TaskContext.get().resources()["gpu"].addresses[0]',
  '    state = os.path.join(os.environ["FAKE_GPU_STATE_DIR"], gpu)',
  '    stop = os.path.join(os.environ["FAKE_GPU_STATE_DIR"], "stop")',
  '    with open(state + ".tmp", "w") as f:',
  `        f.write("util=${BUSY.util}\\nfb_used_mib=${BUSY.fbUsedMiB}\\n")`,
  '    os.replace(state + ".tmp", state)',
  '    deadline = time.time() + 120',
  '    while time.time() < deadline and not os.path.exists(stop):',
  '        time.sleep(0.2)',
  '    os.remove(state)',
  '    yield gpu, os.path.exists(stop)',
  'print("BUSY ON", sc.parallelize([0], 1).mapPartitions(busy).collect())'
].join('\n');

/** After the interrupt: the background job still runs; then its owner stops it (the walk goes on). */
const AFTER_CELL = [
  'tracker = sc.statusTracker()',
  'print("BACKGROUND", [str(tracker.getJobInfo(j).status) for j in tracker.getJobIdsForGroup("background")])',
  'sc.cancelJobGroup("background")',
  'worker.join(60)',
  'print("BACKGROUND STOPPED", background.get("error"))'
].join('\n');

describe('e2e/JupyterLab + sparkgate-lab on the Kubernetes backend', () => {
  const timings: Record<string, number> = {};
  const stack = useClusterLab({ gpus: 1, timings });
  let shot = 0;
  const screenshot = async (name: string): Promise<void> => {
    shot += 1;
    await stack.page.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`) });
  };
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = Date.now() - t0;
    }
  };
  const podsOf = async (component?: string) =>
    (
      await stack.k8s.core.listNamespacedPod({
        namespace: DEMO_NAMESPACE,
        labelSelector: ['app.kubernetes.io/managed-by=sparkgate', component ? `app.kubernetes.io/component=${component}` : ''].filter(Boolean).join(',')
      })
    ).items;

  /** Types `code` into the notebook's last cell and runs it (Shift+Enter). */
  const runLastCell = async (code: string): Promise<void> => {
    const notebook = stack.page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    await notebook.locator('.jp-Cell .cm-content').last().click();
    await stack.page.keyboard.insertText(code);
    await stack.page.keyboard.press('Shift+Enter');
  };

  beforeAll(async () => {
    await rm(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(() => {
    console.log(`e2e cluster timings (ms):\n${Object.entries(timings).map(([k, v]) => `  ${k.padEnd(32)} ${v}`).join('\n')}`);
  });

  it('should launch the GPU profile from the panel, show the waiting executor and why, run a job on the GPU executor, and cancel only an interrupted cell\'s job', async () => {
    const { page } = stack;
    await step('open lab', async () => {
      await page.goto(`${stack.lab.url}/lab?token=${LAB_TOKEN}`);
      await page.locator('.jp-LabShell').waitFor();
      await page.locator('.jp-SideBar.jp-mod-left [data-id="sparkgate-panel"]').waitFor();
    });
    await screenshot('lab-loaded');

    // --- the Spark panel: who, the tenant's GPUs, the GPU profile ------------------------------
    const me = await stack.call('GET', '/api/me');
    expect(me.body).toMatchObject({ user: USER, backend: 'kubernetes', simulatedGpus: true, limits: { gpus: 2 } });
    const panel = page.locator('#sparkgate-panel');
    await step('open panel', async () => {
      await page.locator('.jp-SideBar.jp-mod-left [data-id="sparkgate-panel"]').click();
      await panel.locator('.sg-ProfileCard[data-profile="pyspark-gpu"]').waitFor();
    });
    expect(await panel.locator('.sg-SparkPanel-who').innerText()).toContain(USER);
    await panel.locator('.sg-ProfileCard[data-profile="pyspark-gpu"]').click();
    await panel.locator('.sg-ProfileCard.sg-mod-selected[data-profile="pyspark-gpu"]').waitFor();
    const gpuTotal = await panel.locator('.sg-SizingForm-total[data-resource="gpus"]').innerText();
    expect(gpuTotal).toMatch(/\b2\b/);
    await screenshot('panel-gpu-profile');

    // --- Launch → the cluster is up with one executor waiting for a GPU ------------------------
    const launch = panel.locator('button.sg-SizingForm-launch');
    expect(await launch.isEnabled()).toBe(true);
    const item = panel.locator('.sg-ClusterList-item');
    const notebook = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const status = notebook.locator('.sg-SparkStatus');
    await step('launch → cluster listed', async () => {
      await launch.click();
      await item.waitFor({ timeout: 60_000 });
    });
    await screenshot('launching');
    await step('launch → notebook open, driver ready', async () => {
      await notebook.waitFor({ timeout: 240_000 });
      await status.locator('.sg-Chip', { hasText: 'Driver: Ready' }).waitFor({ timeout: 60_000 });
      await notebook.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor({ timeout: 60_000 });
    });
    const executorsText = status.locator('.sg-SparkStatus-executors');
    await step('one executor running, one pending', async () => {
      await executorsText.filter({ hasText: PENDING }).waitFor({ timeout: 120_000 });
      await item.locator('.sg-ClusterList-pending', { hasText: PENDING }).waitFor({ timeout: 30_000 });
    });
    // What the user reads: one of two up, one waiting, and the scheduler's words.
    expect(await executorsText.innerText()).toMatch(/^1\/2 executors · waiting: 0\/2 nodes are available: .*Insufficient nvidia\.com\/gpu/);
    expect(await item.locator('.sg-ClusterList-executors').innerText()).toBe('1/2 executors · 1 pending');
    expect(await item.locator('.sg-ClusterList-pending').innerText()).toMatch(/^Pending: 0\/2 nodes are available: .*Insufficient nvidia\.com\/gpu/);
    // The one GPU held (the running executor's), idle: the live numbers (gpuMetrics) say 0%.
    await status.locator('.sg-SparkStatus-gpus[data-util="0"]').waitFor({ timeout: 30_000 });
    expect(await status.locator('.sg-SparkStatus-gpus').innerText()).toBe('1 GPU · 0%');
    // The panel: the entry is not "Ready" while an executor waits, and the launch steps say why.
    expect(await item.locator('.sg-Chip').innerText()).toBe('Waiting for executors');
    const steps = panel.locator('.sg-LaunchProgress');
    await steps.locator('.sg-LaunchProgress-step', { hasText: 'Executors ready (1/2)' }).waitFor({ timeout: 30_000 });
    expect(await steps.innerText()).toMatch(/1 pending: 0\/2 nodes are available: .*Insufficient nvidia\.com\/gpu/);
    const [cluster] = (await stack.call('GET', '/api/clusters')).body.clusters as { id: string; executors: { ready: number; pending: number } }[];
    expect(cluster?.executors).toMatchObject({ ready: 1, pending: 1 });
    const executorPods = await podsOf('executor');
    expect(executorPods.map(p => p.status?.phase).sort()).toEqual(['Pending', 'Running']);
    const runningPod = executorPods.find(p => p.status?.phase === 'Running')?.metadata?.name;
    await item.scrollIntoViewIfNeeded();
    await screenshot('executor-pending');

    // --- the executors popup: one row per executor pod, the waiting one with its reason --------
    await step('executors popup', async () => {
      await executorsText.click();
      const popup = page.locator('.sg-ExecutorsPopup');
      await popup.waitFor();
      const executorRows = popup.locator('.sg-ExecutorsPopup-table .sg-ExecutorsPopup-row');
      await executorRows.nth(1).waitFor();
      expect(await executorRows.count()).toBe(2);
      const running = executorRows.and(page.locator('[data-state="running"]'));
      const pending = executorRows.and(page.locator('[data-state="pending"]'));
      expect(await running.count()).toBe(1);
      expect(await pending.count()).toBe(1);
      expect(await running.getAttribute('data-pod')).toBe(runningPod);
      // GPU addresses come from Spark, which the gateway asks while a cell runs: checked after the cell.
      expect(await pending.locator('.sg-ExecutorsPopup-reason').innerText()).toMatch(PENDING);
      // GPU use: one row, the running executor's GPU (the pending one holds none yet).
      const gpuRows = popup.getByRole('table', { name: 'GPU use' }).locator('.sg-ExecutorsPopup-row');
      await gpuRows.first().waitFor({ timeout: 30_000 });
      expect(await gpuRows.evaluateAll(rows => rows.map(r => (r as HTMLElement).dataset.pod))).toEqual([runningPod]);
      await screenshot('executors-popup');
      await page.keyboard.press('Escape');
      await popup.waitFor({ state: 'detached' });
    });

    // --- a Spark job on the GPU executor, with per-cell progress --------------------------------
    await notebook.locator('.jp-Cell .cm-content').first().click();
    await page.keyboard.insertText(GPU_CELL);
    const progress = notebook.locator('.sg-CellProgress').first();
    await step('run GPU cell', async () => {
      await page.keyboard.press('Shift+Enter');
      await progress.waitFor({ timeout: 60_000 });
      await notebook.locator('.jp-OutputArea-output', { hasText: 'SUM' }).waitFor({ timeout: 180_000 });
    });
    const output = await notebook.locator('.jp-OutputArea-output', { hasText: 'SUM' }).innerText();
    // Every task ran on the one running executor pod and saw its (fake) GPU.
    expect(output).toContain(`TASKS-ON ${runningPod} GPU GPU-fake-gpu-1-0`);
    expect(output.match(/TASKS-ON/g)).toHaveLength(1);
    expect(output).toContain(`SUM ${Array.from({ length: 1000 }, (_, i) => i * i).reduce((a, b) => a + b, 0)}`);
    await step('cell progress summary', () => progress.locator('.sg-CellProgress-summary').waitFor({ timeout: 30_000 }));
    expect(await progress.locator('.sg-CellProgress-summary').innerText()).toMatch(/^2 jobs · 2 stages · 12 tasks/);
    // Unfolded: one row per job, each bar full (8 and 4 tasks, all done).
    await progress.locator('.sg-CellProgress-toggle').click();
    await progress.locator('.sg-CellProgress-job').nth(1).waitFor();
    const bars = progress.locator('.sg-CellProgress-job .sg-CellProgress-bar');
    const counts = await bars.evaluateAll(nodes => nodes.map(n => [(n as HTMLElement).dataset.done, (n as HTMLElement).dataset.total]));
    expect(counts.map(([done, total]) => `${done}/${total}`).sort()).toEqual(['4/4', '8/8']);
    await screenshot('cell-done');

    // The executors popup again: the running executor's GPU is the fake device its tasks saw.
    await step('executors popup after the job', async () => {
      await executorsText.click();
      const popup = page.locator('.sg-ExecutorsPopup');
      await popup.locator('.sg-ExecutorsPopup-row[data-state="running"] .sg-ExecutorsPopup-gpus', { hasText: 'GPU-fake-gpu-1-0' }).waitFor({ timeout: 30_000 });
      expect(await popup.locator('.sg-ExecutorsPopup-row[data-state="pending"] .sg-ExecutorsPopup-reason').innerText()).toMatch(PENDING);
      await screenshot('executors-popup-gpu');
      await page.keyboard.press('Escape');
      await popup.waitFor({ state: 'detached' });
    });

    // --- interrupt: that cell's job is cancelled, the job queued behind it is not ---------------
    const cells = notebook.locator('.jp-Notebook .jp-Cell');
    const outputOf = (index: number) => cells.nth(index).locator('.jp-OutputArea-output');
    await step('interrupt one cell', async () => {
      const before = await cells.count();
      await runLastCell(BACKGROUND_CELL);
      await outputOf(before - 1).filter({ hasText: 'BACKGROUND WAITING' }).waitFor({ timeout: 60_000 });
      await runLastCell(SLOW_CELL);
      const slow = cells.nth(before);
      const slowProgress = slow.locator('.sg-CellProgress');
      // Its job's tasks run (the executor's one slot), and Spark has the background job queued behind.
      await slowProgress.locator('.sg-CellProgress-job .sg-CellProgress-bar:not([data-running="0"])').waitFor({ timeout: 120_000 });
      await waitUntil(
        async () => {
          const apps = (await stack.call('GET', `/ui/${cluster!.id}/api/v1/applications`)).body as { id: string }[];
          const jobs = apps[0] ? ((await stack.call('GET', `/ui/${cluster!.id}/api/v1/applications/${apps[0].id}/jobs?status=running`)).body as unknown[]) : [];
          return jobs.length === 2;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: "Spark running the slow cell's job and the background job" }
      );
      expect(await slow.locator('.jp-InputPrompt').innerText()).toContain('*');
      await slowProgress.scrollIntoViewIfNeeded();
      await screenshot('interrupt-before');
      const asked = Date.now();
      await notebook.locator('.jp-Toolbar [data-command="notebook:interrupt-kernel"]').click();
      const error = slow.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]', { hasText: 'KeyboardInterrupt' });
      await error.waitFor({ timeout: 60_000 });
      timings['interrupt → KeyboardInterrupt shown'] = Date.now() - asked;
      // What the user reads: a short KeyboardInterrupt, not the cancelled job's Py4J traceback.
      const shown = await slow.locator('.jp-OutputArea').innerText();
      expect(shown).toMatch(/KeyboardInterrupt/);
      expect([/py4j|Py4JJavaError|SparkException|SPARK_JOB_CANCELLED/i.test(shown), shown.length < 600]).toEqual([false, true]);
      // Its progress folds to a summary with its one job failed (cancelled).
      await slowProgress.locator('.sg-CellProgress-summary', { hasText: '1 failed' }).waitFor({ timeout: 30_000 });
      expect(await slowProgress.locator('.sg-CellProgress-summary').innerText()).toMatch(/^1 job · 1 stage · 2 tasks .*· 1 failed/);
      await slowProgress.locator('.sg-CellProgress-toggle').click();
      const job = slowProgress.locator('.sg-CellProgress-job');
      await job.waitFor();
      expect(await job.getAttribute('data-status')).toBe('failed');
      await slowProgress.scrollIntoViewIfNeeded();
      await screenshot('interrupted');
      // The job queued behind it, on the same kernel, was not cancelled: it runs on.
      await runLastCell(AFTER_CELL);
      const after = outputOf(before + 1);
      await after.filter({ hasText: 'BACKGROUND STOPPED' }).waitFor({ timeout: 90_000 });
      const text = await after.innerText();
      expect(text).toContain("BACKGROUND ['RUNNING']");
      // Stopped by its own job group's cancel, only now.
      expect(text).toMatch(/BACKGROUND STOPPED (Py4JJavaError|SparkException)/);
    });
  });

  // The same cluster and notebook as the walk above (one cluster per file).
  it("should show how busy the executor's GPU is while a cell's task uses it — the toolbar's mean, the executors popup's GPU row — and 0% once the task ends", async () => {
    const { page } = stack;
    const notebook = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const status = notebook.locator('.sg-SparkStatus');
    const gpusItem = status.locator('.sg-SparkStatus-gpus');
    const executorsText = status.locator('.sg-SparkStatus-executors');
    const popup = page.locator('.sg-ExecutorsPopup');
    const gpuRows = popup.getByRole('table', { name: 'GPU use' }).locator('.sg-ExecutorsPopup-row');
    /** A GPU row's cells, by column header. */
    const cellsOf = async (row: ReturnType<typeof gpuRows.first>): Promise<Record<string, string>> => {
      const headers = await popup.getByRole('table', { name: 'GPU use' }).getByRole('columnheader').allInnerTexts();
      const cells = await row.getByRole('cell').allInnerTexts();
      return Object.fromEntries(headers.map((h, i) => [h.trim().toLowerCase(), (cells[i] ?? '').trim()]));
    };
    /** DCGM's value of `name` for device `uuid`, as the exporter serves it (what Prometheus scrapes). */
    const exported = async (name: string, uuid: string): Promise<number | undefined> => {
      const text = await (await fetch(`${stack.k8s.cluster.gpuExporterUrl}/metrics`)).text();
      const line = text.split('\n').find(l => l.startsWith(`${name}{`) && l.includes(`UUID="${uuid}"`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };

    // The cluster's GPUs: the running executor's one (Spark's address = the device's UUID = its state file).
    const [cluster] = (await stack.call('GET', '/api/clusters')).body.clusters as { id: string; gpus: { held: number } }[];
    const running = (await podsOf('executor')).filter(p => p.status?.phase === 'Running');
    expect(running).toHaveLength(1);
    const pod = running[0]!.metadata!.name!;
    const executorId = running[0]!.metadata!.labels?.['spark-exec-id'];
    const held = stack.k8s.cluster.agent.pod(DEMO_NAMESPACE, pod)?.gpus ?? [];
    expect([cluster?.gpus.held, held]).toEqual([1, ['GPU-fake-gpu-1-0']]);
    const uuid = held[0]!;
    // What the user should read: the mean over every GPU the cluster holds (the others idle).
    const written: Record<string, number> = { [uuid]: BUSY.util };
    const mean = Math.round(held.reduce((sum, g) => sum + (written[g] ?? 0), 0) / cluster!.gpus.held);
    const heldText = cluster!.gpus.held === 1 ? '1 GPU' : `${cluster!.gpus.held} GPUs`;

    const cells = notebook.locator('.jp-Notebook .jp-Cell');
    const before = await cells.count();
    await step('busy GPU shown', async () => {
      await runLastCell(BUSY_CELL);
      const busyCell = cells.nth(before - 1);
      await busyCell.locator('.sg-CellProgress-job .sg-CellProgress-bar:not([data-running="0"])').waitFor({ timeout: 120_000 });
      await gpusItem.and(page.locator(`[data-util="${mean}"]`)).waitFor({ timeout: 30_000 });
    });
    expect(await gpusItem.innerText()).toBe(`${heldText} · ${mean}%`);
    expect(await gpusItem.getAttribute('title')).toContain(`Mean utilisation of ${heldText}: ${mean}%`);
    // The same number as the exporter serves and Prometheus holds for the cluster's pods.
    expect(await exported('DCGM_FI_DEV_GPU_UTIL', uuid)).toBe(BUSY.util);
    const series = await stack.prometheus.query(`DCGM_FI_DEV_GPU_UTIL{namespace="${DEMO_NAMESPACE}"}`);
    expect(series.map(x => [x.metric.UUID, x.metric.pod, x.value[1]])).toEqual([[uuid, pod, String(BUSY.util)]]);
    expect(Math.round(series.reduce((sum, x) => sum + Number(x.value[1]), 0) / cluster!.gpus.held)).toBe(mean);
    await notebook.locator('.sg-CellProgress').last().scrollIntoViewIfNeeded();
    await screenshot('gpu-busy-toolbar');

    // The executors popup: the GPU's row with the utilisation, memory used/total (GiB) and power the exporter serves.
    const used = await exported('DCGM_FI_DEV_FB_USED', uuid);
    const total = (used ?? 0) + ((await exported('DCGM_FI_DEV_FB_FREE', uuid)) ?? 0) + ((await exported('DCGM_FI_DEV_FB_RESERVED', uuid)) ?? 0);
    const gib = (mib: number): string => (mib / 1024).toFixed(1);
    expect(used).toBe(BUSY.fbUsedMiB);
    const rowOf = gpuRows.and(page.locator(`[data-pod="${pod}"][data-gpu="${uuid.slice(-1)}"]`));
    const shown = async (util: number, usedMiB: number): Promise<void> => {
      await rowOf.locator('.sg-ExecutorsPopup-util', { hasText: new RegExp(`^${util}%$`) }).waitFor({ timeout: 30_000 });
      expect(await gpuRows.count()).toBe(1);
      expect(await cellsOf(rowOf)).toEqual({
        executor: executorId,
        pod,
        gpu: uuid.slice(-1),
        utilisation: `${util}%`,
        memory: `${gib(usedMiB)} / ${gib(total)} GiB`,
        power: `${Math.round((await exported('DCGM_FI_DEV_POWER_USAGE', uuid)) ?? NaN)} W`
      });
    };
    await step('popup GPU row busy', async () => {
      await executorsText.click();
      await shown(BUSY.util, BUSY.fbUsedMiB);
    });
    await screenshot('gpu-busy-popup');
    const readme = process.env.SPARKGATE_README_SCREENSHOT;
    if (readme) {
      // The README's picture: a cell's Spark progress moving, and the executors popup open with its GPU busy.
      await page.keyboard.press('Escape');
      await popup.waitFor({ state: 'detached' });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.waitForFunction(() => window.innerWidth === 1280 && window.innerHeight === 800);
      await notebook.locator('.sg-CellProgress').last().scrollIntoViewIfNeeded();
      await executorsText.click();
      await rowOf.locator('.sg-ExecutorsPopup-util', { hasText: `${BUSY.util}%` }).waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.resolve(readme) });
    }

    // The task ends when told: the GPU reads idle again, live, in the open popup and the toolbar.
    await step('GPU idle again', async () => {
      await writeFile(path.join(stack.k8s.cluster.agent.pod(DEMO_NAMESPACE, pod)?.dir ?? '', 'gpu-state', 'stop'), '');
      await cells.nth(before - 1).locator('.jp-OutputArea-output', { hasText: 'BUSY ON' }).waitFor({ timeout: 60_000 });
      await shown(0, 0);
      await gpusItem.and(page.locator('[data-util="0"]')).waitFor({ timeout: 30_000 });
    });
    // It ended because of the test's file, not its time bound, on the GPU the popup showed.
    expect(await cells.nth(before - 1).locator('.jp-OutputArea-output').innerText()).toContain(`BUSY ON [('${uuid}', True)]`);
    expect(await gpusItem.innerText()).toBe(`${heldText} · 0%`);
    expect(await exported('DCGM_FI_DEV_GPU_UTIL', uuid)).toBe(0);
    await screenshot('gpu-idle-popup');
    await page.keyboard.press('Escape');
    await popup.waitFor({ state: 'detached' });
    if (readme) {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  // The same cluster and notebook as the walk above (one cluster per file).
  it('should keep the panel, the cell progress and the executors popup readable in the dark theme', async () => {
    const { page } = stack;
    const notebook = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const executorsText = notebook.locator('.sg-SparkStatus .sg-SparkStatus-executors');
    const progress = notebook.locator('.sg-CellProgress').first();
    // --- the dark theme: the panel, the cell's progress and the popup stay readable --------------
    await step('dark theme', async () => {
      await page.locator('.lm-MenuBar-item', { hasText: 'Settings' }).click();
      await page.locator('.lm-Menu-item', { hasText: /^Theme/ }).hover();
      await page.getByRole('menuitem', { name: 'JupyterLab Dark', exact: true }).click();
      await page.waitForFunction(() => document.body.dataset.jpThemeName === 'JupyterLab Dark' && document.body.dataset.jpThemeLight === 'false');
      // The theme's stylesheet is in: the panel is drawn on a dark background.
      await waitUntil(async () => (await backgroundLuminanceOf(page, '#sparkgate-panel .sg-ProfileCard')) < 0.05, { timeoutMs: 30_000, what: 'the panel on a dark background' });
      await progress.scrollIntoViewIfNeeded();
      await executorsText.click();
      const popup = page.locator('.sg-ExecutorsPopup');
      await popup.locator('.sg-ExecutorsPopup-row').nth(1).waitFor();
      const checked: Record<string, number> = {};
      const below: Record<string, unknown> = {};
      for (const [what, selector] of [
        ['profile cards', '#sparkgate-panel .sg-ProfileCard'],
        ['cell progress rows', '.jp-NotebookPanel:not(.lm-mod-hidden) .sg-CellProgress-job'],
        ['cell progress summary', '.jp-NotebookPanel:not(.lm-mod-hidden) .sg-CellProgress-header'],
        ['executors popup rows', '.sg-ExecutorsPopup-row'],
        ['executors popup header', '.sg-ExecutorsPopup-header']
      ] as const) {
        const result = await contrastOf(page, selector);
        expect([what, result.count > 0]).toEqual([what, true]);
        checked[what] = result.min;
        if (result.min < MIN_CONTRAST) {
          below[what] = result.worst;
        }
      }
      console.log(`e2e cluster dark theme: lowest text contrast (WCAG) per part: ${JSON.stringify(checked)}`);
      await page.locator('#sparkgate-panel .sg-ProfileCard').first().scrollIntoViewIfNeeded();
      await screenshot('dark-theme');
      await page.keyboard.press('Escape');
      await popup.waitFor({ state: 'detached' });
      // Every text of those parts at least 4.5:1 against what it is drawn on (WCAG AA).
      expect(below).toEqual({});
    });
  });

  it('should shut the cluster down from the command palette, leaving no pod', async () => {
    const { page } = stack;
    const panel = page.locator('#sparkgate-panel');
    const notebook = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const status = notebook.locator('.sg-SparkStatus');
    const item = panel.locator('.sg-ClusterList-item');
    const launch = panel.locator('button.sg-SizingForm-launch');
    // --- shut down from the command palette: nothing left in the namespace ----------------------
    await step('shut down (palette)', async () => {
      await page.keyboard.press('Escape'); // command mode: the shortcut is not the editor's
      await page.keyboard.press('Control+Shift+C');
      const palette = page.locator('.lm-CommandPalette');
      await palette.locator('input').fill('Shut Down the Spark Cluster');
      await palette.locator('.lm-CommandPalette-item:not(.lm-mod-disabled)', { hasText: 'Shut Down the Spark Cluster…' }).click();
      const dialog = page.locator('.jp-Dialog', { hasText: 'Shut down Spark cluster?' });
      await dialog.waitFor();
      expect(await dialog.innerText()).toContain('PySpark on GPUs: its driver and executors stop');
      await screenshot('shutdown-dialog');
      await dialog.locator('button.jp-mod-warn', { hasText: 'Shut down' }).click();
      await status.locator('.sg-Chip', { hasText: 'Spark cluster shut down' }).waitFor({ timeout: 60_000 });
      await item.waitFor({ state: 'detached', timeout: 60_000 });
      await panel.locator('.sg-ClusterList-empty', { hasText: 'No clusters running.' }).waitFor();
      // The tenant's GPUs are free again, and the same launch fits (usage is re-read after the list changes).
      await panel.locator('.sg-SizingForm-total[data-resource="gpus"]', { hasText: '2 of 2 left' }).waitFor({ timeout: 30_000 });
      expect(await launch.isEnabled()).toBe(true);
      // Enabled again (a disabled control is exempt in WCAG), in the dark theme of the test above.
      const launchText = await contrastOf(page, '#sparkgate-panel button.sg-SizingForm-launch');
      console.log(`e2e cluster dark theme: launch button text contrast ${launchText.min}`);
      expect({ count: launchText.count, readable: launchText.min >= MIN_CONTRAST ? true : launchText.worst }).toEqual({ count: 1, readable: true });
      await waitUntil(async () => (await podsOf()).length === 0, { timeoutMs: 60_000, intervalMs: 500, what: 'no sparkgate pod left in the tenant namespace' });
    });
    await screenshot('shut-down');
    expect((await stack.call('GET', '/api/clusters')).body).toEqual({ clusters: [] });
  });
});
