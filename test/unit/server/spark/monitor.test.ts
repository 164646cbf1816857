// The Spark monitor (issue 12, item 3): owned by the kernel side, it advances `spark-ready` and job
// progress through the kernel's mutator. A fake Spark REST client; the test drives the ticks.
import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../../server/src/log.js';
import type { CellProgress } from '@sparkgate/contract';
import { cellTag } from '../../../../server/src/spark/cellProgress.js';
import type { SparkExecutorInfo } from '../../../../server/src/spark/executorInfo.js';
import { SparkMonitor, type MonitoredKernel, type MonitoredStatus, type MonitorPatch } from '../../../../server/src/spark/monitor.js';
import type { JobProgress, SparkJob, SparkRestClient, SparkStage } from '../../../../server/src/spark/restClient.js';
import { waitUntil } from '../../../support/waitFor.js';

const JOB: JobProgress = { id: 3, name: 'count at <stdin>:1', stages: { done: 1, total: 2 }, tasks: { done: 5, running: 3, total: 10 } };

/** A kernel whose update() applies the patch and tells the monitor, as the manager does. */
function kernel(monitor: () => SparkMonitor, init: Partial<Pick<MonitoredKernel, 'state' | 'phase'>> & { spark?: boolean; sparkUi?: string | null }) {
  const updates: unknown[] = [];
  const k = {
    id: 'k1',
    profile: { spark: init.spark ?? true },
    launched: { sparkUi: init.sparkUi === undefined ? '127.0.0.1:4040' : init.sparkUi },
    state: init.state ?? 'idle',
    phase: init.phase ?? 'kernel-ready',
    job: null as JobProgress | null,
    update(patch: { phase?: 'spark-ready'; job?: JobProgress | null }) {
      const next = { phase: patch.phase ?? k.phase, job: patch.job === undefined ? k.job : patch.job };
      if (next.phase !== k.phase || JSON.stringify(next.job) !== JSON.stringify(k.job)) {
        updates.push(patch);
        Object.assign(k, next);
        monitor().update(k);
      }
    }
  };
  return { kernel: k, updates };
}

/** Delays off unless a test sets them (`clock` drives them); `client` overrides the fake REST client. */
function setup(client: Partial<SparkRestClient> = {}, delays: { progressAfterMs?: number; startCellAfterMs?: number } = {}) {
  const ticks = new Map<string, () => void>();
  let stops = 0;
  const asked: string[] = [];
  const clock = { ms: 0 };
  const monitor = new SparkMonitor({
    logger: silentLogger,
    intervalMs: 1000,
    progressAfterMs: delays.progressAfterMs ?? 0,
    startCellAfterMs: delays.startCellAfterMs ?? 0,
    now: () => clock.ms,
    client: hostPort => {
      asked.push(hostPort);
      return { applicationId: async () => 'app-1', runningJob: async () => null, ...client };
    },
    repeat: (tick, ms) => {
      expect(ms).toBe(1000);
      const key = String(ticks.size);
      ticks.set(key, tick);
      return () => {
        stops++;
        ticks.delete(key);
      };
    }
  });
  return { monitor, asked, clock, ticks, stops: () => stops, tickAll: () => [...ticks.values()].forEach(t => t()) };
}

