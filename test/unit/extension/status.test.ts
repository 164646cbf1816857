import { describe, expect, it } from '@jest/globals';
import {
  clusterForKernel,
  driverStatus,
  executorsText,
  executorsTitle,
  formatUptime,
  isClusterKernelName,
  jobBar,
  launchSteps,
  stateLabel
} from '../../../extension/src/status.js';
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
});
