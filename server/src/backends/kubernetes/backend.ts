import { randomBytes } from 'node:crypto';
import { ApiException, type CoreV1Api, type KubeConfig, type NetworkingV1Api, type V1Pod } from '@kubernetes/client-node';
import type { KubernetesBackendConfig } from '../../config/types.js';
import {
  GatewayError,
  KernelLaunchError,
  KernelUnschedulableError,
  QuotaExceededError,
  ServiceUnavailableError
} from '../../errors.js';
import type { Logger } from '../../log.js';
import { DRIVER_PORTS } from '../../spark/kubernetesConf.js';
import type { Sizing } from '../../config/types.js';
import type { Backend, ClusterStatus, DiscoveredKernel, KernelExit, LaunchedKernel, LaunchRequest } from '../types.js';
import { ANNOTATIONS, buildDriverObjects, driverPodName, LABELS } from './objects.js';
import { driverState, executorStatus, podGpus, type DriverState } from './podStatus.js';
import { listWatchInformers, PodWatch, type PodWatchOptions } from './podWatch.js';

export interface KubernetesBackendOptions {
  config: KubernetesBackendConfig;
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  networking: NetworkingV1Api;
  /** The namespace of a tenant's kernels. */
  namespaceOf: (tenant: string) => string;
  logger: Logger;
  /** Overrides for the pod watch (informer factory, restart back-off, clock); tests use them. */
  podWatch?: Partial<Omit<PodWatchOptions, 'logger'>>;
}

/**
 * Runs each kernel as a Spark client-mode driver pod in its tenant's namespace (DESIGN.md,
 * Kernel lifecycle). Pod state comes from one informer per namespace, never from polling.
 */
export class KubernetesBackend implements Backend {
  readonly name = 'kubernetes' as const;
  readonly kernelsOutliveGateway = true;

  constructor(private readonly _o: KubernetesBackendOptions) {
    this._pods = new PodWatch({
      informerFactory: listWatchInformers(_o.kubeConfig, _o.core),
      ..._o.podWatch,
      logger: _o.logger.child({ component: 'podWatch' })
    });
  }

  async launch(request: LaunchRequest): Promise<LaunchedKernel> {
    const o = this._o;
    const namespace = o.namespaceOf(request.owner.tenant);
    // Rejects at once, naming the namespace and the cause, when its watch cannot be established:
    // without the watch the launch could only wait for the start timeout.
    await this._pods.watch(namespace);
    const objects = buildDriverObjects({
      kernelId: request.kernelId,
      podName: driverPodName(request.kernelId, randomSuffix()),
      namespace,
      user: request.owner.user,
      tenant: request.owner.tenant,
      profile: request.profile.id,
      kernelName: request.kernelName ?? request.profile.id,
      spark: request.profile.spark,
      sizing: request.sizing,
      key: request.key,
      env: request.env,
      config: o.config
    });
    const name = objects.pod.metadata!.name!;
    const logger = o.logger.child({ kernel: request.kernelId, pod: `${namespace}/${name}` });

    request.onPhase?.('scheduling');
    const pod = await o.core.createNamespacedPod({ namespace, body: objects.pod }).catch((error: unknown) => {
      throw apiError(error, `create the driver pod in namespace ${namespace}`);
    });
    const uid = pod.metadata?.uid ?? '';
    const deletePod = this._deleter(namespace, name, uid, logger);

    try {
      await Promise.all([
        o.core.createNamespacedSecret({ namespace, body: objects.secret(pod) }),
        o.core.createNamespacedService({ namespace, body: objects.service(pod) }),
        o.networking.createNamespacedNetworkPolicy({ namespace, body: objects.networkPolicy(pod) })
      ]).catch((error: unknown) => {
        throw apiError(error, `create the kernel's Secret, Service and NetworkPolicy in namespace ${namespace}`);
      });
      const podIP = await this._awaitRunning(namespace, name, uid, request).catch(async (error: unknown) => {
        // A kernel that died while starting says why in its log (where the cluster can serve it).
        if (error instanceof KernelLaunchError) {
          const log = await o.core.readNamespacedPodLog({ name, namespace, container: 'kernel', tailLines: 15 }).catch(() => '');
          throw log ? new KernelLaunchError(`${error.message}\n${log.trimEnd()}`) : error;
        }
        throw error;
      });
      logger.info('driver pod running', { podIP });
      const kernel = { kernelId: request.kernelId, spark: request.profile.spark, driverGpus: request.sizing.driver.gpus, onStatus: request.onStatus };
      return this._launched(namespace, name, uid, podIP, objects.connection, kernel, deletePod, logger);
    } catch (error) {
      await deletePod(0);
      throw error;
    }
  }