describe('spark/monitor', () => {
  describe('#update()', () => {
    it('should take an idle Spark kernel from kernel-ready to spark-ready, then stop following it', async () => {
      const { monitor, asked, stops } = setup();
      const { kernel: k, updates } = kernel(() => monitor, {});
      monitor.update(k);
      expect(monitor.follows('k1')).toBe(true);
      await waitUntil(() => k.phase === 'spark-ready', { timeoutMs: 1000, what: 'spark-ready' });
      expect([updates, asked, monitor.follows('k1'), stops()]).toEqual([[{ phase: 'spark-ready' }], ['127.0.0.1:4040'], false, 1]);
    });

    it('should keep asking while the SparkContext is not up', async () => {
      let app: string | null = null;
      const { monitor, asked, tickAll } = setup({ applicationId: async () => app });
      const { kernel: k } = kernel(() => monitor, {});
      monitor.update(k);
      await waitUntil(() => asked.length === 1, { timeoutMs: 1000, what: 'the first ask' });
      tickAll();
      await waitUntil(() => asked.length === 2, { timeoutMs: 1000, what: 'the second ask' });
      expect(k.phase).toBe('kernel-ready');
      app = 'app-1';
      tickAll();
      await waitUntil(() => k.phase === 'spark-ready', { timeoutMs: 1000, what: 'spark-ready' });
    });

    it('should report the running job while busy and clear it once idle', async () => {
      let job: JobProgress | null = JOB;
      const { monitor, tickAll } = setup({ runningJob: async () => job });
      const { kernel: k, updates } = kernel(() => monitor, { state: 'busy', phase: 'spark-ready' });
      monitor.update(k);
      await waitUntil(() => k.job !== null, { timeoutMs: 1000, what: 'the job' });
      expect(k.job).toEqual(JOB);
      job = { ...JOB, tasks: { done: 9, running: 1, total: 10 } };
      tickAll();
      await waitUntil(() => k.job?.tasks.done === 9, { timeoutMs: 1000, what: 'progress' });
      k.state = 'idle';
      monitor.update(k);
      expect([k.job, monitor.follows('k1'), updates.length]).toEqual([null, false, 3]);
    });

    it('should leave alone kernels without Spark, without a UI, or idle and spark-ready', () => {
      const { monitor, asked } = setup();
      for (const init of [{ spark: false }, { sparkUi: null }, { phase: 'spark-ready' }, { state: 'starting' }]) {
        const { kernel: k } = kernel(() => monitor, init);
        monitor.update(k);
        expect([init, monitor.follows('k1')]).toEqual([init, false]);
      }
      expect(asked).toEqual([]);
    });

    it('should survive a Spark UI that fails, and try again on the next tick', async () => {
      let fail = true;
      const { monitor, asked, tickAll } = setup({
        applicationId: async () => {
          if (fail) {
            throw new Error('ECONNREFUSED');
          }
          return 'app-1';
        }
      });
      const { kernel: k } = kernel(() => monitor, {});
      monitor.update(k);
      await waitUntil(() => asked.length === 1, { timeoutMs: 1000, what: 'the first ask' });
      fail = false;
      tickAll();
      await waitUntil(() => k.phase === 'spark-ready', { timeoutMs: 1000, what: 'spark-ready' });
    });
  });

  // Spark's REST API (Jersey) costs the driver ~2 s of CPU on its first request (issue 15, item 5).
  describe('sparing the REST API', () => {
    it('should learn spark-ready from the UI answering, without asking the REST API', async () => {
      const rest: string[] = [];
      let up = false;
      const { monitor, tickAll } = setup({
        uiUp: async () => up,
        applicationId: async () => {
          rest.push('applications');
          return 'app-1';
        }
      });
      const { kernel: k } = kernel(() => monitor, {});
      monitor.update(k);
      await new Promise(resolve => setImmediate(resolve));
      expect(k.phase).toBe('kernel-ready');
      up = true;
      tickAll();
      await waitUntil(() => k.phase === 'spark-ready', { timeoutMs: 1000, what: 'spark-ready' });
      expect([rest, monitor.follows('k1')]).toEqual([[], false]);
    });

    it('should ask for job progress only once a cell has run progressAfterMs', async () => {
      const rest: string[] = [];
      const { monitor, clock, tickAll } = setup(
        {
          applicationId: async () => {
            rest.push('applications');
            return 'app-1';
          },
          runningJob: async () => JOB
        },
        { progressAfterMs: 1000, startCellAfterMs: 10_000 }
      );
      const { kernel: k } = kernel(() => monitor, { state: 'busy', phase: 'spark-ready' });
      clock.ms = 5000;
      monitor.update(k);
      clock.ms = 5999;
      tickAll();
      await new Promise(resolve => setImmediate(resolve));
      expect([rest, k.job]).toEqual([[], null]);
      clock.ms = 6000;
      tickAll();
      await waitUntil(() => k.job !== null, { timeoutMs: 1000, what: 'the job' });
      expect(rest).toEqual(['applications']);
      // A short cell (idle before progressAfterMs) never asks.
      k.state = 'idle';
      monitor.update(k);
      k.state = 'busy';
      clock.ms = 7000;
      monitor.update(k);
      k.state = 'idle';
      monitor.update(k);
      expect(rest).toEqual(['applications']);
    });

    it('should wait startCellAfterMs for a cell sent before Spark was up (the first answer), progressAfterMs after', async () => {
      const rest: string[] = [];
      let up = false;
      const { monitor, clock, tickAll } = setup(
        {
          uiUp: async () => up,
          applicationId: async () => {
            rest.push('applications');
            return 'app-1';
          },
          runningJob: async () => JOB
        },
        { progressAfterMs: 1000, startCellAfterMs: 10_000 }
      );
      const { kernel: k } = kernel(() => monitor, { state: 'busy' });
      monitor.update(k);
      await new Promise(resolve => setImmediate(resolve));
      up = true;
      clock.ms = 2000;
      tickAll();
      await waitUntil(() => k.phase === 'spark-ready', { timeoutMs: 1000, what: 'spark-ready' });
      clock.ms = 11_999;
      tickAll();
      await new Promise(resolve => setImmediate(resolve));
      expect([rest, k.job]).toEqual([[], null]);
      clock.ms = 12_000;
      tickAll();
      await waitUntil(() => k.job !== null, { timeoutMs: 1000, what: 'the job' });
      // The next cell is an ordinary one.
      k.state = 'idle';
      monitor.update(k);
      k.state = 'busy';
      clock.ms = 20_000;
      monitor.update(k);
      clock.ms = 21_000;
      tickAll();
      await waitUntil(() => rest.length === 2, { timeoutMs: 1000, what: 'the second cell’s progress' });
    });
  });

  describe('#remove() / #dispose()', () => {
    it('should stop following', () => {
      const { monitor, stops } = setup();
      const { kernel: a } = kernel(() => monitor, { state: 'busy', phase: 'spark-ready' });
      monitor.update(a);
      monitor.remove('k1');
      expect([monitor.follows('k1'), stops()]).toEqual([false, 1]);
      monitor.update(a);
      monitor.dispose();
      expect([monitor.follows('k1'), stops()]).toEqual([false, 2]);
    });
  });

  // Issue 16, item 1: the running cell's own jobs (by the tag the kernel gives them), a final
  // summary once it ends; item 3: Spark's executors.
  describe('cell progress and executors', () => {
    const CELL = 'cell-1';
    const NEXT = 'cell-2';

    function sparkJob(id: number, cell: string, over: Partial<SparkJob> = {}): SparkJob {
      return {
        jobId: id,
        name: `job ${id}`,
        status: 'RUNNING',
        jobTags: [cellTag(cell)],
        numTasks: 4,
        numActiveTasks: 2,
        numCompletedTasks: 1,
        numSkippedTasks: 0,
        numCompletedStages: 0,
        numSkippedStages: 0,
        stageIds: [id * 10],
        ...over
      };
    }

    function sparkStage(id: number, status: string, over: Partial<SparkStage> = {}): SparkStage {
      return { stageId: id, attemptId: 0, name: `stage ${id}`, status, numTasks: 4, numActiveTasks: 2, numCompleteTasks: 1, numFailedTasks: 0, ...over };
    }

    /** Spark as the fake REST client answers it; `asked` logs each request. */
    function fakeSpark() {
      const spark = { jobs: [] as SparkJob[], stages: [] as SparkStage[], executors: [] as SparkExecutorInfo[], asked: [] as string[] };
      const client: SparkRestClient = {
        uiUp: async () => true,
        applicationId: async () => 'app-1',
        runningJob: async () => null,
        jobs: async (_app, only) => {
          spark.asked.push(only ? `jobs?${only}` : 'jobs');
          return spark.jobs.filter(j => !only || j.status === 'RUNNING');
        },
        job: async (_app, id) => {
          spark.asked.push(`job ${id}`);
          return spark.jobs.find(j => j.jobId === id) ?? null;
        },
        stages: async (_app, status) => {
          spark.asked.push(`stages?${status}`);
          return spark.stages.filter(st => st.status === status.toUpperCase());
        },
        stage: async (_app, id) => {
          spark.asked.push(`stage ${id}`);
          return spark.stages.filter(st => st.stageId === id);
        },
        executors: async () => {
          spark.asked.push('executors');
          return spark.executors;
        }
      };
      return { spark, client };
    }

    /** A kernel with a cell, cell progress, executors and a backend status, applied as the manager does. */
    function cellKernel(monitor: () => SparkMonitor, init: { state?: string; phase?: string; cell?: string | null; status?: MonitoredStatus | null }) {
      const progress: CellProgress[] = [];
      let status = init.status ?? null;
      const k = {
        id: 'k1',
        profile: { spark: true },
        launched: { sparkUi: '127.0.0.1:4040', status: () => status },
        state: init.state ?? 'busy',
        phase: init.phase ?? 'spark-ready',
        cell: init.cell === undefined ? CELL : init.cell,
        job: null as JobProgress | null,
        cellProgress: null as CellProgress | null,
        sparkExecutors: null as readonly SparkExecutorInfo[] | null,
        update(patch: MonitorPatch) {
          const before = JSON.stringify([k.phase, k.job, k.cellProgress, k.sparkExecutors]);
          Object.assign(k, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
          if (patch.cellProgress && JSON.stringify(patch.cellProgress) !== JSON.stringify(progress.at(-1))) {
            progress.push(patch.cellProgress);
          }
          if (JSON.stringify([k.phase, k.job, k.cellProgress, k.sparkExecutors]) !== before) {
            monitor().update(k);
          }
        },
        /** A kernel change the manager reports (busy/idle, cell, backend status). */
        set(next: { state?: string; cell?: string | null; status?: MonitoredStatus | null }) {
          if (next.status !== undefined) {
            status = next.status;
          }
          Object.assign(k, { ...(next.state ? { state: next.state } : {}), ...(next.cell !== undefined ? { cell: next.cell } : {}) });
          monitor().update(k);
        }
      };
      return { kernel: k, progress };
    }

    function cellSetup(client: SparkRestClient, options: { executorsAfterMs?: number; progressAfterMs?: number } = {}) {
      const ticks = new Map<string, () => void>();
      const clock = { ms: 0 };
      const monitor = new SparkMonitor({
        logger: silentLogger,
        client: () => client,
        progressAfterMs: options.progressAfterMs ?? 0,
        startCellAfterMs: 0,
        executorsAfterMs: options.executorsAfterMs ?? 0,
        now: () => clock.ms,
        sleep: async () => undefined,
        repeat: tick => {
          const key = String(ticks.size);
          ticks.set(key, tick);
          return () => ticks.delete(key);
        }
      });
      return { monitor, clock, tickAll: () => [...ticks.values()].forEach(t => t()) };
    }

    it('should show the running cell’s own jobs with their stages while they change, then a final summary', async () => {
      const { spark, client } = fakeSpark();
      spark.jobs = [sparkJob(1, CELL), sparkJob(2, NEXT)];
      spark.stages = [sparkStage(10, 'ACTIVE'), sparkStage(20, 'ACTIVE')];
      const { monitor, tickAll } = cellSetup(client);
      const { kernel: k, progress } = cellKernel(() => monitor, {});
      monitor.update(k);
      await waitUntil(() => progress.length === 1, { timeoutMs: 1000, what: 'the first progress' });
      expect(progress[0]).toEqual({
        clusterId: 'k1',
        cell: CELL,
        running: true,
        waiting: null,
        jobs: [
          {
            id: 1,
            name: 'job 1',
            status: 'running',
            submittedAt: null,
            completedAt: null,
            uiPath: 'ui/k1/jobs/job/?id=1',
            tasks: { done: 1, running: 2, failed: 0, total: 4 },
            stages: [{ id: 10, name: 'stage 10', status: 'active', tasks: { done: 1, running: 2, failed: 0, total: 4 } }]
          }
        ]
      });
      spark.jobs[0] = sparkJob(1, CELL, { numCompletedTasks: 3, numActiveTasks: 1 });
      spark.stages[0] = sparkStage(10, 'ACTIVE', { numCompleteTasks: 3, numActiveTasks: 1 });
      tickAll();
      await waitUntil(() => progress.length === 2, { timeoutMs: 1000, what: 'progress' });
      expect(progress[1]?.jobs[0]?.stages[0]?.tasks).toEqual({ done: 3, running: 1, failed: 0, total: 4 });
      // The job ends, then the cell: one last ask says so.
      spark.jobs[0] = sparkJob(1, CELL, { status: 'SUCCEEDED', numCompletedTasks: 4, numActiveTasks: 0 });
      spark.stages[0] = sparkStage(10, 'COMPLETE', { numCompleteTasks: 4, numActiveTasks: 0 });
      k.set({ state: 'idle', cell: null });
      await waitUntil(() => progress.length === 3, { timeoutMs: 1000, what: 'the final summary' });
      expect(progress[2]).toMatchObject({ cell: CELL, running: false, jobs: [{ id: 1, status: 'succeeded', tasks: { done: 4, running: 0 }, stages: [{ status: 'complete' }] }] });
      // First ask: every job (some may have run before it); then running ones; the final: every job.
      expect(spark.asked.filter(a => a.startsWith('jobs'))).toEqual(['jobs', 'jobs?running', 'jobs']);
      expect(monitor.follows('k1')).toBe(false);
      expect(progress.every(p => p.jobs.every(j => j.id === 1))).toBe(true);
    });

    it('should ask again at the end while Spark still says the cell’s job runs (its listener is behind)', async () => {
      const { spark, client } = fakeSpark();
      spark.jobs = [sparkJob(1, CELL)];
      const { monitor } = cellSetup(client);
      const { kernel: k, progress } = cellKernel(() => monitor, {});
      monitor.update(k);
      await waitUntil(() => progress.length === 1, { timeoutMs: 1000, what: 'the first progress' });
      let finalAsks = 0;
      const jobs = client.jobs!.bind(client);
      client.jobs = async (app, only) => {
        if (!only && ++finalAsks === 2) {
          spark.jobs = [sparkJob(1, CELL, { status: 'FAILED', numActiveTasks: 0 })];
        }
        return jobs(app, only);
      };
      k.set({ state: 'idle', cell: null });
      await waitUntil(() => progress.length === 2, { timeoutMs: 1000, what: 'the final summary' });
      expect([finalAsks, progress[1]?.running, progress[1]?.jobs[0]?.status]).toEqual([2, false, 'failed']);
    });

    it('should keep two cells apart and give a cell that was never asked no summary', async () => {
      const { spark, client } = fakeSpark();
      spark.jobs = [sparkJob(1, CELL, { status: 'SUCCEEDED' }), sparkJob(2, NEXT)];
      const { monitor } = cellSetup(client);
      const { kernel: k, progress } = cellKernel(() => monitor, { cell: NEXT });
      monitor.update(k);
      await waitUntil(() => progress.length === 1, { timeoutMs: 1000, what: 'the second cell’s progress' });
      expect(progress[0]?.jobs.map(j => j.id)).toEqual([2]);
      k.set({ state: 'idle', cell: null });
      await waitUntil(() => progress.length === 2, { timeoutMs: 1000, what: 'its final summary' });
      expect(progress.map(p => [p.cell, p.jobs.map(j => j.id)])).toEqual([
        [NEXT, [2]],
        [NEXT, [2]]
      ]);
      // A cell that ends before the monitor asks anything (a short one) gets nothing.
      const short = cellSetup(client, { progressAfterMs: 1000 });
      const { kernel: shortKernel, progress: shortProgress } = cellKernel(() => short.monitor, { cell: 'cell-3' });
      short.monitor.update(shortKernel);
      expect(short.monitor.follows('k1')).toBe(true);
      const asked = spark.asked.length;
      short.tickAll();
      await new Promise(resolve => setImmediate(resolve));
      shortKernel.set({ state: 'idle', cell: null });
      await new Promise(resolve => setImmediate(resolve));
      expect([shortProgress, spark.asked.length, short.monitor.follows('k1')]).toEqual([[], asked, false]);
    });

    it('should show nothing of a cell that runs no Spark job', async () => {
      const { spark, client } = fakeSpark();
      const { monitor, tickAll } = cellSetup(client);
      const { kernel: k, progress } = cellKernel(() => monitor, {});
      monitor.update(k);
      await waitUntil(() => spark.asked.includes('jobs'), { timeoutMs: 1000, what: 'the first ask' });
      await new Promise(resolve => setImmediate(resolve));
      tickAll();
      await waitUntil(() => spark.asked.includes('jobs?running'), { timeoutMs: 1000, what: 'the second ask' });
      k.set({ state: 'idle', cell: null });
      await waitUntil(() => spark.asked.filter(a => a === 'jobs').length === 2, { timeoutMs: 1000, what: 'the final ask' });
      await new Promise(resolve => setImmediate(resolve));
      expect([progress, k.cellProgress]).toEqual([[], null]);
    });

    it('should say why a cell’s job runs no task when no executor is ready, in the backend’s words', async () => {
      const { spark, client } = fakeSpark();
      spark.jobs = [sparkJob(1, CELL, { numActiveTasks: 0 })];
      const reason = '0/2 nodes are available: 2 Insufficient nvidia.com/gpu';
      const { monitor, tickAll } = cellSetup(client);
      const { kernel: k, progress } = cellKernel(() => monitor, { status: { executors: { ready: 0, pendingReason: reason } } });
      monitor.update(k);
      await waitUntil(() => progress.length === 1, { timeoutMs: 1000, what: 'the first progress' });
      expect(progress[0]?.waiting).toBe(`Waiting for executors: ${reason}`);
      k.set({ status: { executors: { ready: 1, pendingReason: null } } });
      spark.jobs = [sparkJob(1, CELL, { numActiveTasks: 1 })];
      tickAll();
      await waitUntil(() => progress.length === 2, { timeoutMs: 1000, what: 'progress' });
      expect(progress[1]?.waiting).toBeNull();
    });

    it('should ask Spark’s executors after spark-ready, every few busy ticks, and when the ready count changes', async () => {
      const { spark, client } = fakeSpark();
      spark.executors = [{ id: 'driver', hostPort: '127.0.0.1:4041', isActive: true, cores: 2, gpuAddresses: [], activeTasks: 0, completedTasks: 0, failedTasks: 0 }];
      const { monitor, clock, tickAll } = cellSetup(client, { executorsAfterMs: 3000 });
      const { kernel: k } = cellKernel(() => monitor, { state: 'idle', phase: 'kernel-ready', cell: null, status: { executors: { ready: 0, pendingReason: null } } });
      monitor.update(k);
      await waitUntil(() => k.phase === 'spark-ready', { timeoutMs: 1000, what: 'spark-ready' });
      expect([spark.asked, monitor.follows('k1')]).toEqual([[], true]);
      clock.ms = 3000;
      tickAll();
      await waitUntil(() => k.sparkExecutors !== null, { timeoutMs: 1000, what: 'the executors' });
      expect([spark.asked, monitor.follows('k1')]).toEqual([['executors'], false]);
      // Busy: the first asking tick and every 5th.
      k.set({ state: 'busy', cell: CELL });
      for (let i = 0; i < 6; i++) {
        const before = spark.asked.length;
        tickAll();
        await waitUntil(() => spark.asked.length > before, { timeoutMs: 1000, what: `tick ${i}` });
      }
      expect(spark.asked.filter(a => a === 'executors')).toHaveLength(3);
      k.set({ state: 'idle', cell: null });
      await waitUntil(() => !monitor.follows('k1'), { timeoutMs: 1000, what: 'idle' });
      // The backend sees an executor come: Spark is asked a little later.
      k.set({ status: { executors: { ready: 1, pendingReason: null } } });
      expect(monitor.follows('k1')).toBe(true);
      spark.executors = [...spark.executors, { ...spark.executors[0]!, id: '1', hostPort: '10.0.0.5:4041' }];
      await new Promise(resolve => setImmediate(resolve)); // the tick at the change (not due yet) is done
      expect(spark.asked.filter(a => a === 'executors')).toHaveLength(3);
      clock.ms = 10_000;
      tickAll();
      await waitUntil(() => k.sparkExecutors?.length === 2, { timeoutMs: 1000, what: 'the new executor' });
      expect(monitor.follows('k1')).toBe(false);
    });

    it('should ask again while Spark has registered fewer executors than the backend sees running, then stop', async () => {
      const { spark, client } = fakeSpark();
      const driver: SparkExecutorInfo = { id: 'driver', hostPort: '10.0.0.4:4041', isActive: true, cores: 0, gpuAddresses: [], activeTasks: 0, completedTasks: 0, failedTasks: 0 };
      spark.executors = [driver];
      const { monitor, clock, tickAll } = cellSetup(client, { executorsAfterMs: 3000 });
      // The pod runs; its executor has not registered with the driver yet.
      const { kernel: k } = cellKernel(() => monitor, { state: 'idle', phase: 'kernel-ready', cell: null, status: { executors: { ready: 1, pendingReason: null } } });
      monitor.update(k);
      await waitUntil(() => k.phase === 'spark-ready', { timeoutMs: 1000, what: 'spark-ready' });
      clock.ms = 3000;
      tickAll();
      await waitUntil(() => k.sparkExecutors !== null, { timeoutMs: 1000, what: 'the first ask' });
      expect(monitor.follows('k1')).toBe(true);
      // Not due again yet: nothing asked.
      tickAll();
      await new Promise(resolve => setImmediate(resolve));
      expect(spark.asked.filter(a => a === 'executors')).toHaveLength(1);
      // Registered now, and asked again when due: GPU addresses without any cell.
      spark.executors = [driver, { ...driver, id: '1', hostPort: '10.0.0.5:4041', cores: 1, gpuAddresses: ['GPU-0'] }];
      clock.ms = 6000;
      tickAll();
      await waitUntil(() => k.sparkExecutors?.length === 2, { timeoutMs: 1000, what: 'the registered executor' });
      expect(k.sparkExecutors?.[1]?.gpuAddresses).toEqual(['GPU-0']);
      expect(monitor.follows('k1')).toBe(false);
      expect(spark.asked.filter(a => a === 'executors')).toHaveLength(2);
    });

    it('should give up asking after a bounded number of tries when an executor never registers', async () => {
      const { spark, client } = fakeSpark();
      spark.executors = [{ id: 'driver', hostPort: '10.0.0.4:4041', isActive: true, cores: 0, gpuAddresses: [], activeTasks: 0, completedTasks: 0, failedTasks: 0 }];
      const { monitor, clock, tickAll } = cellSetup(client, { executorsAfterMs: 1000 });
      const { kernel: k } = cellKernel(() => monitor, { state: 'idle', phase: 'kernel-ready', cell: null, status: { executors: { ready: 2, pendingReason: null } } });
      monitor.update(k);
      await waitUntil(() => k.phase === 'spark-ready', { timeoutMs: 1000, what: 'spark-ready' });
      for (let i = 1; i <= 20 && monitor.follows('k1'); i++) {
        const before = spark.asked.length;
        clock.ms = i * 1000;
        tickAll();
        await waitUntil(() => spark.asked.length > before || !monitor.follows('k1'), { timeoutMs: 1000, what: `ask ${i}` });
      }
      expect(monitor.follows('k1')).toBe(false);
      // The first ask plus 10 more.
      expect(spark.asked.filter(a => a === 'executors')).toHaveLength(11);
    });
  });
});
