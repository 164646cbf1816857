import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { describePod, driverState, executorPod, executorStatus, podCores } from '../../../../../server/src/backends/kubernetes/podStatus.js';

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
    expect(status).toMatchObject({ ready: 2, pending: 1, pendingReason: '0/2 nodes are available: 1 Insufficient nvidia.com/gpu', gpus: 3 });
    expect(status.pods.map(p => p.state)).toEqual(['running', 'running', 'pending', 'ended']);
  });
});

describe('executorPod / executorStatus rows', () => {
  const container = (cpu: string, gpus?: string) => ({
    name: 'spark-kubernetes-executor',
    resources: { requests: { cpu, memory: '1Gi' }, limits: { memory: '1Gi', ...(gpus ? { 'nvidia.com/gpu': gpus } : {}) } }
  });
  const meta = (name: string, execId: string, extra: Record<string, unknown> = {}) => ({
    name,
    labels: { 'spark-role': 'executor', 'spark-exec-id': execId },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'd', uid: 'drv' }],
    ...extra
  });

  it("should give a pending executor pod the scheduler's words, its requested cores and GPUs, and no node", () => {
    const pod: V1Pod = {
      metadata: meta('k-exec-2', '2'),
      spec: { containers: [container('2', '1')] },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.' }] }
    };
    expect(executorPod(pod)).toEqual({
      name: 'k-exec-2',
      node: null,
      state: 'pending',
      reason: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.',
      cores: 2,
      gpus: 1,
      podIP: null,
      execId: '2'
    });
  });

  it("should give a scheduled but waiting pod the kubelet's reason with its message, and its node", () => {
    const pod: V1Pod = {
      metadata: meta('k-exec-3', '3'),
      spec: { nodeName: 'gpu-1', containers: [container('500m')] },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True' }],
        containerStatuses: [{ name: 'spark-kubernetes-executor', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull', message: 'pull access denied' } } }]
      }
    };
    expect(executorPod(pod)).toMatchObject({ node: 'gpu-1', state: 'pending', reason: 'ErrImagePull: pull access denied', cores: 0.5, gpus: 0 });
  });

  it('should report a running pod with its node and IP and no reason', () => {
    const pod: V1Pod = {
      metadata: meta('k-exec-1', '1'),
      spec: { nodeName: 'gpu-1', containers: [container('1', '2')] },
      status: { phase: 'Running', podIP: '10.0.0.7', containerStatuses: [{ name: 'spark-kubernetes-executor', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] }
    };
    expect(executorPod(pod)).toEqual({ name: 'k-exec-1', node: 'gpu-1', state: 'running', reason: null, cores: 1, gpus: 2, podIP: '10.0.0.7', execId: '1' });
  });

  it('should say why an executor pod ended: termination reason and exit code, eviction, deletion', () => {
    const oom: V1Pod = {
      metadata: meta('k-exec-4', '4'),
      spec: { nodeName: 'n', containers: [container('1')] },
      status: { phase: 'Failed', containerStatuses: [{ name: 'spark-kubernetes-executor', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }
    };
    expect(executorPod(oom)).toMatchObject({ state: 'ended', reason: 'OOMKilled (exit code 137)' });
    const evicted: V1Pod = { metadata: meta('k-exec-5', '5'), spec: { containers: [] }, status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' } };
    expect(executorPod(evicted)).toMatchObject({ state: 'ended', reason: 'Evicted: The node was low on resource: memory.' });
    const deleting: V1Pod = { metadata: meta('k-exec-6', '6', { deletionTimestamp: new Date() }), spec: { containers: [] }, status: { phase: 'Running' } };
    expect(executorPod(deleting)).toMatchObject({ state: 'ended', reason: 'deleted' });
  });

  it('should list a deleting pod as an ended row but count it neither ready nor pending', () => {
    const running: V1Pod = { metadata: meta('k-exec-1', '1'), spec: { containers: [container('1', '1')] }, status: { phase: 'Running' } };
    const deleting: V1Pod = { metadata: meta('k-exec-2', '2', { deletionTimestamp: new Date() }), spec: { containers: [container('1', '1')] }, status: { phase: 'Running' } };
    const status = executorStatus([running, deleting], 'drv');
    expect(status).toMatchObject({ ready: 1, pending: 0, gpus: 1 });
    expect(status.pods.map(p => [p.name, p.state])).toEqual([
      ['k-exec-1', 'running'],
      ['k-exec-2', 'ended']
    ]);
  });

  it('should read CPU quantities in cores, preferring the request, and 0 without one', () => {
    const pod = (resources: Record<string, Record<string, string>>): V1Pod => ({ spec: { containers: [{ name: 'x', resources }] } });
    expect(podCores(pod({ requests: { cpu: '1500m' }, limits: { cpu: '2' } }))).toBe(1.5);
    expect(podCores(pod({ limits: { cpu: '3' } }))).toBe(3);
    expect(podCores(pod({}))).toBe(0);
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
