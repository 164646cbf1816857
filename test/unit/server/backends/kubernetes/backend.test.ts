import { describe, expect, it } from '@jest/globals';
import { ApiException, KubeConfig, type CoreV1Api, type NetworkingV1Api, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import { KubernetesBackend } from '../../../../../server/src/backends/kubernetes/backend.js';
import { buildDriverObjects, driverPodName } from '../../../../../server/src/backends/kubernetes/objects.js';
import type { LaunchPhase, LaunchRequest } from '../../../../../server/src/backends/types.js';
import { KernelStartTimeoutError } from '../../../../../server/src/errors.js';
import { waitUntil } from '../../../../support/waitFor.js';
import { apiStatus, capturingLogger, config, FakeDelays, FakeInformer, fakeNodeApi, forbidden, FORBIDDEN_MESSAGE, podAt } from './fixtures.js';

const request = (tenant: string, overrides: Partial<LaunchRequest> = {}): LaunchRequest => ({
  kernelId: 'k1',
  owner: { user: 'alice', tenant },
  profile: {
    id: 'python',
    displayName: 'Python',
    spark: false,
    sizing: { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 } }
  } as LaunchRequest['profile'],
  sizing: { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 } } as LaunchRequest['sizing'],
  key: 'f'.repeat(64),
  env: {},
  signal: new AbortController().signal,
  ...overrides
});

// The fake stands in for every CoreV1Api method, whose request objects differ: recorded untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ApiArgs = Record<string, any>;

type Call = [method: string, args: ApiArgs];

/**
 * The API calls the backend makes, recorded; each answers what `answers[method]` returns (by
 * default the body it was sent, with a uid for pods).
 */
function fakeApi(answers: Partial<Record<string, (args: ApiArgs) => Promise<unknown>>> = {}) {
  const calls: Call[] = [];
  const method = (name: string) => async (args: ApiArgs) => {
    calls.push([name, args]);
    const answer = answers[name];
    if (answer) {
      return answer(args);
    }
    return name === 'createNamespacedPod' ? { ...args.body, metadata: { ...args.body.metadata, uid: 'uid-1' } } : args.body;
  };
  const names = ['createNamespacedPod', 'createNamespacedSecret', 'createNamespacedService', 'readNamespacedSecret', 'readNamespacedPodLog', 'deleteNamespacedPod', 'patchNamespacedPod'];
  const core = Object.fromEntries(names.map(n => [n, method(n)])) as unknown as CoreV1Api;
  const networking = { createNamespacedNetworkPolicy: method('createNamespacedNetworkPolicy') } as unknown as NetworkingV1Api;
  const called = (name: string) => calls.filter(([n]) => n === name).map(([, args]) => args);
  return { core, networking, calls, called };
}

function setup(informers: Record<string, FakeInformer>, api = fakeApi()) {
  const delays = new FakeDelays();
  const { logger, lines } = capturingLogger();
  const clock = { now: 0 };
  const backend = new KubernetesBackend({
    config,
    kubeConfig: new KubeConfig(),
    core: api.core,
    networking: api.networking,
    namespaceOf: tenant => `team-${tenant}`,
    logger,
    nodeApi: fakeNodeApi(),
    podWatch: { informerFactory: namespace => informers[namespace]!, backoff: { random: () => 0, delay: delays.delay }, now: () => clock.now }
  });
  return { backend, lines, clock, ...api };
}

const until = (condition: () => boolean, what: string): Promise<boolean> => waitUntil(condition, { timeoutMs: 5000, what, intervalMs: 1 });

describe('KubernetesBackend with a failing namespace watch', () => {
  it('should start with the other namespaces, fail launches in the broken one before creating anything, and launch again once it recovers', async () => {
    const created: string[] = [];
    const api = fakeApi({
      createNamespacedPod: async ({ namespace }) => {
        created.push(namespace as string);
        throw new ApiException(500, 'Unknown API Status Code!', JSON.stringify({ message: 'stop here' }), {});
      }
    });
    const informers: Record<string, FakeInformer> = { 'team-a': new FakeInformer([forbidden(), []]), 'team-b': new FakeInformer([[]]) };
    const { backend, lines, clock } = setup(informers, api);

    // Start-up: the broken namespace is logged once and skipped; discovery goes on.
    await expect(backend.discover(['team-a', 'team-b'])).resolves.toEqual([]);
    expect(lines.filter(l => l.level === 'error').map(l => [l.message, l.namespace, l.component])).toEqual([[FORBIDDEN_MESSAGE, 'team-a', 'podWatch']]);

    await expect(backend.launch(request('a'))).rejects.toMatchObject({ name: 'ServiceUnavailableError', statusCode: 503, message: FORBIDDEN_MESSAGE });
    expect(created).toEqual([]);
    // The healthy tenant launches (up to the fake API's refusal to create the pod).
    await expect(backend.launch(request('b'))).rejects.toThrow('could not create the driver pod in namespace team-b: Kubernetes API answered 500: stop here');

    clock.now += 1000;
    await expect(backend.launch(request('a'))).rejects.toThrow('could not create the driver pod in namespace team-a');
    expect(created).toEqual(['team-b', 'team-a']);
    await backend.dispose();
  });
});

