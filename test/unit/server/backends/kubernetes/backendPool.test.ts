import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, type NetworkingV1Api, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import { KubernetesBackend } from '../../../../../server/src/backends/kubernetes/backend.js';
import { decodeDriverPod } from '../../../../../server/src/backends/kubernetes/codec.js';
import { buildDriverObjects, driverPodName } from '../../../../../server/src/backends/kubernetes/objects.js';
import type { PoolLeaseTiming } from '../../../../../server/src/backends/kubernetes/poolLease.js';
import { type LaunchedKernel, type LaunchRequest, POOL_USER } from '../../../../../server/src/backends/types.js';
import { waitUntil } from '../../../../support/waitFor.js';
import { apiStatus, capturingLogger, config, FakeInformer, fakeNodeApi, manualTimers, podAt } from './fixtures.js';

// Warm pool drivers on Kubernetes (issue 15): a pooled launch, its lease, its claim, and how
// discovery and the replicas' kernel watch leave unclaimed ones alone.

const SIZING = { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 } } as LaunchRequest['sizing'];
const request = (overrides: Partial<LaunchRequest> = {}): LaunchRequest => ({
  kernelId: 'k1',
  owner: { user: POOL_USER, tenant: 'a' },
  profile: { id: 'python', displayName: 'Python', spark: false, sizing: SIZING } as LaunchRequest['profile'],
  sizing: SIZING,
  key: 'f'.repeat(64),
  env: {},
  signal: new AbortController().signal,
  kernelName: 'python',
  pooled: true,
  ...overrides
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ApiArgs = Record<string, any>;

/** The API calls the backend makes, recorded; `answers[method]` overrides the default answer (the body sent, pods with a uid). */
function fakeApi(answers: Partial<Record<string, (args: ApiArgs, options?: unknown) => Promise<unknown>>> = {}) {
  const calls: Array<[string, ApiArgs]> = [];
  const method = (name: string) => async (args: ApiArgs, options?: unknown) => {
    calls.push([name, args]);
    const answer = answers[name];
    if (answer) {
      return answer(args, options);
    }
    return name === 'createNamespacedPod' ? { ...args.body, metadata: { ...args.body.metadata, uid: 'uid-1' } } : args.body;
  };
  const names = ['createNamespacedPod', 'createNamespacedSecret', 'createNamespacedService', 'readNamespacedSecret', 'readNamespacedPodLog', 'deleteNamespacedPod', 'patchNamespacedPod'];
  const core = Object.fromEntries(names.map(n => [n, method(n)])) as unknown as CoreV1Api;
  const networking = { createNamespacedNetworkPolicy: method('createNamespacedNetworkPolicy') } as unknown as NetworkingV1Api;
  const called = (name: string) => calls.filter(([n]) => n === name).map(([, args]) => args);
  return { core, networking, called };
}

function setup(informer: FakeInformer, api = fakeApi(), timing: PoolLeaseTiming = {}) {
  const timers = manualTimers();
  const { logger, lines } = capturingLogger();
  const clock = { now: Date.parse('2026-01-01T12:00:00Z') };
  const backend = new KubernetesBackend({
    config,
    kubeConfig: new KubeConfig(),
    core: api.core,
    networking: api.networking,
    namespaceOf: tenant => `team-${tenant}`,
    logger,
    nodeApi: fakeNodeApi(),
    podWatch: { informerFactory: () => informer },
    poolLease: { leaseMs: 600_000, renewMs: 180_000, now: () => clock.now, timer: timers.timer, ...timing }
  });
  return { backend, lines, clock, timers, ...api };
}

const until = (condition: () => boolean, what: string): Promise<boolean> => waitUntil(condition, { timeoutMs: 5000, what, intervalMs: 1 });

/** RFC 7386: what the API server makes of a JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    return patch;
  }
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else {
      out[key] = mergePatch(out[key], value);
    }
  }
  return out;
}

/** Launches a pooled kernel up to its running pod; returns the kernel and its pod as the API server has it. */
async function launchWarm(s: ReturnType<typeof setup>, informer: FakeInformer, overrides: Partial<LaunchRequest> = {}): Promise<{ kernel: LaunchedKernel; pod: V1Pod }> {
  const before = s.called('createNamespacedNetworkPolicy').length;
  const launching = s.backend.launch(request(overrides));
  await until(() => s.called('createNamespacedNetworkPolicy').length === before + 1, 'the owned objects');
  const sent = s.called('createNamespacedPod').at(-1)!.body as V1Pod;
  const pod = podAt.running({ ...sent, metadata: { ...sent.metadata, uid: 'uid-1' } }, '10.0.0.7');
  informer.put(pod, 'add');
  return { kernel: await launching, pod };
}

describe('KubernetesBackend with warm pool drivers (issue 15)', () => {
  it('should create a pool driver with a lease instead of a user, with its Secret, Service and policy, and renew the lease from the create on', async () => {
    const informer = new FakeInformer([[]]);
    const s = setup(informer);
    const { kernel, pod } = await launchWarm(s, informer);
    expect(pod.metadata?.annotations).toMatchObject({ 'sparkgate.io/pool': 'warm', 'sparkgate.io/pool-until': '2026-01-01T12:10:00.000Z', 'sparkgate.io/tenant': 'a' });
    expect(pod.metadata?.annotations?.['sparkgate.io/user']).toBeUndefined();
    expect(s.called('createNamespacedSecret')).toHaveLength(1);
    expect(s.called('createNamespacedService')).toHaveLength(1);
    expect(kernel.connection).toMatchObject({ ip: '10.0.0.7', key: 'f'.repeat(64) });

    expect(s.timers.pending.map(t => t.ms)).toEqual([180_000]);
    s.clock.now += 180_000;
    s.timers.fire();
    s.clock.now += 180_000;
    s.timers.fire();
    await until(() => s.called('patchNamespacedPod').length === 2, 'two renewals');
    expect(s.called('patchNamespacedPod').map(a => a.body)).toEqual([
      { metadata: { uid: 'uid-1', annotations: { 'sparkgate.io/pool-until': '2026-01-01T12:13:00.000Z' } } },
      { metadata: { uid: 'uid-1', annotations: { 'sparkgate.io/pool-until': '2026-01-01T12:16:00.000Z' } } }
    ]);
    const stopping = kernel.terminate(0);
    expect(s.timers.pending).toEqual([]);
    informer.put(pod, 'delete');
    await stopping;
    await s.backend.dispose();
  });

  it("should claim with one merge patch after which the pod reads as the owner's cold kernel, renew no more, and refuse a second claim", async () => {
    const informer = new FakeInformer([[]]);
    const s = setup(informer);
    const { kernel, pod } = await launchWarm(s, informer);
    // A driver-only profile: nothing for the manager to ask Spark for.
    expect(await kernel.claim!({ owner: { user: 'alice', tenant: 'a' }, kernelName: 'python--k1', env: { KERNEL_USERNAME: 'alice' } })).toEqual({});
    const [patch] = s.called('patchNamespacedPod');
    expect(patch).toEqual({
      name: pod.metadata!.name,
      namespace: 'team-a',
      body: {
        metadata: {
          uid: 'uid-1',
          annotations: {
            'sparkgate.io/user': 'alice',
            'sparkgate.io/tenant': 'a',
            'sparkgate.io/kernel-name': 'python--k1',
            'sparkgate.io/pool': null,
            'sparkgate.io/pool-until': null
          }
        }
      }
    });
    expect(s.timers.pending).toEqual([]);

    // What the API server makes of it equals the pod of a cold launch for alice.
    const claimed = mergePatch(pod, patch!.body) as V1Pod;
    const cold = buildDriverObjects({
      kernelId: 'k1',
      podName: pod.metadata!.name!,
      namespace: 'team-a',
      user: 'alice',
      tenant: 'a',
      profile: 'python',
      kernelName: 'python--k1',
      spark: false,
      sizing: SIZING,
      key: 'f'.repeat(64),
      env: {},
      config
    }).pod;
    expect(claimed.metadata?.annotations).toEqual(cold.metadata?.annotations);
    expect(claimed.metadata?.labels).toEqual(cold.metadata?.labels);
    expect(decodeDriverPod(claimed)).toEqual(decodeDriverPod({ ...cold, metadata: { ...cold.metadata, uid: 'uid-1' } }));
    expect(decodeDriverPod(claimed)).toMatchObject({ ok: true, value: { user: 'alice', tenant: 'a', kernelName: 'python--k1' } });

    await expect(kernel.claim!({ owner: { user: 'bob', tenant: 'a' }, kernelName: 'python', env: {} })).rejects.toMatchObject({
      name: 'ConflictError',
      message: `driver pod team-a/${pod.metadata!.name} was claimed already: a warm pool driver is handed out once`
    });
    expect(s.called('patchNamespacedPod')).toHaveLength(1);
    await s.backend.dispose();
  });

  it("should start a fixed-count Spark profile's warm driver without executors and have the claim ask for them", async () => {
    const informer = new FakeInformer([[]]);
    const s = setup(informer);
    const sizing = { ...SIZING, executors: { ...SIZING.executors, count: 2 } };
    const profile = { id: 'pyspark', displayName: 'PySpark', spark: true, sizing } as LaunchRequest['profile'];
    const { kernel } = await launchWarm(s, informer, { profile, sizing, kernelName: 'pyspark' });
    const secret = s.called('createNamespacedSecret').at(-1)!.body as V1Secret;
    const conf = JSON.parse(secret.stringData!['spark-conf.json']!) as Record<string, string>;
    expect(conf['spark.executor.instances']).toBe('0');
    expect(await kernel.claim!({ owner: { user: 'alice', tenant: 'a' }, kernelName: 'pyspark', env: {} })).toEqual({ requestExecutors: 2 });
  });

  it('should refuse a claim by another tenant, by nobody, of a cold kernel and of a stopping one, patching nothing', async () => {
    const informer = new FakeInformer([[]]);
    const s = setup(informer);
    const { kernel, pod } = await launchWarm(s, informer);
    const name = `driver pod team-a/${pod.metadata!.name}`;
    await expect(kernel.claim!({ owner: { user: 'bob', tenant: 'b' }, kernelName: 'python', env: {} })).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: `${name} is a warm driver of tenant a: it cannot be claimed by user 'bob' of tenant b`
    });
    await expect(kernel.claim!({ owner: { user: POOL_USER, tenant: 'a' }, kernelName: 'python', env: {} })).rejects.toMatchObject({ name: 'NotAllowedError' });
    const stopping = kernel.terminate(0);
    await expect(kernel.claim!({ owner: { user: 'alice', tenant: 'a' }, kernelName: 'python', env: {} })).rejects.toMatchObject({
      name: 'ConflictError',
      message: `${name} has ended or is being stopped: it cannot be claimed`
    });
    informer.put(pod, 'delete');
    await stopping;

    const cold = await launchWarm(s, informer, { kernelId: 'k2', owner: { user: 'alice', tenant: 'a' }, pooled: undefined });
    await expect(cold.kernel.claim!({ owner: { user: 'alice', tenant: 'a' }, kernelName: 'python', env: {} })).rejects.toMatchObject({
      name: 'ConflictError',
      message: `driver pod team-a/${cold.pod.metadata!.name} is not a warm pool driver: it cannot be claimed`
    });
    expect(s.called('patchNamespacedPod')).toEqual([]);
    await s.backend.dispose();
  });

  it.each([
    [500, 'etcdserver: request timed out', 'ServiceUnavailableError', /^could not update driver pod sg-k1-[a-z0-9]{5} in namespace team-a: Kubernetes API answered 500: etcdserver: request timed out$/],
    [409, 'Precondition failed: UID in precondition: uid-1, UID in object meta: uid-2', 'ConflictError', /it changed meanwhile: Precondition failed/],
    [404, 'pods "sg-k1" not found', 'NotFoundError', /^driver pod sg-k1-[a-z0-9]{5} in namespace team-a is gone/]
  ] as const)('should reject a claim whose patch the API answers %i with a typed error, the pod left a pool driver', async (code, message, name, pattern) => {
    const informer = new FakeInformer([[]]);
    const api = fakeApi({
      patchNamespacedPod: async () => {
        throw apiStatus(code, message);
      }
    });
    const s = setup(informer, api);
    const { kernel } = await launchWarm(s, informer);
    const claiming = kernel.claim!({ owner: { user: 'alice', tenant: 'a' }, kernelName: 'python', env: {} });
    await expect(claiming).rejects.toMatchObject({ name });
    await expect(claiming).rejects.toThrow(pattern);
    // No renewal either: the lease runs out, and the sweep removes the pod if the caller does not stop it.
    expect(s.timers.pending).toEqual([]);
    await s.backend.dispose();
  });

  it('should stop renewing when a pooled launch fails', async () => {
    const informer = new FakeInformer([[]]);
    const s = setup(informer);
    const launching = s.backend.launch(request());
    await until(() => s.called('createNamespacedNetworkPolicy').length === 1, 'the owned objects');
    expect(s.timers.pending).toHaveLength(1);
    const sent = s.called('createNamespacedPod')[0]!.body as V1Pod;
    informer.put(podAt.ended({ ...sent, metadata: { ...sent.metadata, uid: 'uid-1' } }, 1, 'Error'));
    await expect(launching).rejects.toMatchObject({ name: 'KernelLaunchError' });
    expect(s.timers.pending).toEqual([]);
    expect(s.called('deleteNamespacedPod')).toHaveLength(1);
    await s.backend.dispose();
  });

  describe('discovery and the kernel watch', () => {
    const driver = (id: string, suffix: string, pool: boolean) => {
      const objects = buildDriverObjects({
        kernelId: id,
        podName: driverPodName(id, suffix),
        namespace: 'team-a',
        user: pool ? POOL_USER : 'alice',
        tenant: 'a',
        profile: 'python',
        kernelName: 'python',
        spark: false,
        sizing: SIZING,
        key: `key-of-${id}`,
        env: {},
        config,
        ...(pool ? { pool: { until: new Date('2026-01-01T12:10:00Z') } } : {})
      });
      const pod = podAt.running({ ...objects.pod, metadata: { ...objects.pod.metadata, uid: `uid-${id}` } }, '10.0.0.9');
      const secret = objects.secret(pod);
      const data = Object.fromEntries(Object.entries(secret.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
      return { pod, secret: { ...secret, stringData: undefined, data } as V1Secret };
    };

    it('should leave unclaimed pool drivers out of discovery quietly (no delete, no warning), lease lapsed or not', async () => {
      const cold = driver('aaaaaaaa-1', 'cold1', false);
      const warm = driver('bbbbbbbb-1', 'warm1', true);
      const lapsed = driver('cccccccc-1', 'lapsd', true);
      delete lapsed.pod.metadata!.annotations!['sparkgate.io/pool-until'];
      const api = fakeApi({ readNamespacedSecret: async () => cold.secret });
      const informer = new FakeInformer([[cold.pod, warm.pod, lapsed.pod]]);
      const s = setup(informer, api);
      const found = await s.backend.discover(['team-a']);
      expect(found.map(k => [k.kernelId, k.owner])).toEqual([['aaaaaaaa-1', { user: 'alice', tenant: 'a' }]]);
      expect(s.called('deleteNamespacedPod')).toEqual([]);
      expect(s.called('readNamespacedSecret').map(c => c.name)).toEqual([cold.pod.metadata!.name]);
      expect(s.lines.filter(l => l.level !== 'debug')).toEqual([]);
      expect(s.lines.filter(l => l.message === 'left an unclaimed warm pool driver alone').map(l => l.poolUntil)).toEqual(['2026-01-01T12:10:00.000Z', null]);
      await s.backend.dispose();
    });

    it("should not offer another replica's pool driver until it is claimed, then offer it once as the owner's kernel", async () => {
      const warm = driver('dddddddd-1', 'warm2', true);
      const api = fakeApi({ readNamespacedSecret: async () => warm.secret });
      const informer = new FakeInformer([[]]);
      const s = setup(informer, api);
      await s.backend.discover(['team-a']);
      const offered: Array<[string, unknown, string]> = [];
      const stop = s.backend.watchKernels(['team-a'], { known: () => false, found: k => offered.push([k.kernelId, k.owner, k.kernelName]) });
      informer.put(warm.pod, 'add');
      informer.put(warm.pod);
      expect(s.called('readNamespacedSecret')).toEqual([]);
      const claimBody = {
        metadata: {
          annotations: { 'sparkgate.io/user': 'alice', 'sparkgate.io/tenant': 'a', 'sparkgate.io/kernel-name': 'python--x', 'sparkgate.io/pool': null, 'sparkgate.io/pool-until': null }
        }
      };
      informer.put(mergePatch(warm.pod, claimBody) as V1Pod);
      await until(() => offered.length === 1, 'the claimed driver offered');
      expect(offered).toEqual([['dddddddd-1', { user: 'alice', tenant: 'a' }, 'python--x']]);
      expect(s.called('deleteNamespacedPod')).toEqual([]);
      expect(s.lines.filter(l => l.level === 'warn' || l.level === 'error')).toEqual([]);
      stop();
      await s.backend.dispose();
    });
  });
});

describe('the claim patch on the wire', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.close();
    server = undefined;
  });

  it('should reach the API server as a JSON merge patch that keeps the nulls removing the pool marks', async () => {
    const seen: Array<{ method?: string; url?: string; contentType?: string; body: string }> = [];
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'team-a' } }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x'
    });
    const real = kc.makeApiClient(CoreV1Api);
    // Everything else from the fake; the patch through the real client and its serializer.
    const api = fakeApi({ patchNamespacedPod: (args, options) => real.patchNamespacedPod(args as Parameters<CoreV1Api['patchNamespacedPod']>[0], options as never) });
    const informer = new FakeInformer([[]]);
    const s = setup(informer, api);
    const { kernel, pod } = await launchWarm(s, informer);
    await kernel.claim!({ owner: { user: 'alice', tenant: 'a' }, kernelName: 'python', env: {} });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'PATCH', url: `/api/v1/namespaces/team-a/pods/${pod.metadata!.name}`, contentType: 'application/merge-patch+json' });
    expect(JSON.parse(seen[0]!.body)).toEqual({
      metadata: {
        uid: 'uid-1',
        annotations: { 'sparkgate.io/user': 'alice', 'sparkgate.io/tenant': 'a', 'sparkgate.io/kernel-name': 'python', 'sparkgate.io/pool': null, 'sparkgate.io/pool-until': null }
      }
    });
    await s.backend.dispose();
  });
});
