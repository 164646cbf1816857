import { describe, expect, it } from '@jest/globals';
import { ApiException, type CoreV1Api, type NetworkingV1Api, type V1Pod } from '@kubernetes/client-node';
import type { LaunchRequest } from '../../../../../server/src/backends/types.js';
import type { ProfileRuntime } from '../../../../../server/src/config/types.js';
import { KernelUnschedulableError } from '../../../../../server/src/errors.js';
import { waitUntil } from '../../../../support/waitFor.js';
import { apiStatus, backendOn, FakeInformer, podAt } from './fixtures.js';

const runtime: ProfileRuntime = {
  image: { driver: null, executor: null },
  sparkConf: {},
  env: {},
  driver: { nodeSelector: {}, tolerations: [], gpuType: null },
  executors: { nodeSelector: {}, tolerations: [], gpuType: null },
  volumes: [
    { name: 'home', claimTemplate: 'home-{user}', size: '10Gi', storageClass: null, mountPath: '/home/jovyan', readOnly: false, executors: false },
    { name: 'data', claim: 'datasets', mountPath: '/data', readOnly: true, executors: true }
  ],
  packages: [],
  ivyCacheVolume: null,
  secrets: []
};
const sizing = { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 } };
const request = (withRuntime: boolean): LaunchRequest => ({
  kernelId: 'k1',
  owner: { user: 'alice', tenant: 'a' },
  profile: { id: 'home', displayName: 'Home', spark: false, sizing, ...(withRuntime ? { runtime } : {}) },
  sizing,
  key: 'f'.repeat(64),
  env: {},
  signal: new AbortController().signal
});

/** A launch that records its calls and stops at the pod (the steps after it are backend.test.ts's). */
function setup(claimAnswer: (name: string) => Promise<unknown>) {
  const calls: string[] = [];
  const core = {
    createNamespacedPersistentVolumeClaim: async ({ namespace, body }: { namespace: string; body: { metadata: { name: string } } }) => {
      calls.push(`claim ${namespace}/${body.metadata.name}`);
      return claimAnswer(body.metadata.name);
    },
    createNamespacedPod: async () => {
      calls.push('pod');
      throw new ApiException(500, 'Unknown API Status Code!', JSON.stringify({ message: 'stop here' }), {});
    }
  } as unknown as CoreV1Api;
  const backend = backendOn(core);
  return { backend, calls };
}

describe('KubernetesBackend#launch() of a profile with a per-user volume (issue 18 item 1)', () => {
  it("should create the user's claim before the pod, and take one that exists already", async () => {
    const existing = new Set<string>();
    const { backend, calls } = setup(async name => {
      if (existing.has(name)) {
        throw apiStatus(409, `persistentvolumeclaims "${name}" already exists`);
      }
      existing.add(name);
      return {};
    });
    await expect(backend.launch(request(true))).rejects.toThrow('could not create the driver pod in namespace team-a');
    await expect(backend.launch(request(true))).rejects.toThrow('could not create the driver pod in namespace team-a');
    // Only the template's claim: the shared one is the platform team's.
    expect(calls).toEqual(['claim team-a/home-alice', 'pod', 'claim team-a/home-alice', 'pod']);
    await backend.dispose();
  });

  it('should fail the launch before the pod when the claim cannot be created, naming it', async () => {
    const { backend, calls } = setup(async () => {
      throw apiStatus(403, 'persistentvolumeclaims is forbidden: User "system:serviceaccount:sparkgate:sparkgate" cannot create resource "persistentvolumeclaims"');
    });
    await expect(backend.launch(request(true))).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringMatching(/^the gateway may not create the claim home-alice in namespace team-a: persistentvolumeclaims is forbidden/)
    });
    expect(calls).toEqual(['claim team-a/home-alice']);
    await backend.dispose();
  });

  it('should create no claim for a profile without per-user volumes', async () => {
    const { backend, calls } = setup(async () => ({}));
    await expect(backend.launch(request(false))).rejects.toThrow('could not create the driver pod');
    expect(calls).toEqual(['pod']);
    await backend.dispose();
  });
});

describe('KubernetesBackend#launch() while the scheduler catches up with a just-created claim (issue 18, found by cluster/profiles)', () => {
  /** A launch that gets as far as the pod watch; `pod()` is the driver pod it created. */
  function running() {
    const informer = new FakeInformer([[]]);
    const created: V1Pod[] = [];
    const echo = async ({ body }: { body: unknown }) => body;
    const core = {
      createNamespacedPersistentVolumeClaim: echo,
      createNamespacedPod: async ({ body }: { body: V1Pod }) => {
        const pod = { ...body, metadata: { ...body.metadata, uid: 'uid-1' } };
        created.push(pod);
        return pod;
      },
      createNamespacedSecret: echo,
      createNamespacedService: echo,
      deleteNamespacedPod: echo,
      readNamespacedPodLog: async () => ''
    } as unknown as CoreV1Api;
    const backend = backendOn(core, { createNamespacedNetworkPolicy: echo } as unknown as NetworkingV1Api, informer);
    const unschedulable = (message: string): V1Pod => ({
      ...created[0]!,
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] }
    });
    return { backend, informer, created, unschedulable };
  }

  it('should wait through "persistentvolumeclaim not found" for its own claim, and fail fast when the missing claim is an existing one it does not make', async () => {
    const { backend, informer, created, unschedulable } = running();
    const launching = backend.launch(request(true));
    await waitUntil(() => created.length === 1, { timeoutMs: 5000, intervalMs: 1, what: 'the driver pod' });
    // As kube-scheduler 1.36 answered on the test cluster, its cache a few ms behind the claim's create.
    informer.put(unschedulable('0/2 nodes are available: persistentvolumeclaim "home-alice" not found. not found'), 'add');
    informer.put(podAt.scheduled(created[0]!, 'cpu-1'));
    informer.put(podAt.running(created[0]!, '10.0.0.7'));
    const kernel = await launching;
    expect(kernel.connection).toMatchObject({ ip: '10.0.0.7' });
    // The profile's shared claim is the platform team's: missing, it is the user's answer at once.
    const second = running();
    const failing = second.backend.launch(request(true));
    await waitUntil(() => second.created.length === 1, { timeoutMs: 5000, intervalMs: 1, what: 'the driver pod' });
    second.informer.put(second.unschedulable('0/2 nodes are available: persistentvolumeclaim "datasets" not found. not found'), 'add');
    await expect(failing).rejects.toBeInstanceOf(KernelUnschedulableError);
    await backend.dispose();
    await second.backend.dispose();
  });
});
