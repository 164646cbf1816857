import { describe, expect, it } from '@jest/globals';
import type { ITrans } from '../../../extension/src/trans.js';
import {
  clusterForKernel,
  clusterForNotebook,
  cullNotice,
  driverStatus,
  executorsInline,
  executorsText,
  executorsTitle,
  formatUptime,
  isClusterKernelName,
  jobBar,
  launchSteps,
  relaunchedCluster,
  stateLabel,
  toolbarView
} from '../../../extension/src/status.js';
import type { IToolbarFacts } from '../../../extension/src/status.js';
import { cluster } from './fixtures.js';

describe('extension/status', () => {
  describe('#driverStatus()', () => {
    it('should show Pending with the scheduler reason while scheduling', () => {
      const c = cluster({
        state: 'launching',
        phase: 'scheduling',
        driver: { state: 'Pending', reason: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.', gpus: 1 }
      });
      expect(driverStatus(c)).toEqual({
        label: 'Pending',
        reason: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
        tone: 'pending'
      });
    });

    it('should show Starting while pulling or starting', () => {
      expect(driverStatus(cluster({ state: 'launching', phase: 'pulling' })).label).toBe('Starting');
      expect(driverStatus(cluster({ state: 'launching', phase: 'kernel-ready' })).label).toBe('Starting');
    });

    it('should map ready, busy, dead and failed', () => {
      expect(driverStatus(cluster({ state: 'ready' })).label).toBe('Ready');
      expect(driverStatus(cluster({ state: 'busy' })).label).toBe('Busy');
      expect(driverStatus(cluster({ state: 'dead' })).label).toBe('Dead');
      expect(driverStatus(cluster({ state: 'failed', reason: 'ErrImagePull' }))).toEqual({
        label: 'Failed',
        reason: 'ErrImagePull',
        tone: 'error'
      });
    });
  });

  describe('#stateLabel()', () => {
    it('should label every state', () => {
      expect(stateLabel('requested')).toBe('Requested');
      expect(stateLabel('launching')).toBe('Launching');
    });
  });

  describe('#launchSteps()', () => {
    it('should mark steps before the phase done and the phase active', () => {
      expect(launchSteps('pulling', 'launching').map(s => s.status)).toEqual(['done', 'done', 'active', 'todo', 'todo']);
    });

    it('should mark the step a launch failed at', () => {
      expect(launchSteps('scheduling', 'failed').map(s => s.status)).toEqual(['done', 'failed', 'todo', 'todo', 'todo']);
    });

    it('should mark everything done at Spark ready', () => {
      expect(launchSteps('spark-ready', 'ready').every(s => s.status === 'done')).toBe(true);
    });

    it('should start at Requested when there is no phase yet', () => {
      expect(launchSteps(null, 'requested')[0]).toEqual({ label: 'Requested', status: 'active' });
    });
  });

  describe('#executorsText()', () => {
    it('should show ready/desired and pending', () => {
      expect(executorsText(cluster())).toBe('2/2 executors');
      expect(
        executorsText(cluster({ executors: { ready: 1, pending: 2, desired: 3, pendingReason: 'Insufficient nvidia.com/gpu', list: [] } }))
      ).toBe('1/3 executors · 2 pending');
    });

    it('should put the pending reason in the hover text', () => {
      const c = cluster({ executors: { ready: 1, pending: 2, desired: 3, pendingReason: 'Insufficient nvidia.com/gpu', list: [] } });
      expect(executorsTitle(c)).toBe('1 ready, 2 pending, 3 desired\nPending: Insufficient nvidia.com/gpu');
    });
  });

  describe('#formatUptime()', () => {
    const start = '2026-01-01T00:00:00.000Z';
    const t0 = Date.parse(start);
    it('should format seconds, minutes, hours and days', () => {
      expect(formatUptime(start, t0 + 45_000)).toBe('45s');
      expect(formatUptime(start, t0 + 12 * 60_000)).toBe('12m');
      expect(formatUptime(start, t0 + (3 * 60 + 5) * 60_000)).toBe('3h 05m');
      expect(formatUptime(start, t0 + 52 * 3_600_000)).toBe('2d 4h');
    });

    it('should not go negative on clock skew and survive a bad date', () => {
      expect(formatUptime(start, t0 - 5000)).toBe('0s');
      expect(formatUptime('nope', t0)).toBe('—');
    });
  });

  describe('#jobBar()', () => {
    it('should compute done and running fractions of tasks', () => {
      const bar = jobBar({
        id: 3,
        name: 'count at <stdin>:1',
        stages: { done: 1, total: 4 },
        tasks: { done: 100, running: 50, total: 400 }
      });
      expect(bar.done).toBe(0.25);
      expect(bar.running).toBe(0.125);
      expect(bar.label).toBe('Job 3: stages 1/4, tasks 100/400');
    });

    it('should not divide by zero', () => {
      const bar = jobBar({ id: 1, name: 'x', stages: { done: 0, total: 0 }, tasks: { done: 0, running: 0, total: 0 } });
      expect([bar.done, bar.running]).toEqual([0, 0]);
    });
  });

  describe('#clusterForKernel()', () => {
    it('should find the cluster by kernel id', () => {
      const a = cluster({ id: 'a', kernelId: 'k-a' });
      const b = cluster({ id: 'b', kernelId: 'k-b' });
      expect(clusterForKernel([a, b], 'k-b')).toBe(b);
      expect(clusterForKernel([a, b], 'k-c')).toBeUndefined();
      expect(clusterForKernel([cluster()], null)).toBeUndefined();
      expect(clusterForKernel([cluster({ kernelId: '' })], '')).toBeUndefined();
    });
  });

  describe('#isClusterKernelName()', () => {
    it('should recognise <kernelspec>--<cluster id>', () => {
      expect(isClusterKernelName('pyspark-gpu--a1b2c3')).toBe(true);
      expect(isClusterKernelName('pyspark--0f8e2a4c-3b1d-4e5f-9a7b-1c2d3e4f5a6b')).toBe(true);
      expect(isClusterKernelName('python3')).toBe(false);
      expect(isClusterKernelName('pyspark--')).toBe(false);
      expect(isClusterKernelName(undefined)).toBe(false);
    });
  });

  describe('#executorsInline()', () => {
    it("should show why executors wait inline, with the count", () => {
      const c = cluster({
        executors: { ready: 0, pending: 2, desired: 2, pendingReason: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu', list: [] }
      });
      expect(executorsInline(c)).toEqual({
        text: '0/2 executors · waiting: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu',
        label: '0/2 executors · waiting: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu. Show the executors',
        pending: true
      });
    });

    it('should show the count (and how many wait, without a reason) otherwise', () => {
      expect(executorsInline(cluster()).text).toBe('2/2 executors');
      expect(executorsInline(cluster()).pending).toBe(false);
      expect(executorsInline(cluster({ executors: { ready: 0, pending: 1, desired: 1, pendingReason: null, list: [] } })).text).toBe('0/1 executor · 1 pending');
    });
  });

  describe('translations', () => {
    it('should pass every toolbar string through the bundle, plurals through _n', () => {
      const calls: string[] = [];
      const trans: ITrans = {
        __: (msgid: string, ...args: unknown[]) => {
          calls.push(msgid);
          return `«${msgid}»${args.length ? `(${args.join(',')})` : ''}`;
        },
        _n: (msgid: string, plural: string, n: number, ...args: unknown[]) => {
          calls.push(`${msgid}|${plural}`);
          return `«${n === 1 ? msgid : plural}»(${[n, ...args].join(',')})`;
        }
      };
      const c = cluster({ executors: { ready: 1, pending: 1, desired: 2, pendingReason: 'Insufficient nvidia.com/gpu', list: [] } });
      expect(executorsInline(c, trans).text).toBe('«%1 · waiting: %2»(«%2/%1 executors»(2,1),Insufficient nvidia.com/gpu)');
      expect(stateLabel('ready', trans)).toBe('«Ready»');
      expect(launchSteps('pulling', 'launching', trans)[2]?.label).toBe('«Pulling image / starting»');
      expect(jobBar({ id: 3, name: 'n', stages: { done: 1, total: 4 }, tasks: { done: 1, running: 0, total: 2 } }, trans).label).toBe('«Job %1: stages %2/%3, tasks %4/%5»(3,1,4,1,2)');
      const cull = cullNotice({ state: 'ready', cullAt: '2026-01-01T00:05:00Z', idleSince: '2026-01-01T00:00:00Z' }, Date.parse('2026-01-01T00:00:00Z'), () => '14:02', trans);
      expect(cull?.text).toBe('«shutting down %1 — idle since %2»(«in %1 min»(5),14:02)');
      expect(calls).toContain('%2/%1 executor|%2/%1 executors');
    });
  });

  describe('#clusterForNotebook()', () => {
    const a = cluster({ id: 'a', kernelId: 'a', kernelName: 'gpu--a' });
    const b = cluster({ id: 'b', kernelId: 'b', kernelName: 'gpu--b' });

    it('should find the cluster by kernel id, then by kernel name', () => {
      expect(clusterForNotebook([a, b], { id: 'b', name: 'gpu--b' })).toBe(b);
      expect(clusterForNotebook([a, b], { id: 'other', name: 'gpu--a' })).toBe(a);
    });

    it('should find the cluster a notebook without a kernel is starting', () => {
      expect(clusterForNotebook([a, b], { pendingName: 'gpu--b' })).toBe(b);
      // Once a kernel is attached, its own id and name decide.
      expect(clusterForNotebook([a, b], { id: 'python', name: 'python3', pendingName: 'gpu--b' })).toBeUndefined();
      expect(clusterForNotebook([a, b], { pendingName: 'gpu' })).toBeUndefined();
    });
  });

  describe('#toolbarView()', () => {
    const facts = (over: Partial<IToolbarFacts> = {}): IToolbarFacts => ({
      cluster: undefined,
      kernelName: undefined,
      clusterGone: false,
      connection: 'connected',
      hasSnapshot: true,
      hasShape: false,
      emptyNotebook: false,
      ...over
    });

    it("should show the notebook's cluster, with no relaunch offer while it is live", () => {
      for (const state of ['requested', 'launching', 'ready', 'busy'] as const) {
        expect(toolbarView(facts({ cluster: { state }, kernelName: 'gpu--a', hasShape: true }))).toEqual({ mode: 'cluster', relaunch: false });
      }
    });

    it('should offer to relaunch a dead cluster of a notebook with a shape', () => {
      expect(toolbarView(facts({ cluster: { state: 'dead' }, kernelName: 'gpu--a', hasShape: true }))).toEqual({ mode: 'cluster', relaunch: true });
    });

    it('should say the cluster was shut down once the listed clusters lack it, with the relaunch offer', () => {
      expect(toolbarView(facts({ kernelName: 'gpu--a', hasShape: true }))).toEqual({ mode: 'shut-down', relaunch: true });
      expect(toolbarView(facts({ kernelName: 'gpu--a' }))).toEqual({ mode: 'shut-down', relaunch: false });
      // A plain-named kernel whose cluster this notebook showed, gone from the store.
      expect(toolbarView(facts({ kernelName: 'gpu', clusterGone: true, hasShape: true }))).toEqual({ mode: 'shut-down', relaunch: true });
    });

    it('should not offer a relaunch on a blank notebook', () => {
      expect(toolbarView(facts({ kernelName: 'gpu--a', hasShape: true, emptyNotebook: true }))).toEqual({ mode: 'shut-down', relaunch: false });
      expect(toolbarView(facts({ hasShape: true, emptyNotebook: true }))).toEqual({ mode: 'none', relaunch: false });
    });

    it('should say starting only until the clusters are listed', () => {
      expect(toolbarView(facts({ kernelName: 'gpu--a', hasSnapshot: false, connection: 'connecting' }))).toEqual({ mode: 'starting', relaunch: false });
    });

    it('should offer the relaunch for a shared notebook without a cluster, and stay hidden for other notebooks', () => {
      expect(toolbarView(facts({ kernelName: 'gpu', hasShape: true }))).toEqual({ mode: 'relaunch', relaunch: true });
      expect(toolbarView(facts({ kernelName: undefined, hasShape: true }))).toEqual({ mode: 'relaunch', relaunch: true });
      expect(toolbarView(facts({ kernelName: 'python3' }))).toEqual({ mode: 'none', relaunch: false });
      // Before the clusters are listed, absence means nothing yet.
      expect(toolbarView(facts({ kernelName: 'gpu', hasShape: true, hasSnapshot: false }))).toEqual({ mode: 'none', relaunch: false });
    });

    it('should say the gateway is unreachable for Spark notebooks only', () => {
      expect(toolbarView(facts({ kernelName: 'gpu--a', connection: 'unreachable' })).mode).toBe('unreachable');
      expect(toolbarView(facts({ hasShape: true, connection: 'unreachable' })).mode).toBe('unreachable');
      expect(toolbarView(facts({ kernelName: 'python3', connection: 'unreachable' })).mode).toBe('none');
    });
  });

  describe('#relaunchedCluster()', () => {
    it('should take a new live cluster of the relaunched profile as the notebook\'s own', () => {
      const old = cluster({ id: 'old', profile: 'gpu', state: 'launching' });
      const other = cluster({ id: 'other', profile: 'pyspark', state: 'launching' });
      const mine = cluster({ id: 'mine', profile: 'gpu', state: 'requested' });
      const relaunch = { profile: 'gpu', known: new Set(['old']) };
      expect(relaunchedCluster([old, other, mine], relaunch)).toBe(mine);
      expect(relaunchedCluster([old, other], relaunch)).toBeUndefined();
      expect(relaunchedCluster([cluster({ id: 'mine', profile: 'gpu', state: 'failed' })], relaunch)).toBeUndefined();
    });
  });
});
