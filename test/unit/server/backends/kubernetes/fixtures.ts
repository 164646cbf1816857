/** Shared fakes and fixtures of the Kubernetes backend's unit tests. */
import { EventEmitter } from 'node:events';
import { ApiException, KubeConfig, type CoreV1Api, type NetworkingV1Api, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { KubernetesBackend } from '../../../../../server/src/backends/kubernetes/backend.js';
import type { NodeListWatchApi } from '../../../../../server/src/backends/kubernetes/nodeWatch.js';
import type { PodInformer, PodSource, PodWatchEvents } from '../../../../../server/src/backends/kubernetes/types.js';
import type { KubernetesBackendConfig, Sizing } from '../../../../../server/src/config/types.js';
import { createLogger, type Logger } from '../../../../../server/src/log.js';

/** The backend's config in every test: GPU placement set, so GPU pods show it. */
export const config: KubernetesBackendConfig = {
  kubeconfig: null,
  driverImage: 'sparkgate/driver:1.0',
  executorImage: 'sparkgate/executor:1.0',
  imagePullPolicy: 'IfNotPresent',
  kernelServiceAccount: 'sparkgate-kernel',
  executorServiceAccount: 'sparkgate-executor',
  runAsUser: 185,
  gpuDiscoveryScript: '/opt/sparkgate/bin/gpu-discovery.sh',
  gpuNodeSelector: { 'nvidia.com/gpu.present': 'true' },
  gpuTolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
  sparkMaster: null
};

export const sizing = (driverGpus: number, executorGpus: number): Sizing => ({
  driver: { cores: 2, memoryMiB: 4096, gpus: driverGpus },
  executors: { count: 2, cores: 4, memoryMiB: 8192, gpus: executorGpus }
});

const FORBIDDEN_BODY = JSON.stringify({
  kind: 'Status',
  status: 'Failure',
  reason: 'Forbidden',
  code: 403,
  message: 'pods is forbidden: User "system:serviceaccount:sparkgate:sparkgate" cannot list resource "pods" in API group "" in the namespace "team-a"'
});
/** What the API server answers a list of pods in a namespace the gateway has no RoleBinding in. */
export const forbidden = (): ApiException<string> => new ApiException(403, 'Unknown API Status Code!', FORBIDDEN_BODY, {});
export const FORBIDDEN_MESSAGE =
  'cannot watch pods in namespace team-a: forbidden: pods is forbidden: User "system:serviceaccount:sparkgate:sparkgate" cannot list resource "pods" ' +
  `in API group "" in the namespace "team-a"; the namespace may not exist or may lack the gateway's RoleBinding (apply images/deploy/tenant.yaml for it)`;

/** An ApiException as the client throws it for a Status answer with `message`. */
export const apiStatus = (code: number, message: string): ApiException<string> =>
  new ApiException(code, 'Unknown API Status Code!', JSON.stringify({ kind: 'Status', code, message }), {});

/** An informer whose starts follow a script: each `start()` lists the next entry, or emits it as an error like ListWatch. */
export class FakeInformer implements PodInformer {
  starts = 0;
  stopped = false;
  constructor(readonly outcomes: Array<V1Pod[] | Error | 'hang'>) {}

  on(verb: string, cb: (arg: never) => void): void {
    (this._callbacks[verb] ??= []).push(cb);
  }

  /** `'hang'`: a list the API server never answers. */
  async start(): Promise<void> {
    this.starts++;
    const outcome = this.outcomes.shift() ?? [];
    if (outcome === 'hang') {
      return new Promise<void>(() => undefined);
    }
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

  /** Puts `pod` in the cache and tells the listeners, as a watch event would. */
  put(pod: V1Pod, verb: 'add' | 'update' | 'delete' = 'update'): void {
    if (verb === 'delete') {
      this._pods.delete(pod.metadata!.name!);
    } else {
      this._pods.set(pod.metadata!.name!, pod);
    }
    this.emit(verb, pod);
  }

  emit(verb: string, arg: unknown): void {
    for (const cb of this._callbacks[verb] ?? []) {
      (cb as (arg: unknown) => void)(arg);
    }
  }

  private readonly _callbacks: Record<string, Array<(arg: never) => void>> = {};
  private readonly _pods = new Map<string, V1Pod>();
}

/** Delays that only end when the test releases them; records each asked delay and its signal. */
export class FakeDelays {
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

/** A pod cache the test fills and changes by hand (`PodWatch` stands for it in production). */
export class FakePods extends EventEmitter<PodWatchEvents> implements PodSource {
  readonly pods = new Map<string, V1Pod>();

  /** Puts `pod` in the cache (or takes it out) and tells the listeners, like the watch does. */
  change(pod: V1Pod, deleted = false): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (deleted) {
      this.pods.delete(key);
    } else {
      this.pods.set(key, pod);
    }
    this.emit('pod', pod, deleted);
  }

  pod(namespace: string, name: string): V1Pod | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  list(namespace: string, component: 'driver' | 'executor', kernelId?: string): V1Pod[] {
    return [...this.pods.values()].filter(
      p =>
        p.metadata?.namespace === namespace &&
        p.metadata.labels?.['app.kubernetes.io/component'] === component &&
        (kernelId === undefined || p.metadata.labels['sparkgate.io/kernel-id'] === kernelId)
    );
  }

  /** How many 'pod' listeners are registered (a finished wait or kernel must leave none). */
  get listening(): number {
    return this.listenerCount('pod');
  }
}

/** A debug-level logger whose lines the test reads. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', write: line => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const containerStatus = (state: NonNullable<NonNullable<V1Pod['status']>['containerStatuses']>[number]['state']) => ({
  name: 'kernel',
  image: config.driverImage,
  imageID: '',
  ready: false,
  restartCount: 0,
  state
});

/** `pod` as the kubelet reports it at each step of its start. */
export const podAt = {
  scheduled: (pod: V1Pod, node = 'cpu-1'): V1Pod => ({ ...pod, spec: { ...pod.spec!, nodeName: node }, status: { phase: 'Pending' } }),
  running: (pod: V1Pod, podIP = '10.0.0.5'): V1Pod => ({
    ...pod,
    spec: { ...pod.spec!, nodeName: 'cpu-1' },
    status: { phase: 'Running', podIP, containerStatuses: [containerStatus({ running: {} })] }
  }),
  ended: (pod: V1Pod, exitCode: number, reason: string): V1Pod => ({
    ...pod,
    status: { phase: 'Failed', containerStatuses: [containerStatus({ terminated: { exitCode, reason } })] }
  })
};

/** Timers a test fires by hand (pool lease renewals): `fire()` runs the oldest and returns its delay. */
export function manualTimers() {
  const pending: Array<{ fn: () => void; ms: number }> = [];
  const timer = (fn: () => void, ms: number): (() => void) => {
    const entry = { fn, ms };
    pending.push(entry);
    return () => {
      const at = pending.indexOf(entry);
      if (at >= 0) {
        pending.splice(at, 1);
      }
    };
  };
  const fire = (): number => {
    const next = pending.shift();
    if (!next) {
      throw new Error('no pending timer');
    }
    next.fn();
    return next.ms;
  };
  return { pending, timer, fire };
}

/** Node calls of a cluster whose Nodes may be read and that has `nodes` (default none: no verdict on sizes). */
export function fakeNodeApi(nodes: V1Node[] = []): NodeListWatchApi {
  return {
    probe: () => Promise.resolve(),
    informer: () => ({ start: () => Promise.resolve(), stop: () => Promise.resolve(), list: () => nodes, on: () => undefined })
  };
}

/**
 * A backend on `core` (and `networking`) with the tests' config, no nodes and an informer that
 * lists nothing unless given: what the launch tests that stop at a given API call share.
 */
export function backendOn(core: CoreV1Api, networking: NetworkingV1Api = {} as NetworkingV1Api, informer: PodInformer = new FakeInformer([[]])): KubernetesBackend {
  return new KubernetesBackend({
    config,
    kubeConfig: new KubeConfig(),
    core,
    networking,
    namespaceOf: tenant => `team-${tenant}`,
    logger: capturingLogger().logger,
    nodeApi: fakeNodeApi(),
    podWatch: { informerFactory: () => informer }
  });
}
