import { describe, expect, it } from '@jest/globals';
import { ApiException, KubeConfig, type CoreV1Api, type NetworkingV1Api, type V1Pod } from '@kubernetes/client-node';
import { KubernetesBackend } from '../../../../server/src/backends/kubernetes/backend.js';
import { PodWatch, watchFailure, type PodInformer } from '../../../../server/src/backends/kubernetes/podWatch.js';
import type { LaunchRequest } from '../../../../server/src/backends/types.js';
import type { KubernetesBackendConfig } from '../../../../server/src/config/types.js';
import { ServiceUnavailableError } from '../../../../server/src/errors.js';
import { createLogger } from '../../../../server/src/log.js';

const FORBIDDEN_BODY = JSON.stringify({
  kind: 'Status',
  status: 'Failure',
  reason: 'Forbidden',
  code: 403,
  message: 'pods is forbidden: User "system:serviceaccount:sparkgate:sparkgate" cannot list resource "pods" in API group "" in the namespace "team-a"'
});
const forbidden = (): ApiException<string> => new ApiException(403, 'Unknown API Status Code!', FORBIDDEN_BODY, {});
const FORBIDDEN_MESSAGE =
  'cannot watch pods in namespace team-a: forbidden: pods is forbidden: User "system:serviceaccount:sparkgate:sparkgate" cannot list resource "pods" ' +
  `in API group "" in the namespace "team-a"; the namespace may not exist or may lack the gateway's RoleBinding (apply images/deploy/tenant.yaml for it)`;

/** An informer whose starts follow a script: each `start()` lists the next entry, or emits it as an error like ListWatch. */
class FakeInformer implements PodInformer {
  starts = 0;
  stopped = false;
  constructor(readonly outcomes: Array<V1Pod[] | Error>) {}

  on(verb: string, cb: (arg: any) => void): void {
    (this._callbacks[verb] ??= []).push(cb);
  }

  async start(): Promise<void> {
    this.starts++;
    const outcome = this.outcomes.shift() ?? [];
    if (outcome instanceof Error) {
      this.emit('error', outcome);
      return;
    }
    for (const pod of outcome) {
      this._pods.set(pod.metadata!.name!, pod);
      this.emit('add', pod);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  get(name: string): V1Pod | undefined {
    return this._pods.get(name);
  }

  list(): V1Pod[] {
    return [...this._pods.values()];
  }

  emit(verb: string, arg: unknown): void {
    for (const cb of this._callbacks[verb] ?? []) {
      cb(arg);
    }
  }

  private readonly _callbacks: Record<string, Array<(arg: any) => void>> = {};
  private readonly _pods = new Map<string, V1Pod>();
}

/** Delays that only end when the test releases them; records each asked delay and its signal. */
class FakeDelays {
  readonly asked: number[] = [];
  readonly pending: Array<{ ms: number; signal: AbortSignal | undefined; release: () => void }> = [];
  readonly delay = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      this.asked.push(ms);
      this.pending.push({ ms, signal, release: resolve });
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });

  /** Ends the oldest pending delay. */
  releaseNext(): void {
    const next = this.pending.shift();
    if (!next) {
      throw new Error('no pending delay');
    }
    next.release();
  }
}

