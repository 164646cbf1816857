import { describe, expect, it } from '@jest/globals';
import type { SweptObject } from '../../../../server/src/backends/types.js';
import { Reaper, type TimerFn } from '../../../../server/src/fleet/reaper.js';
import { createLogger } from '../../../../server/src/log.js';

/** Timers the test fires by hand. */
class FakeTimers {
  readonly pending: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  readonly timer: TimerFn = (fn, ms) => {
    const entry = { fn, ms, cancelled: false };
    this.pending.push(entry);
    return () => (entry.cancelled = true);
  };
  fire(): void {
    const next = this.pending.shift();
    if (!next || next.cancelled) {
      throw new Error('no live timer');
    }
    next.fn();
  }
}

const settle = () => new Promise(resolve => setImmediate(resolve));

function setup(sweeps: Array<SweptObject[] | Error>, intervalMs = 60_000) {
  const calls: Array<{ namespaces: readonly string[]; known: string[] }> = [];
  const lines: Array<Record<string, unknown>> = [];
  const timers = new FakeTimers();
  let known = new Set(['k1']);
  const reaper = new Reaper({
    backend: {
      sweep: async (namespaces, ids) => {
        calls.push({ namespaces, known: [...ids] });
        const next = sweeps.shift() ?? [];
        if (next instanceof Error) {
          throw next;
        }
        return next;
      }
    },
    namespaces: () => ['tenant-a', 'tenant-b'],
    known: () => known,
    intervalMs,
    logger: createLogger({ level: 'debug', write: line => lines.push(JSON.parse(line) as Record<string, unknown>) }),
    timer: timers.timer
  });
  return { reaper, calls, lines, timers, setKnown: (ids: string[]) => (known = new Set(ids)) };
}

const orphan: SweptObject = { kind: 'Pod', namespace: 'tenant-a', name: 'sg-x-exec-1', reason: 'executor whose driver pod sg-x is gone' };

describe('fleet/reaper', () => {
  describe('#start()', () => {
    it('should sweep at once, then once per interval with the kernels known at that time, logging each removal with what and why', async () => {
      const { reaper, calls, lines, timers, setKnown } = setup([[orphan], []]);
      reaper.start();
      reaper.start();
      await settle();
      expect(calls).toEqual([{ namespaces: ['tenant-a', 'tenant-b'], known: ['k1'] }]);
      expect(lines.filter(l => l.message === 'orphan removed')).toEqual([
        expect.objectContaining({ level: 'warn', kind: 'Pod', namespace: 'tenant-a', name: 'sg-x-exec-1', reason: 'executor whose driver pod sg-x is gone' })
      ]);
      expect(timers.pending.map(t => t.ms)).toEqual([60_000]);
      setKnown(['k1', 'k2']);
      timers.fire();
      await settle();
      expect(calls.map(c => c.known)).toEqual([['k1'], ['k1', 'k2']]);
      await reaper.stop();
    });

    it('should keep sweeping after a failed sweep, and say it failed', async () => {
      const { reaper, calls, lines, timers } = setup([new Error('API down'), []]);
      reaper.start();
      await settle();
      expect(lines.at(-1)).toMatchObject({ level: 'warn', message: 'orphan sweep failed; trying again at the next interval', error: 'API down' });
      timers.fire();
      await settle();
      expect(calls).toHaveLength(2);
      await reaper.stop();
    });

    it('should not sweep with interval 0 or a backend without sweep', async () => {
      const off = setup([], 0);
      off.reaper.start();
      await settle();
      expect([off.reaper.enabled, off.calls.length]).toEqual([false, 0]);
      const local = new Reaper({ backend: {}, namespaces: () => [], known: () => new Set(), intervalMs: 1000, logger: createLogger({ level: 'silent' }) });
      local.start();
      expect(local.enabled).toBe(false);
      await expect(local.sweepOnce()).resolves.toEqual([]);
    });
  });

  describe('#stop()', () => {
    it('should cancel the next sweep and wait for the one in flight', async () => {
      const { reaper, timers, calls } = setup([[]]);
      reaper.start();
      const stopped = reaper.stop();
      await stopped;
      await settle();
      expect(calls).toHaveLength(1);
      // No timer after stop (or the only one cancelled).
      expect(timers.pending.every(t => t.cancelled)).toBe(true);
      reaper.start();
      expect(calls).toHaveLength(1);
    });
  });
});

// Replicas (issue 13, item 4): only the Lease holder sweeps; a follower checks again soon and
// sweeps at once when it becomes the leader.
describe('fleet/reaper among replicas', () => {
  it('should not sweep while another replica leads, and sweep as soon as this one does', async () => {
    let leading = false;
    const calls: number[] = [];
    const timers = new FakeTimers();
    const reaper = new Reaper({
      backend: { sweep: async () => (calls.push(1), []) },
      namespaces: () => ['tenant-a'],
      known: () => new Set(),
      intervalMs: 300_000,
      logger: createLogger({ level: 'error', write: () => undefined }),
      timer: timers.timer,
      isLeader: () => leading
    });
    reaper.start();
    await settle();
    expect([calls.length, reaper.sweeps, timers.pending[0]?.ms]).toEqual([0, 0, 5000]);
    leading = true;
    timers.fire();
    await settle();
    expect([calls.length, reaper.sweeps, timers.pending[0]?.ms]).toEqual([1, 1, 300_000]);
    await reaper.stop();
  });
});