  /**
   * Driver pods of an earlier gateway process, with what the gateway needs from their labels,
   * annotations and Secret. Pods that never got running (a launch the old gateway did not finish)
   * or already ended are deleted: nobody would ever clean them up.
   */
  async discover(namespaces: readonly string[]): Promise<DiscoveredKernel[]> {
    const found: DiscoveredKernel[] = [];
    for (const namespace of new Set(namespaces)) {
      // One tenant's broken namespace must not keep the gateway from serving the others: the pod
      // watch has logged why, keeps retrying, and fails launches there with the same message.
      if (!(await this._pods.watch(namespace).then(() => true, () => false))) {
        continue;
      }
      for (const pod of this._pods.list(namespace, 'driver')) {
        const name = pod.metadata?.name ?? '';
        const uid = pod.metadata?.uid ?? '';
        const logger = this._o.logger.child({ pod: `${namespace}/${name}` });
        if (pod.metadata?.deletionTimestamp) {
          continue;
        }
        const state = driverState(pod);
        const record = readRecord(pod);
        if (state.kind !== 'running' || !record) {
          logger.warn('deleting a driver pod no gateway can take over', { state: state.kind, readable: record !== null });
          await this._deleter(namespace, name, uid, logger)(0);
          continue;
        }
        const secret = await this._o.core.readNamespacedSecret({ name, namespace }).catch(() => null);
        const connection = parseConnection(secret?.data?.['connection.json']);
        if (!connection) {
          logger.warn('driver pod has no readable connection Secret; deleting it');
          await this._deleter(namespace, name, uid, logger)(0);
          continue;
        }
        found.push({
          ...record,
          adopt: onStatus =>
            this._launched(
              namespace,
              name,
              uid,
              state.podIP,
              connection,
              { kernelId: record.kernelId, spark: record.spark, driverGpus: record.sizing.driver.gpus, onStatus },
              this._deleter(namespace, name, uid, logger),
              logger
            )
        });
      }
    }
    return found;
  }

  async dispose(): Promise<void> {
    await this._pods.dispose();
  }

  /** Deletes one driver pod (by uid, so never a successor with the same name). */
  private _deleter(namespace: string, name: string, uid: string, logger: Logger): (graceSeconds: number) => Promise<void> {
    return graceSeconds =>
      this._o.core
        .deleteNamespacedPod({ name, namespace, gracePeriodSeconds: graceSeconds, body: { preconditions: { uid } } })
        .then(() => undefined)
        .catch((error: unknown) => {
          if (!(error instanceof ApiException && (error.code === 404 || error.code === 409))) {
            logger.warn('could not delete driver pod', { error: String(error) });
          }
        });
  }