describe('KubernetesBackend#launch()', () => {
  it('should create the pod, then its Secret, Service and policy, and resolve with the running pod as a kernel', async () => {
    const informer = new FakeInformer([[]]);
    const { backend, called } = setup({ 'team-a': informer });
    const phases: Array<[LaunchPhase, string | undefined]> = [];
    const launching = backend.launch(request('a', { onPhase: (phase, detail) => phases.push([phase, detail]) }));
    await until(() => called('createNamespacedNetworkPolicy').length === 1, 'the owned objects');
    const pod = called('createNamespacedPod')[0]!.body as V1Pod;
    const created = { ...pod, metadata: { ...pod.metadata, uid: 'uid-1' } };
    expect(pod.metadata?.name).toMatch(/^sg-k1-[a-z0-9]{5}$/);
    expect(called('createNamespacedSecret')[0]!.body.metadata.ownerReferences[0].uid).toBe('uid-1');
    informer.put(podAt.scheduled(created, 'cpu-1'), 'add');
    informer.put(podAt.running(created, '10.0.0.7'));
    const kernel = await launching;
    expect(phases).toEqual([
      ['scheduling', undefined],
      ['pulling', 'on node cpu-1'],
      ['starting', undefined]
    ]);
    expect(kernel.connection).toMatchObject({ ip: '10.0.0.7', shell_port: 52700, key: 'f'.repeat(64) });
    expect([kernel.sparkUi, kernel.interruptMode]).toEqual([null, 'message']);
    informer.put(created, 'delete');
    await expect(kernel.exited).resolves.toEqual({ code: null, signal: null, reason: `driver pod team-a/${pod.metadata!.name} was deleted` });
    await backend.dispose();
  });

  it('should fail with the kernel log when the pod ends during start, and delete the pod', async () => {
    const informer = new FakeInformer([[]]);
    const api = fakeApi({ readNamespacedPodLog: async () => 'Traceback\nImportError: no module named pyspark\n' });
    const { backend, called } = setup({ 'team-a': informer }, api);
    const launching = backend.launch(request('a'));
    await until(() => called('createNamespacedNetworkPolicy').length === 1, 'the owned objects');
    const pod = called('createNamespacedPod')[0]!.body as V1Pod;
    informer.put(podAt.ended({ ...pod, metadata: { ...pod.metadata, uid: 'uid-1' } }, 1, 'Error'));
    await expect(launching).rejects.toMatchObject({
      name: 'KernelLaunchError',
      message: 'the driver pod ended during start (exit 1): Error\nTraceback\nImportError: no module named pyspark'
    });
    expect(called('readNamespacedPodLog')).toEqual([{ name: pod.metadata!.name, namespace: 'team-a', container: 'kernel', tailLines: 15 }]);
    expect(called('deleteNamespacedPod')).toEqual([{ name: pod.metadata!.name, namespace: 'team-a', gracePeriodSeconds: 0, body: { preconditions: { uid: 'uid-1' } } }]);
    await backend.dispose();
  });

  // Issue 12: a cancelled or timed-out launch used to keep waiting for the namespace's first list.
  it('should stop waiting for the watch when the launch is aborted, creating nothing', async () => {
    const { backend, calls } = setup({ 'team-a': new FakeInformer(['hang']) });
    const launch = new AbortController();
    const launching = backend.launch(request('a', { signal: launch.signal }));
    const timeout = new KernelStartTimeoutError('kernel did not start within 60 s');
    launch.abort(timeout);
    await expect(launching).rejects.toBe(timeout);
    expect(calls).toEqual([]);
  });

  it('should stop waiting for a pod create the API server has not answered, and delete the pod should it appear after all', async () => {
    let answer!: (pod: V1Pod) => void;
    const api = fakeApi({ createNamespacedPod: () => new Promise(resolve => (answer = resolve)) });
    const { backend, called } = setup({ 'team-a': new FakeInformer([[]]) }, api);
    const launch = new AbortController();
    const launching = backend.launch(request('a', { signal: launch.signal }));
    await until(() => called('createNamespacedPod').length === 1, 'the pod create');
    const timeout = new KernelStartTimeoutError('kernel did not start within 60 s');
    launch.abort(timeout);
    await expect(launching).rejects.toBe(timeout);
    const pod = called('createNamespacedPod')[0]!.body as V1Pod;
    answer({ ...pod, metadata: { ...pod.metadata, uid: 'uid-late' } });
    await until(() => called('deleteNamespacedPod').length === 1, 'the late pod deleted');
    expect(called('deleteNamespacedPod')[0]).toMatchObject({ name: pod.metadata!.name, body: { preconditions: { uid: 'uid-late' } } });
    expect(called('createNamespacedSecret')).toEqual([]);
    await backend.dispose();
  });

  it('should delete the pod when the launch is aborted while it waits for the pod to run', async () => {
    const { backend, called } = setup({ 'team-a': new FakeInformer([[]]) });
    const launch = new AbortController();
    const launching = backend.launch(request('a', { signal: launch.signal }));
    await until(() => called('createNamespacedNetworkPolicy').length === 1, 'the owned objects');
    launch.abort();
    await expect(launching).rejects.toMatchObject({ name: 'KernelLaunchError', message: 'launch cancelled' });
    expect(called('deleteNamespacedPod')).toHaveLength(1);
    await backend.dispose();
  });
});

