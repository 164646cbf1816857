import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { describePod, driverState, executorStatus } from '../../../../../server/src/backends/kubernetes/podStatus.js';

describe('driverState / executorStatus', () => {
  it("should report the scheduler's reason for an unschedulable pod", () => {
    const pod: V1Pod = {
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' }] }
    };
    expect(driverState(pod)).toEqual({ kind: 'unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' });
  });

  it('should tell image pull failures, running and ended pods apart', () => {
    const waiting = (reason: string): V1Pod => ({ spec: { nodeName: 'n', containers: [] }, status: { containerStatuses: [{ name: 'k', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message: 'not found' } } }] } });
    expect(driverState(waiting('ImagePullBackOff')).kind).toBe('image-error');
    expect(driverState(waiting('ContainerCreating'))).toEqual({ kind: 'scheduled', node: 'n' });
    const running: V1Pod = { status: { podIP: '10.1.2.3', containerStatuses: [{ name: 'k', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] } };
    expect(driverState(running)).toEqual({ kind: 'running', podIP: '10.1.2.3' });
    const ended: V1Pod = { status: { phase: 'Failed', containerStatuses: [{ name: 'k', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] } };
    expect(driverState(ended)).toEqual({ kind: 'ended', code: 137, message: 'OOMKilled' });
  });

  it("should count only the current driver's executors, with the first pending one's reason", () => {
    const exec = (uid: string, phase: string, gpus = 1, message?: string): V1Pod => ({
      metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'd', uid }] },
      spec: { containers: [{ name: 'e', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }] },
      status: { phase, ...(message ? { conditions: [{ type: 'PodScheduled', status: 'False', message }] } : {}) }
    });
    const status = executorStatus(
      [exec('now', 'Running'), exec('now', 'Running', 2), exec('now', 'Pending', 1, '0/2 nodes are available: 1 Insufficient nvidia.com/gpu'), exec('old', 'Running'), exec('now', 'Failed')],
      'now'
    );
    expect(status).toEqual({ ready: 2, pending: 1, pendingReason: '0/2 nodes are available: 1 Insufficient nvidia.com/gpu', gpus: 3 });
  });
});

describe('describePod', () => {
  it('should name the pod, its node, its state with the reason and its GPUs', () => {
    const pending: V1Pod = {
      metadata: { namespace: 'tenant-a', name: 'sg-1' },
      spec: { containers: [{ name: 'kernel', resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] }
    };
    expect(describePod(pending)).toBe('pod tenant-a/sg-1 on (no node): unschedulable — 0/3 nodes are available (1 GPU)');
    const scheduled: V1Pod = { metadata: { namespace: 'tenant-a', name: 'sg-2' }, spec: { nodeName: 'cpu-1', containers: [{ name: 'kernel' }] } };
    expect(describePod(scheduled)).toBe('pod tenant-a/sg-2 on cpu-1: scheduled');
  });
});