  /** Follows the driver pod through scheduling and image pull until its container runs. */
  private _awaitRunning(namespace: string, name: string, uid: string, request: LaunchRequest): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      let last: DriverState['kind'] | null = null;
      const check = (pod: V1Pod, deleted: boolean): void => {
        if (pod.metadata?.uid !== uid) {
          return;
        }
        if (deleted) {
          return done(new KernelLaunchError(`driver pod ${namespace}/${name} was deleted before the kernel started`));
        }
        const state = driverState(pod);
        if (state.kind !== last) {
          last = state.kind;
          if (state.kind === 'scheduled') {
            request.onPhase?.('pulling', `on node ${state.node}`);
          }
        }
        switch (state.kind) {
          case 'unschedulable':
            return done(new KernelUnschedulableError(`the driver pod cannot be scheduled: ${state.message}`));
          case 'image-error':
            return done(new KernelLaunchError(`the driver image cannot be pulled (${request.profile.id}): ${state.message}`));
          case 'ended':
            return done(new KernelLaunchError(`the driver pod ended during start (exit ${state.code ?? '?'}): ${state.message}`));
          case 'running':
            request.onPhase?.('starting');
            return done(null, state.podIP);
          default:
            return undefined;
        }
      };
      const onAbort = () => done(request.signal.reason instanceof Error ? request.signal.reason : new KernelLaunchError('launch cancelled'));
      const done = (error: Error | null, podIP?: string): void => {
        this._pods.off('pod', check);
        request.signal.removeEventListener('abort', onAbort);
        if (error) {
          reject(error);
        } else {
          resolve(podIP ?? '');
        }
      };
      this._pods.on('pod', check);
      request.signal.addEventListener('abort', onAbort, { once: true });
      if (request.signal.aborted) {
        return onAbort();
      }
      const cached = this._pods.pod(namespace, name);
      if (cached) {
        check(cached, false);
      }
    });
  }

  private _launched(
    namespace: string,
    name: string,
    uid: string,
    podIP: string,
    connection: ReturnType<typeof buildDriverObjects>['connection'],
    kernel: { kernelId: string; spark: boolean; driverGpus: number; onStatus: (() => void) | undefined },
    deletePod: (graceSeconds: number) => Promise<void>,
    logger: Logger
  ): LaunchedKernel {
    const pods = this._pods;
    let resolveExit!: (exit: KernelExit) => void;
    const exited = new Promise<KernelExit>(resolve => (resolveExit = resolve));
    let gone = false;
    // An ended pod still exists (and owns its Secret, Service and policy) until it is deleted.
    let podDeleted = false;
    const follow = (pod: V1Pod, deleted: boolean): void => {
      const labels = pod.metadata?.labels ?? {};
      if (labels[LABELS.kernelId] !== kernel.kernelId) {
        return;
      }
      if (pod.metadata?.uid === uid) {
        const state = driverState(pod);
        if (deleted || state.kind === 'ended') {
          gone = true;
          podDeleted = deleted;
          pods.off('pod', follow);
          logger.info('driver pod ended', { deleted, state: state.kind });
          resolveExit({
            code: state.kind === 'ended' ? state.code : null,
            signal: null,
            reason: state.kind === 'ended' ? state.message : `driver pod ${namespace}/${name} was deleted`
          });
          return;
        }
      }
      kernel.onStatus?.();
    };
    pods.on('pod', follow);
    const driverGpus = kernel.driverGpus;
    let terminating: Promise<void> | undefined;
    return {
      connection: { ...connection, ip: podIP },
      exited,
      sparkUi: kernel.spark ? `${podIP}:${DRIVER_PORTS.ui}` : null,
      interruptMode: 'message',
      interrupt: async () => undefined,
      status: (): ClusterStatus => {
        const executors = executorStatus(pods.list(namespace, 'executor', kernel.kernelId), uid);
        return {
          executors: { ready: executors.ready, pending: executors.pending, pendingReason: executors.pendingReason },
          gpus: (gone ? 0 : driverGpus) + executors.gpus
        };
      },
      terminate: graceMs =>
        (terminating ??= (async () => {
          if (!podDeleted) {
            await deletePod(Math.ceil(graceMs / 1000));
          }
          // The pod is gone once the informer says so (the kubelet has stopped its containers).
          const deadline = new Promise<void>(resolve => setTimeout(resolve, graceMs + 30_000).unref());
          await Promise.race([exited.then(() => undefined), deadline]);
        })()),
      logTail: async (lines: number) => {
        try {
          return await this._o.core.readNamespacedPodLog({ name, namespace, container: 'kernel', tailLines: lines });
        } catch {
          const pod = pods.pod(namespace, name);
          return pod ? describePod(pod) : `driver pod ${namespace}/${name} is gone`;
        }
      }
    };
  }

  private readonly _pods: PodWatch;
}

