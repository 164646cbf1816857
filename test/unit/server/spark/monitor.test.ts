// The Spark monitor (issue 12, item 3): owned by the kernel side, it advances `spark-ready` and job
// progress through the kernel's mutator. A fake Spark REST client; the test drives the ticks.
import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../../server/src/log.js';
import { SparkMonitor, type MonitoredKernel } from '../../../../server/src/spark/monitor.js';
import type { JobProgress, SparkRestClient } from '../../../../server/src/spark/restClient.js';
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
});
