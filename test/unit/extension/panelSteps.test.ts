import { describe, expect, it } from '@jest/globals';
import { executorGoal, isFullyUp, launchSteps, launchSummary, panelChip } from '../../../extension/src/panel/steps.js';
import { plainTrans as t } from '../../../extension/src/trans.js';
import { cluster, DYNAMIC_PROFILE } from './fixtures.js';

const REASON = '0/2 nodes are available: 2 Insufficient nvidia.com/gpu';

/** A GPU cluster up with Spark, its two executors still pending on the scheduler (issue 16). */
const waiting = cluster({ executors: { ready: 0, pending: 2, desired: 2, pendingReason: REASON, list: [] } });

const statuses = (c: Parameters<typeof launchSteps>[0]): string[] => launchSteps(c, t).map(s => `${s.key}:${s.status}`);

describe('extension/panel/steps', () => {
  describe('#launchSteps()', () => {
    it('should end with an executors step that is not done while executors are 0/2 pending', () => {
      const steps = launchSteps(waiting, t);
      expect(steps.map(s => s.key)).toEqual(['requested', 'scheduling', 'starting', 'kernel', 'spark', 'executors']);
      expect(steps.slice(0, 5).every(s => s.status === 'done')).toBe(true);
      expect(steps[5]).toEqual({ key: 'executors', label: 'Executors ready (0/2)', status: 'active', detail: `2 pending: ${REASON}` });
    });

    it('should mark the executors step done once ready reaches desired', () => {
      const steps = launchSteps(cluster(), t);
      expect(steps.every(s => s.status === 'done')).toBe(true);
      expect(steps[5]?.label).toBe('Executors ready (2/2)');
      expect(steps[5]?.detail).toBeNull();
    });

    it('should count executors against the minimum with dynamic allocation', () => {
      const sizing = { driver: DYNAMIC_PROFILE.driver, executors: DYNAMIC_PROFILE.executors };
      const c = cluster({ sizing, executors: { ready: 1, pending: 2, desired: 3, pendingReason: null, list: [] } });
      expect(executorGoal(c)).toMatchObject({ ready: 1, needed: 1, dynamic: true });
      const last = launchSteps(c, t).at(-1);
      expect(last).toMatchObject({ label: 'Executors ready (1/1 minimum)', status: 'done', detail: '2 pending' });
    });

    it('should keep Spark ready active while the kernel answers but Spark is not up', () => {
      const c = cluster({ phase: 'kernel-ready', executors: { ready: 0, pending: 0, desired: 2, pendingReason: null, list: [] } });
      expect(statuses(c)).toEqual(['requested:done', 'scheduling:done', 'starting:done', 'kernel:done', 'spark:active', 'executors:todo']);
    });

    it('should mark the step a launch failed at as failed and the rest to do', () => {
      const c = cluster({ state: 'failed', phase: 'scheduling', reason: REASON, executors: { ready: 0, pending: 0, desired: 2, pendingReason: null, list: [] } });
      expect(statuses(c)).toEqual(['requested:done', 'scheduling:failed', 'starting:todo', 'kernel:todo', 'spark:todo', 'executors:todo']);
    });

    it('should show the image pull as the active step while pulling', () => {
      const c = cluster({ state: 'launching', phase: 'pulling', executors: { ready: 0, pending: 0, desired: 2, pendingReason: null, list: [] } });
      expect(statuses(c).slice(0, 3)).toEqual(['requested:done', 'scheduling:done', 'starting:active']);
    });

    it('should have no Spark or executors steps for a kernel without Spark, all done once it answers', () => {
      const c = cluster({ sparkUi: null, executors: { ready: 0, pending: 0, desired: 0, pendingReason: null, list: [] } });
      expect(statuses(c)).toEqual(['requested:done', 'scheduling:done', 'starting:done', 'kernel:done']);
    });

    it('should wait for no executors on the local backend, which reports none desired', () => {
      const c = cluster({ executors: { ready: 0, pending: 0, desired: 0, pendingReason: null, list: [] } });
      expect(statuses(c).map(s => s.split(':')[0])).not.toContain('executors');
      expect(isFullyUp(c)).toBe(true);
    });
  });

  describe('#panelChip()', () => {
    it('should not be green "Ready" while executors are pending', () => {
      expect(panelChip(waiting, t)).toEqual({ label: 'Waiting for executors', tone: 'pending' });
      expect(isFullyUp(waiting)).toBe(false);
    });

    it('should say Starting Spark before Spark is up', () => {
      expect(panelChip(cluster({ phase: 'kernel-ready' }), t)).toEqual({ label: 'Starting Spark', tone: 'pending' });
    });

    it('should be Ready or Busy once executors are ready', () => {
      expect(panelChip(cluster(), t)).toEqual({ label: 'Ready', tone: 'ok' });
      expect(panelChip(cluster({ state: 'busy' }), t)).toEqual({ label: 'Busy', tone: 'busy' });
    });

    it('should say Failed for a failed launch', () => {
      expect(panelChip(cluster({ state: 'failed' }), t)).toEqual({ label: 'Failed', tone: 'error' });
    });
  });

  describe('#launchSummary()', () => {
    it('should name the step and its place while launching', () => {
      expect(launchSummary(waiting, t)).toBe('Launch of PySpark GPU · a1b2c3: step 6 of 6, Executors ready (0/2)');
    });

    it("should give the gateway's reason when the launch failed", () => {
      const c = cluster({ state: 'failed', phase: 'scheduling', reason: REASON });
      expect(launchSummary(c, t)).toBe(`Launch of PySpark GPU · a1b2c3 failed: ${REASON}`);
    });

    it('should say ready once everything is up', () => {
      expect(launchSummary(cluster(), t)).toBe('PySpark GPU · a1b2c3 is ready.');
    });
  });
});
