import { describe, expect, it } from '@jest/globals';
import type { ExecutorModel } from '@sparkgate/contract';
import { executorColumns, executorRow, executorRows, executorsHeader, type ITrans } from '../../../extension/src/executors/format.js';
import { cluster } from './fixtures.js';

/** A translation bundle that translates nothing: `%1`… are replaced as JupyterLab's does. */
const fill = (text: string, args: unknown[]) => text.replace(/%(\d+)/g, (_, n: string) => String(args[Number(n) - 1]));
const trans: ITrans = {
  __: (text: string, ...args: unknown[]) => fill(text, args),
  _n: (one: string, many: string, n: number, ...args: unknown[]) => fill(n === 1 ? one : many, [n, ...args])
};

const REASON = '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.';

const exec = (over: Partial<ExecutorModel>): ExecutorModel => ({
  id: '1',
  pod: 'k-1-exec-1',
  node: 'gpu-1',
  state: 'running',
  reason: null,
  cores: 4,
  gpus: 2,
  gpuAddresses: ['0', '1'],
  tasks: { active: 3, completed: 40, failed: 1 },
  ...over
});

describe('extension/executors/format', () => {
  describe('#executorRow()', () => {
    it('should show a running executor with its pod, node, cores, GPU count and addresses and its tasks', () => {
      expect(executorRow(exec({}), 0, trans)).toEqual({
        key: 'k-1-exec-1',
        state: 'running',
        pod: 'k-1-exec-1',
        executorId: '1',
        id: '1',
        podText: 'k-1-exec-1',
        node: 'gpu-1',
        stateLabel: 'Running',
        reason: null,
        cores: '4',
        gpus: '2',
        gpuAddresses: '0, 1',
        tasksActive: '3',
        tasksCompleted: '40',
        tasksFailed: '1'
      });
    });

    it("should show a pending executor as not scheduled, with the scheduler's words and no tasks", () => {
      const row = executorRow(exec({ id: null, pod: 'k-1-exec-2', node: null, state: 'pending', reason: REASON, cores: 0.5, gpus: 1, gpuAddresses: [], tasks: null }), 1, trans);
      expect(row).toMatchObject({
        key: 'k-1-exec-2',
        id: '—',
        executorId: '',
        node: 'not scheduled',
        stateLabel: 'Pending',
        reason: REASON,
        cores: '0.5',
        gpus: '1',
        gpuAddresses: '',
        tasksActive: '—',
        tasksCompleted: '—',
        tasksFailed: '—'
      });
    });

    it("should show a local master's driver row without pod or GPUs", () => {
      const row = executorRow(exec({ id: 'driver', pod: null, node: '127.0.0.1', gpus: 0, gpuAddresses: [] }), 0, trans);
      expect(row).toMatchObject({ key: 'id:driver', pod: '', podText: '—', id: 'driver', gpus: '—', gpuAddresses: '' });
    });

    it('should say why an executor ended', () => {
      expect(executorRow(exec({ state: 'ended', reason: 'OOMKilled (exit code 137)' }), 0, trans)).toMatchObject({ stateLabel: 'Ended', reason: 'OOMKilled (exit code 137)' });
    });
  });

  describe('#executorRows()', () => {
    it("should keep the gateway's order and give one row per executor", () => {
      const c = cluster({
        executors: {
          ready: 1,
          pending: 1,
          desired: 2,
          pendingReason: REASON,
          list: [exec({}), exec({ id: null, pod: 'k-1-exec-2', state: 'pending', reason: REASON, tasks: null })]
        }
      });
      expect(executorRows(c, trans).map(r => [r.pod, r.state])).toEqual([
        ['k-1-exec-1', 'running'],
        ['k-1-exec-2', 'pending']
      ]);
    });
  });

  describe('#executorsHeader()', () => {
    it('should count ready and pending of desired, with the pending reason', () => {
      const c = cluster({ executors: { ready: 1, pending: 1, desired: 2, pendingReason: REASON, list: [] } });
      expect(executorsHeader(c, trans)).toEqual({ summary: '1 ready · 1 pending of 2', pendingReason: REASON });
    });

    it("should take a pending row's reason when the counts have none, and give none when nothing waits", () => {
      const list = [exec({ state: 'pending', reason: 'ContainerCreating' })];
      expect(executorsHeader(cluster({ executors: { ready: 0, pending: 1, desired: 1, pendingReason: null, list } }), trans).pendingReason).toBe('ContainerCreating');
      expect(executorsHeader(cluster({ executors: { ready: 2, pending: 0, desired: 2, pendingReason: 'stale', list: [] } }), trans)).toEqual({
        summary: '2 ready · 0 pending of 2',
        pendingReason: null
      });
    });

    it("should count Spark's running executors where there are no pods (local master)", () => {
      const c = cluster({ executors: { ready: 0, pending: 0, desired: 0, pendingReason: null, list: [exec({ id: 'driver', pod: null })] } });
      expect(executorsHeader(c, trans).summary).toBe('1 executor running');
    });
  });

  it('should name nine columns: executor, pod, node, state, cores, GPUs and the three task counts', () => {
    expect(executorColumns(trans)).toEqual(['Executor', 'Pod', 'Node', 'State', 'Cores', 'GPUs', 'Active', 'Done', 'Failed']);
  });
});