/** Waits (on the event loop, not on time) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) {
    await new Promise(resolve => setImmediate(resolve));
  }
  if (!condition()) {
    throw new Error(`timed out waiting for ${what}`);
  }
}

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', write: line => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}
const brief = (lines: Array<Record<string, unknown>>) =>
  lines.map(({ level, message, namespace, failures, retryInMs }) => ({ level, message, namespace, failures, retryInMs }));

function setup(informers: Record<string, FakeInformer>) {
  const delays = new FakeDelays();
  const { logger, lines } = capturingLogger();
  let now = 10_000;
  const watch = new PodWatch({
    informerFactory: namespace => informers[namespace] ?? new FakeInformer([]),
    logger,
    backoff: { random: () => 0, delay: delays.delay },
    now: () => now
  });
  return { watch, delays, lines, advance: (ms: number) => (now += ms), informers };
}

const pod = (name: string, component: string): V1Pod => ({
  metadata: { name, namespace: 'team-a', uid: `uid-${name}`, labels: { 'app.kubernetes.io/component': component, 'sparkgate.io/kernel-id': 'k1' } }
});

describe('PodWatch', () => {
  it('should reject with the namespace and the API server reason when the first list fails, and log it once as an error', async () => {
    const { watch, lines } = setup({ 'team-a': new FakeInformer([forbidden()]) });
    const failed = await watch.watch('team-a').catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ServiceUnavailableError);
    expect((failed as ServiceUnavailableError).statusCode).toBe(503);
    expect((failed as ServiceUnavailableError).message).toBe(FORBIDDEN_MESSAGE);
    expect(brief(lines)).toEqual([{ level: 'error', message: FORBIDDEN_MESSAGE, namespace: 'team-a', failures: 1, retryInMs: 1000 }]);
    expect(watch.state('team-a')).toEqual({ state: 'failed', error: failed, failures: 1, since: 10_000 });
    await watch.dispose();
  });

  it('should retry a failing namespace on the backed-off delays, logging only the first failure as an error', async () => {
    const informer = new FakeInformer(Array.from({ length: 8 }, forbidden));
    const { watch, delays, lines } = setup({ 'team-a': informer });
    await expect(watch.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    for (let start = 2; start <= 8; start++) {
      await until(() => delays.pending.length === 1, `retry delay ${start - 1}`);
      delays.releaseNext();
      await until(() => informer.starts === start && watch.state('team-a')?.failures === start, `failed start ${start}`);
    }
    expect(delays.asked).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(lines.map(l => l.level)).toEqual(['error', 'debug', 'debug', 'debug', 'debug', 'debug', 'debug', 'debug']);
    expect(watch.state('team-a')).toMatchObject({ state: 'failed', failures: 8, since: 10_000 });
    await watch.dispose();
  });

  it('should reset the back-off once a list succeeds, and back off from 1 s again when the running watch breaks', async () => {
    const informer = new FakeInformer([forbidden(), forbidden(), forbidden(), [pod('driver-1', 'driver')]]);
    const { watch, delays, lines, advance } = setup({ 'team-a': informer });
    await expect(watch.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    for (let start = 2; start <= 4; start++) {
      await until(() => delays.pending.length === 1, `retry delay ${start - 1}`);
      advance(500);
      delays.releaseNext();
      await until(() => informer.starts === start, `start ${start}`);
    }
    await until(() => watch.state('team-a')?.state === 'ready', 'the watch to recover');
    expect(delays.asked).toEqual([1000, 2000, 4000]);
    expect(watch.state('team-a')).toEqual({ state: 'ready', error: null, failures: 0, since: 11_500 });
    expect(lines.at(-1)).toMatchObject({ level: 'info', message: 'pod watch established', namespace: 'team-a', afterFailedAttempts: 3 });
    await expect(watch.watch('team-a')).resolves.toBeUndefined();
    expect(watch.list('team-a', 'driver').map(p => p.metadata?.name)).toEqual(['driver-1']);

    // The watch stream ends with an error after progress: restart after the first delay again.
    informer.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await until(() => delays.pending.length === 1, 'the restart delay');
    expect(delays.asked).toEqual([1000, 2000, 4000, 1000]);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', message: 'pod watch broke; restarting', namespace: 'team-a', error: 'read ECONNRESET', retryInMs: 1000 });
    // The cache stays usable while the restart is pending.
    await expect(watch.watch('team-a')).resolves.toBeUndefined();
    delays.releaseNext();
    await until(() => informer.starts === 5, 'the restart');
    expect(watch.state('team-a')).toMatchObject({ state: 'ready', failures: 0 });
    await watch.dispose();
  });

  it('should fail a launch fast from the last answer, and try again at once after the first delay so a fixed namespace works', async () => {
    const informer = new FakeInformer([forbidden(), forbidden(), []]);
    const { watch, delays, advance } = setup({ 'team-a': informer });
    await expect(watch.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    // Within the first delay: the cached error, no new request to the API server.
    advance(999);
    await expect(watch.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    expect(informer.starts).toBe(1);
    // Later: a new attempt now, replacing the pending back-off delay (whose signal is aborted).
    advance(1);
    await expect(watch.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    expect(informer.starts).toBe(2);
    expect(delays.pending[0]?.signal?.aborted).toBe(true);
    advance(1000);
    await expect(watch.watch('team-a')).resolves.toBeUndefined();
    expect(informer.starts).toBe(3);
    expect(delays.asked).toEqual([1000, 2000]);
    expect(delays.pending.map(d => d.signal?.aborted)).toEqual([true, true]);
    expect(watch.state('team-a')).toMatchObject({ state: 'ready', failures: 0 });
    await watch.dispose();
  });

  it('should share one start between concurrent callers and keep other namespaces working', async () => {
    const a = new FakeInformer([forbidden()]);
    const b = new FakeInformer([[pod('driver-b', 'driver')]]);
    const { watch } = setup({ 'team-a': a, 'team-b': b });
    const results = await Promise.allSettled([watch.watch('team-a'), watch.watch('team-a'), watch.watch('team-b')]);
    expect(results.map(r => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect([a.starts, b.starts]).toEqual([1, 1]);
    expect(watch.state('team-b')).toMatchObject({ state: 'ready' });
    await watch.dispose();
    expect([a.stopped, b.stopped]).toEqual([true, true]);
  });

  it('should emit pod events and filter cached pods by component and kernel', async () => {
    const informer = new FakeInformer([[pod('driver-1', 'driver'), pod('exec-1', 'executor')]]);
    const { watch } = setup({ 'team-a': informer });
    const seen: Array<[string | undefined, boolean]> = [];
    watch.on('pod', (p, deleted) => seen.push([p.metadata?.name, deleted]));
    await watch.watch('team-a');
    informer.emit('delete', pod('exec-1', 'executor'));
    expect(seen).toEqual([
      ['driver-1', false],
      ['exec-1', false],
      ['exec-1', true]
    ]);
    expect(watch.list('team-a', 'executor', 'k1').map(p => p.metadata?.name)).toEqual(['exec-1']);
    expect(watch.list('team-a', 'executor', 'other')).toEqual([]);
    expect(watch.pod('team-a', 'driver-1')?.metadata?.uid).toBe('uid-driver-1');
    await watch.dispose();
  });
});

describe('watchFailure', () => {
  it('should name the namespace, the status and the fix for each kind of failure', () => {
    const status = (code: number, message: string) => new ApiException(code, 'Unknown API Status Code!', JSON.stringify({ message }), {});
    expect(watchFailure('team-a', forbidden()).message).toBe(FORBIDDEN_MESSAGE);
    expect(watchFailure('team-a', status(401, 'Unauthorized')).message).toBe(
      "cannot watch pods in namespace team-a: unauthorized: Unauthorized; check the gateway's service account token or kubeconfig"
    );
    expect(watchFailure('team-x', status(404, 'namespaces "team-x" not found')).message).toBe(
      'cannot watch pods in namespace team-x: not found: namespaces "team-x" not found; the platform team must create it (images/deploy/tenant.yaml)'
    );
    expect(watchFailure('team-a', status(500, 'etcdserver: request timed out')).message).toBe(
      'cannot watch pods in namespace team-a: Kubernetes API answered 500: etcdserver: request timed out'
    );
    // What Watch throws when the watch request (not the list) is refused.
    expect(watchFailure('team-a', Object.assign(new Error('Forbidden'), { statusCode: 403 })).message).toMatch(
      /^cannot watch pods in namespace team-a: forbidden: Forbidden; the namespace may not exist/
    );
    expect(watchFailure('team-a', new TypeError('fetch failed')).message).toBe('cannot watch pods in namespace team-a: Kubernetes API unreachable: fetch failed');
    expect(watchFailure('team-a', forbidden()).cause).toBeInstanceOf(ApiException);
  });
});

describe('KubernetesBackend with a failing namespace watch', () => {
  const config: KubernetesBackendConfig = {
    kubeconfig: null,
    driverImage: 'sparkgate/driver:1.0',
    executorImage: 'sparkgate/executor:1.0',
    imagePullPolicy: 'IfNotPresent',
    kernelServiceAccount: 'sparkgate-kernel',
    executorServiceAccount: 'sparkgate-executor',
    runAsUser: 185,
    gpuDiscoveryScript: '/opt/sparkgate/bin/gpu-discovery.sh',
    gpuNodeSelector: {},
    gpuTolerations: [],
    sparkMaster: null
  };
  const request = (tenant: string): LaunchRequest => ({
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
    signal: new AbortController().signal
  });

  it('should start with the other namespaces, fail launches in the broken one before creating anything, and launch again once it recovers', async () => {
    const created: string[] = [];
    const core = {
      createNamespacedPod: async ({ namespace }: { namespace: string }) => {
        created.push(namespace);
        throw new ApiException(500, 'Unknown API Status Code!', JSON.stringify({ message: 'stop here' }), {});
      }
    } as unknown as CoreV1Api;
    const informers: Record<string, FakeInformer> = { 'team-a': new FakeInformer([forbidden(), []]), 'team-b': new FakeInformer([[]]) };
    const delays = new FakeDelays();
    const { logger, lines } = capturingLogger();
    let now = 0;
    const backend = new KubernetesBackend({
      config,
      kubeConfig: new KubeConfig(),
      core,
      networking: {} as NetworkingV1Api,
      namespaceOf: tenant => `team-${tenant}`,
      logger,
      podWatch: { informerFactory: namespace => informers[namespace]!, backoff: { random: () => 0, delay: delays.delay }, now: () => now }
    });

    // Start-up: the broken namespace is logged once and skipped; discovery goes on.
    await expect(backend.discover(['team-a', 'team-b'])).resolves.toEqual([]);
    expect(lines.filter(l => l.level === 'error').map(l => [l.message, l.namespace, l.component])).toEqual([[FORBIDDEN_MESSAGE, 'team-a', 'podWatch']]);

    await expect(backend.launch(request('a'))).rejects.toMatchObject({ name: 'ServiceUnavailableError', statusCode: 503, message: FORBIDDEN_MESSAGE });
    expect(created).toEqual([]);
    // The healthy tenant launches (up to the fake API's refusal to create the pod).
    await expect(backend.launch(request('b'))).rejects.toThrow('could not create the driver pod in namespace team-b: Kubernetes API answered 500: stop here');

    now += 1000;
    await expect(backend.launch(request('a'))).rejects.toThrow('could not create the driver pod in namespace team-a');
    expect(created).toEqual(['team-b', 'team-a']);
    await backend.dispose();
  });
});