describe('KubernetesBackend#discover()', () => {
  const driver = (id: string, suffix: string) => {
    const objects = buildDriverObjects({
      kernelId: id,
      podName: driverPodName(id, suffix),
      namespace: 'team-a',
      user: 'alice',
      tenant: 'a',
      profile: 'python',
      kernelName: 'python',
      spark: false,
      sizing: { driver: { cores: 1, memoryMiB: 1024, gpus: 1 }, executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 } },
      key: `key-of-${id}`,
      env: {},
      config
    });
    const pod = { ...objects.pod, metadata: { ...objects.pod.metadata, uid: `uid-${id}` } };
    const secret = objects.secret(pod);
    const data = Object.fromEntries(Object.entries(secret.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    return { pod, secret: { ...secret, stringData: undefined, data } as V1Secret };
  };

  it('should adopt running drivers with a readable Secret, delete the ones nobody can take over, and leave one whose Secret the API cannot serve now', async () => {
    const good = driver('aaaaaaaa-1', 'good1');
    const pending = driver('bbbbbbbb-1', 'pend1');
    const foreign = driver('cccccccc-1', 'frgn1');
    delete foreign.pod.metadata!.annotations!['sparkgate.io/user'];
    const noSecret = driver('dddddddd-1', 'nosec');
    const apiDown = driver('eeeeeeee-1', 'apidn');
    const secrets: Record<string, () => Promise<V1Secret>> = {
      [good.pod.metadata!.name!]: async () => good.secret,
      [noSecret.pod.metadata!.name!]: async () => {
        throw apiStatus(404, `secrets "${noSecret.pod.metadata!.name}" not found`);
      },
      [apiDown.pod.metadata!.name!]: async () => {
        throw apiStatus(500, 'etcdserver: request timed out');
      }
    };
    const api = fakeApi({ readNamespacedSecret: async ({ name }) => secrets[name as string]!() });
    const informer = new FakeInformer([[podAt.running(good.pod, '10.0.0.9'), podAt.scheduled(pending.pod), podAt.running(foreign.pod), podAt.running(noSecret.pod), podAt.running(apiDown.pod)]]);
    const { backend, called, lines } = setup({ 'team-a': informer }, api);

    const found = await backend.discover(['team-a', 'team-a']);
    expect(found.map(({ adopt: _adopt, ...k }) => k)).toEqual([
      {
        kernelId: 'aaaaaaaa-1',
        owner: { user: 'alice', tenant: 'a' },
        profileId: 'python',
        kernelName: 'python',
        sizing: { driver: { cores: 1, memoryMiB: 1024, gpus: 1 }, executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 } }
      }
    ]);
    expect(called('deleteNamespacedPod').map(c => c.name)).toEqual([pending.pod.metadata!.name, foreign.pod.metadata!.name, noSecret.pod.metadata!.name]);
    expect(lines.filter(l => l.level === 'warn').map(l => [l.message, l.reason ?? l.error])).toEqual([
      ['deleting a driver pod no gateway can take over', undefined],
      ['deleting a driver pod no gateway can take over', 'driver pod lacks annotation sparkgate.io/user'],
      ['driver pod has no readable connection Secret; deleting it', `Secret team-a/${noSecret.pod.metadata!.name} not found`],
      [
        'cannot read the kernel Secret of a driver pod; leaving the pod for the next gateway start',
        "could not read the kernel's Secret in namespace team-a: Kubernetes API answered 500: etcdserver: request timed out"
      ]
    ]);

    const kernel = found[0]!.adopt(() => undefined);
    expect(kernel.connection).toMatchObject({ ip: '10.0.0.9', key: 'key-of-aaaaaaaa-1' });
    expect(kernel.status?.()).toEqual({ executors: { ready: 0, pending: 0, pendingReason: null, pods: [] }, gpus: 1 });
    await backend.dispose();
  });

  // Active-active replicas (issue 13, item 4): kernels another gateway starts, found as they run.
  it('should offer drivers that get running later, once each, skipping known kernels, pods being stopped by a gateway and unreadable ones, deleting nothing', async () => {
    const late = driver('ffffffff-1', 'late1');
    const mine = driver('11111111-1', 'mine1');
    const stopping = driver('22222222-1', 'stop1');
    stopping.pod.metadata!.annotations!['sparkgate.io/stopped-by-gateway'] = 'removed';
    const foreign = driver('33333333-1', 'frgn1');
    delete foreign.pod.metadata!.annotations!['sparkgate.io/user'];
    const secrets: Record<string, V1Secret> = { [late.pod.metadata!.name!]: late.secret };
    const api = fakeApi({
      readNamespacedSecret: async ({ name }) => {
        const secret = secrets[name as string];
        if (!secret) {
          throw apiStatus(404, 'not found');
        }
        return secret;
      }
    });
    const informer = new FakeInformer([[]]);
    const { backend, called } = setup({ 'team-a': informer }, api);
    await backend.discover(['team-a']);
    const offered: string[] = [];
    const stop = backend.watchKernels(['team-a'], { known: id => id === mine.pod.metadata!.labels!['sparkgate.io/kernel-id'], found: k => offered.push(k.kernelId) });
    informer.put(podAt.scheduled(late.pod, 'cpu-1'), 'add');
    informer.put(podAt.running(mine.pod, '10.0.0.2'), 'add');
    informer.put(podAt.running(stopping.pod, '10.0.0.3'), 'add');
    informer.put(podAt.running(foreign.pod, '10.0.0.4'), 'add');
    informer.put(podAt.running(late.pod, '10.0.0.5'));
    informer.put(podAt.running(late.pod, '10.0.0.5'));
    await until(() => offered.length === 1, 'the late driver offered');
    expect(offered).toEqual(['ffffffff-1']);
    expect(called('readNamespacedSecret').map(c => c.name)).toEqual([late.pod.metadata!.name]);
    expect(called('deleteNamespacedPod')).toEqual([]);
    stop();
    const again = driver('44444444-1', 'again');
    informer.put(podAt.running(again.pod, '10.0.0.6'), 'add');
    expect(called('readNamespacedSecret')).toHaveLength(1);
    await backend.dispose();
  });

  it('should mark a driver pod (merge patch guarded by its uid) before deleting it for a gateway stop', async () => {
    const good = driver('aaaaaaaa-2', 'good2');
    const api = fakeApi({ readNamespacedSecret: async () => good.secret, patchNamespacedPod: async args => args.body });
    const informer = new FakeInformer([[podAt.running(good.pod, '10.0.0.9')]]);
    const { backend, calls } = setup({ 'team-a': informer }, api);
    const [found] = await backend.discover(['team-a']);
    const kernel = found!.adopt(() => undefined);
    const stopping = kernel.terminate(0, { culled: 'culled after 60 min idle' });
    await until(() => calls.some(([n]) => n === 'deleteNamespacedPod'), 'the delete');
    informer.put(good.pod, 'delete');
    await stopping;
    expect(calls.filter(([n]) => n === 'patchNamespacedPod' || n === 'deleteNamespacedPod').map(([n, a]) => [n, a.body])).toEqual([
      ['patchNamespacedPod', { metadata: { uid: 'uid-aaaaaaaa-2', annotations: { 'sparkgate.io/stopped-by-gateway': 'culled after 60 min idle' } } }],
      ['deleteNamespacedPod', { preconditions: { uid: 'uid-aaaaaaaa-2' } }]
    ]);
    await backend.dispose();
  });
});