/** What a driver pod's labels and annotations say about its kernel; null when they are not sparkgate's. */
function readRecord(pod: V1Pod): Omit<DiscoveredKernel, 'adopt'> & { spark: boolean } | null {
  const a = pod.metadata?.annotations ?? {};
  const kernelId = pod.metadata?.labels?.[LABELS.kernelId];
  const user = a[ANNOTATIONS.user];
  const tenant = a[ANNOTATIONS.tenant];
  const profileId = a[ANNOTATIONS.profile];
  if (!kernelId || !user || !tenant || !profileId) {
    return null;
  }
  let sizing: Sizing;
  try {
    sizing = JSON.parse(a[ANNOTATIONS.sizing] ?? '') as Sizing;
  } catch {
    return null;
  }
  if (typeof sizing?.driver?.gpus !== 'number' || typeof sizing.executors?.cores !== 'number') {
    return null;
  }
  return {
    kernelId,
    owner: { user, tenant },
    profileId,
    kernelName: a[ANNOTATIONS.kernelName] ?? profileId,
    sizing,
    spark: pod.spec?.containers[0]?.args?.includes('--spark-conf') ?? false
  };
}

function parseConnection(base64: string | undefined): ReturnType<typeof buildDriverObjects>['connection'] | null {
  try {
    const info = JSON.parse(Buffer.from(base64 ?? '', 'base64').toString('utf8')) as Record<string, unknown>;
    if (typeof info.key !== 'string' || typeof info.shell_port !== 'number') {
      return null;
    }
    const { ip: _ip, ...connection } = info;
    return connection as unknown as ReturnType<typeof buildDriverObjects>['connection'];
  } catch {
    return null;
  }
}

/** A short description of a pod for error messages when its log cannot be read. */
function describePod(pod: V1Pod): string {
  const state = driverState(pod);
  const gpus = podGpus(pod);
  return `pod ${pod.metadata?.namespace}/${pod.metadata?.name} on ${pod.spec?.nodeName ?? '(no node)'}: ${state.kind}${
    'message' in state ? ` — ${state.message}` : ''
  }${gpus ? ` (${gpus} GPU)` : ''}`;
}

/** Maps a Kubernetes API failure to the gateway error a user can act on. */
export function apiError(error: unknown, doing: string): GatewayError {
  if (error instanceof GatewayError) {
    return error;
  }
  if (error instanceof ApiException) {
    const message = apiMessage(error);
    if (error.code === 403 && /exceeded quota/i.test(message)) {
      return new QuotaExceededError(`the namespace's ResourceQuota refuses this kernel: ${message}`);
    }
    if (error.code === 404 && /namespaces? "?[^"]*"? not found/i.test(message)) {
      return new ServiceUnavailableError(`cannot ${doing}: ${message}; the platform team must create it (images/deploy/tenant.yaml)`);
    }
    if (error.code === 401 || error.code === 403) {
      return new ServiceUnavailableError(`the gateway may not ${doing}: ${message}; check its RBAC (images/deploy/gateway.yaml)`);
    }
    return new ServiceUnavailableError(`could not ${doing}: Kubernetes API answered ${error.code}: ${message}`);
  }
  return new ServiceUnavailableError(`could not ${doing}: Kubernetes API unreachable: ${(error as Error).message}`);
}

function apiMessage(error: ApiException<unknown>): string {
  const body = error.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') {
        return parsed.message;
      }
    } catch {
      return body.slice(0, 500);
    }
  }
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return error.message.slice(0, 500);
}

function randomSuffix(): string {
  // 5 chars of [a-z0-9]: a new pod name per (re)start of the same kernel id.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(5)].map(b => alphabet[b % alphabet.length]).join('');
}
