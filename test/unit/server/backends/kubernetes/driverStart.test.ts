import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { awaitDriverRunning, claimsSettling } from '../../../../../server/src/backends/kubernetes/driverStart.js';
import type { LaunchPhase } from '../../../../../server/src/backends/types.js';
import { KernelLaunchError, KernelStartTimeoutError, KernelUnschedulableError } from '../../../../../server/src/errors.js';
import { FakePods, podAt } from './fixtures.js';

const pod: V1Pod = {
  metadata: { name: 'sg-1', namespace: 'tenant-a', uid: 'uid-1', labels: { 'app.kubernetes.io/component': 'driver', 'sparkgate.io/kernel-id': 'k1' } },
  spec: { containers: [{ name: 'kernel', image: 'sparkgate/driver:1.0' }] }
};

function start(signal = new AbortController().signal, claims?: string[]) {
  const pods = new FakePods();
  const phases: Array<[LaunchPhase, string | undefined]> = [];
  const running = awaitDriverRunning({
    pods,
    namespace: 'tenant-a',
    name: 'sg-1',
    uid: 'uid-1',
    profileId: 'pyspark-gpu',
    signal,
    onPhase: (phase, detail) => phases.push([phase, detail]),
    ...(claims ? { claims } : {})
  });
  return { pods, phases, running };
}

describe('awaitDriverRunning', () => {
  it('should follow the pod through scheduling to running and resolve with its IP, telling each phase once', async () => {
    const { pods, phases, running } = start();
    pods.change(podAt.scheduled(pod, 'gpu-1'));
    pods.change(podAt.scheduled(pod, 'gpu-1'));
    pods.change(podAt.running(pod, '10.0.0.8'));
    await expect(running).resolves.toBe('10.0.0.8');
    expect(phases).toEqual([
      ['pulling', 'on node gpu-1'],
      ['starting', undefined]
    ]);
    expect(pods.listening).toBe(0);
  });

  it('should resolve at once for a pod the cache already has running', async () => {
    const pods = new FakePods();
    pods.change(podAt.running(pod, '10.0.0.3'));
    await expect(awaitDriverRunning({ pods, namespace: 'tenant-a', name: 'sg-1', uid: 'uid-1', profileId: 'p', signal: new AbortController().signal })).resolves.toBe('10.0.0.3');
  });

  it("should fail fast with the scheduler's and the kubelet's reasons", async () => {
    const unschedulable = start();
    unschedulable.pods.change({
      ...pod,
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.' }] }
    });
    await expect(unschedulable.running).rejects.toEqual(new KernelUnschedulableError('the driver pod cannot be scheduled: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu.'));

    const image = start();
    image.pods.change({
      ...podAt.scheduled(pod),
      status: { containerStatuses: [{ name: 'kernel', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } }] }
    });
    await expect(image.running).rejects.toEqual(new KernelLaunchError('the driver image cannot be pulled (pyspark-gpu): ErrImagePull: not found'));

    const ended = start();
    ended.pods.change(podAt.ended(pod, 2, 'Error'));
    await expect(ended.running).rejects.toEqual(new KernelLaunchError('the driver pod ended during start (exit 2): Error'));

    const deleted = start();
    deleted.pods.change({ ...pod, metadata: { ...pod.metadata, uid: 'uid-other' } }, true);
    deleted.pods.change(pod, true);
    await expect(deleted.running).rejects.toEqual(new KernelLaunchError('driver pod tenant-a/sg-1 was deleted before the kernel started'));
    expect(deleted.pods.listening).toBe(0);
  });

  it("should wait while the scheduler has not seen the user's just-created claim or its volume is being provisioned, then follow the pod (issue 18)", async () => {
    const unschedulable = (message: string): V1Pod => ({
      ...pod,
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] }
    });
    // As kube-scheduler 1.36 said it on the test cluster, the claim created a few ms before the pod.
    const lagging = '0/2 nodes are available: persistentvolumeclaim "home-alice" not found. not found';
    const immediate = '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.';
    const { pods, running } = start(undefined, ['home-alice']);
    pods.change(unschedulable(lagging));
    pods.change(unschedulable(immediate));
    pods.change(podAt.scheduled(pod, 'cpu-1'));
    pods.change(podAt.running(pod, '10.0.0.9'));
    await expect(running).resolves.toBe('10.0.0.9');
    // Any other reason, another claim missing (a profile's existing `claim`), or no claim made: fail fast as before.
    expect(claimsSettling(lagging, ['home-alice'])).toBe(true);
    expect(claimsSettling(lagging.replace('home-alice', 'datasets'), ['home-alice'])).toBe(false);
    expect(claimsSettling(lagging, [])).toBe(false);
    expect(claimsSettling(immediate, [])).toBe(false);
    expect(claimsSettling('0/2 nodes are available: 2 Insufficient cpu.', ['home-alice'])).toBe(false);
    const other = start(undefined, ['home-alice']);
    other.pods.change(unschedulable('0/2 nodes are available: 2 node(s) didn\'t match Pod\'s node affinity/selector.'));
    await expect(other.running).rejects.toBeInstanceOf(KernelUnschedulableError);
  });

  it("should stop at once with the signal's reason when the launch is aborted", async () => {
    const launch = new AbortController();
    const { pods, running } = start(launch.signal);
    const timeout = new KernelStartTimeoutError('kernel did not start within 60 s');
    launch.abort(timeout);
    await expect(running).rejects.toBe(timeout);
    expect(pods.listening).toBe(0);
    // An abort without an error as reason is a plain cancellation.
    const cancelled = new AbortController();
    cancelled.abort();
    await expect(start(cancelled.signal).running).rejects.toEqual(new KernelLaunchError('launch cancelled'));
  });
});
