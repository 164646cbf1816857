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

function setup(client: Partial<SparkRestClient> = {}) {
  const ticks = new Map<string, () => void>();
  let stops = 0;
  const asked: string[] = [];
  const monitor = new SparkMonitor({
    logger: silentLogger,
    intervalMs: 1000,
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
  return { monitor, asked, ticks, stops: () => stops, tickAll: () => [...ticks.values()].forEach(t => t()) };
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
