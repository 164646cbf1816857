/**
 * The Kubernetes `Backend`. Over 250 lines: it is the one place that composes launch, discovery,
 * the kernel watch of replicas, the orphan sweep, the leader Lease and the pod deleter and
 * annotator they share; each decision lives in its own module (objects.ts, codec.ts,
 * driverStart.ts, kernelWatch.ts, sweep.ts, lease.ts, poolLease.ts, driverPodKernel.ts).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CoordinationV1Api, type CoreV1Api, type KubeConfig, type NetworkingV1Api, PatchStrategy, setHeaderOptions, type V1PersistentVolumeClaim, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import type { KubernetesBackendConfig, ProfileSecret, Sizing } from '../../config/types.js';
import { KernelLaunchError, ServiceUnavailableError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { countedApiClient } from '../../metrics/kubernetes.js';
import { type GatewayMetrics, NO_METRICS } from '../../metrics/types.js';
import type { Backend, DiscoveredKernel, KernelWatchListener, LaunchedKernel, LaunchRequest, Leadership, SweptObject } from '../types.js';
import { abortable } from './abort.js';
import { apiError, apiReason, apiStatus } from './apiErrors.js';
import { decodeConnection, decodeDriverPod, poolHeldUntil } from './codec.js';
import { DriverPodKernel, type DriverPodKernelOptions } from './driverPodKernel.js';
import { awaitDriverRunning } from './driverStart.js';
import { kubeListWatchApi, listWatchInformers } from './informers.js';
import { watchDrivers } from './kernelWatch.js';
import { type LeaseApi, LeaseElector, type LeaseElectorOptions } from './lease.js';
import { ANNOTATIONS } from './labels.js';
import { nodeCapacity, sizingFitProblem, type NodeCapacity } from './nodes.js';
import { kubeNodeApi, type NodeListWatchApi, NodeWatch } from './nodeWatch.js';
import { buildDriverObjects, driverPodName } from './objects.js';
import { driverState } from './podStatus.js';
import { PodWatch, type PodWatchOptions } from './podWatch.js';
import { PoolLease, poolLeaseEnd, type PoolLeaseTiming } from './poolLease.js';
import { createRetryingQuotaConflicts as quotaRetried } from './quotaRetry.js';
import { deleteOrphan, findOrphans, listSnapshot } from './sweep.js';

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
  /** The Node calls (default the real client's); tests pass fakes. */
  nodeApi?: NodeListWatchApi;
  /** Pacing of each kernel's last-activity annotation (clock, timer, interval); tests set it. */
  activity?: DriverPodKernelOptions['activity'];
  /** The presence interval of a namespace's kernels (`DriverPodKernelOptions.presenceRefreshMs`); absent = 30 s everywhere. */
  presenceRefreshMs?: (namespace: string) => number | null;
  /** The leader Lease (clock, timer, API, holder); default the kubeconfig's CoordinationV1Api. */
  lease?: Partial<Omit<LeaseElectorOptions, 'logger' | 'namespace' | 'name' | 'durationSeconds'>>;
  /** Milliseconds clock of the orphan sweep (pod ages). Default `Date.now`. */
  now?: () => number;
  /** Kubernetes requests and watch restarts (the gateway's metrics); default none. */
  metrics?: GatewayMetrics;
  /** Lease of unclaimed warm pool drivers (duration, renewal interval, clock, timer); default poolLease.ts's constants. */
  poolLease?: PoolLeaseTiming;
}

/**
 * Runs each kernel as a Spark client-mode driver pod in its tenant's namespace (DESIGN.md,
 * Kernel lifecycle). Pod state comes from one informer per namespace, never from polling.
 */
export class KubernetesBackend implements Backend {
  readonly name = 'kubernetes' as const;
  readonly kernelsOutliveGateway = true;

  constructor(options: KubernetesBackendOptions) {
    this._o = options;
    this._pods = new PodWatch({
      informerFactory: listWatchInformers(kubeListWatchApi(options.kubeConfig, options.core, options.metrics)),
      apiServer: options.kubeConfig.getCurrentCluster()?.server,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...options.podWatch,
      logger: options.logger.child({ component: 'podWatch' })
    });
    const kc = options.kubeConfig;
    this.leadership = new LeaseElector({
      // main.ts hands over no coordination client: made here from the same kubeconfig.
      api: options.lease?.api ?? lazyLeaseApi(kc, options.metrics ?? NO_METRICS),
      holder: options.lease?.holder ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      ...options.lease,
      namespace: options.config.leaseNamespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'sparkgate',
      name: options.config.leaseName ?? 'sparkgate-gateway',
      durationSeconds: options.config.leaseSeconds ?? 15,
      logger: options.logger.child({ component: 'lease' })
    });
    this._nodes = new NodeWatch(
      options.nodeApi ?? kubeNodeApi(kc, options.core, options.metrics),
      options.logger.child({ component: 'nodeWatch' }),
      options.metrics
    );
    void this._nodes.start();
  }

  /** Why no node could hold this sizing's driver or an executor; null when one could, or nodes are not visible. */
  fitProblem(sizing: Sizing): string | null {
    const shapes = this._nodes.shapes();
    return shapes ? sizingFitProblem(shapes, sizing) : null;
  }

  /** The schedulable nodes' capacity; null when the gateway may not read Nodes. */
  nodeCapacity(): NodeCapacity | null {
    const shapes = this._nodes.shapes();
    return shapes ? nodeCapacity(shapes) : null;
  }

  /** The Lease holder among gateway replicas sweeps orphans and culls (lease.ts). */
  readonly leadership: Leadership;

  async launch(request: LaunchRequest): Promise<LaunchedKernel> {
    const o = this._o;
    const { signal } = request;
    const namespace = o.namespaceOf(request.owner.tenant);
    // Rejects at once, naming the namespace and the cause, when its watch cannot be established:
    // without the watch the launch could only wait for the start timeout. A cancelled launch stops waiting.
    await this._pods.watch(namespace, signal);
    const name = driverPodName(request.kernelId, randomSuffix());
    const pooled = request.pooled === true;
    const objects = buildDriverObjects({
      kernelId: request.kernelId,
      podName: name,
      namespace,
      user: request.owner.user,
      tenant: request.owner.tenant,
      profile: request.profile.id,
      kernelName: request.kernelName ?? request.profile.id,
      spark: request.profile.spark,
      sizing: request.sizing,
      key: request.key,
      env: request.env,
      config: o.config,
      ...(pooled ? { pool: { until: poolLeaseEnd(o.poolLease) } } : {}),
      ...(request.profile.runtime ? { runtime: request.profile.runtime } : {})
    });
    // A warm pool driver has no user until it is claimed (POOL_USER is '').
    const logger = o.logger.child({
      kernel: request.kernelId,
      pod: `${namespace}/${name}`,
      ...(pooled ? { pool: true } : { user: request.owner.user }),
      tenant: request.owner.tenant
    });

    await abortable(this._checkSecrets(namespace, request.profile.id, request.profile.runtime?.secrets ?? []), signal);
    request.onPhase?.('scheduling');
    if (objects.claims.length > 0) {
      await abortable(this._ensureClaims(namespace, objects.claims, logger), signal);
    }
    const creating = quotaRetried(() => o.core.createNamespacedPod({ namespace, body: objects.pod })).catch((error: unknown) => {
      throw apiError(error, { verb: 'create', object: 'the driver pod', namespace, server: this._server });
    });
    const pod = await abortable(creating, signal).catch((error: unknown) => {
      // Given up while the API server still works on it: a pod that appears after all goes again.
      creating.then(late => this._deleter(namespace, name, late.metadata?.uid ?? '', logger)(0), () => undefined);
      throw error;
    });
    const uid = pod.metadata?.uid ?? '';
    const deletePod = this._deleter(namespace, name, uid, logger);
    // Renewed from the create on: a slow start must not let the sweep of another replica take the pod.
    const annotate = this._annotator(namespace, name, uid, logger);
    const lease = pooled ? new PoolLease({ ...o.poolLease, write: until => annotate({ [ANNOTATIONS.poolUntil]: until.toISOString() }) }) : null;
    lease?.start();

    try {
      const owned = Promise.all([
        quotaRetried(() => o.core.createNamespacedSecret({ namespace, body: objects.secret(pod) })),
        quotaRetried(() => o.core.createNamespacedService({ namespace, body: objects.service(pod) })),
        quotaRetried(() => o.networking.createNamespacedNetworkPolicy({ namespace, body: objects.networkPolicy(pod) }))
      ]).catch((error: unknown) => {
        throw apiError(error, { verb: 'create', object: "the kernel's Secret, Service and NetworkPolicy", namespace, server: this._server });
      });
      await abortable(owned, signal);
      const podIP = await awaitDriverRunning({
        pods: this._pods,
        namespace,
        name,
        uid,
        profileId: request.profile.id,
        signal,
        onPhase: request.onPhase,
        claims: objects.claims.map(c => c.metadata?.name ?? '')
      }).catch(
        async (error: unknown) => {
          // A kernel that died while starting says why in its log (where the cluster can serve it).
          if (error instanceof KernelLaunchError) {
            const log = await this._readLog(namespace, name, 15).catch(() => '');
            throw log ? new KernelLaunchError(`${error.message}\n${log.trimEnd()}`) : error;
          }
          throw error;
        }
      );
      logger.info('driver pod running', { podIP });
      return this._kernel({
        namespace,
        podName: name,
        uid,
        podIP,
        connection: objects.connection,
        kernelId: request.kernelId,
        spark: request.profile.spark,
        driverGpus: request.sizing.driver.gpus,
        onStatus: request.onStatus,
        deletePod,
        logger,
        ...(lease ? { pool: { tenant: request.owner.tenant, lease, requestExecutors: warmExecutors(request.profile.spark, request.sizing) } } : {})
      });
    } catch (error) {
      await lease?.stop();
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
        const kernel = await this._rediscover(namespace, pod, true);
        if (kernel) {
          found.push(kernel);
        }
      }
    }
    return found;
  }

  /**
   * Driver pods that get running after `discover`: another replica's launches. Only running pods
   * with a readable record and Secret, never one a gateway is stopping; nothing is deleted here.
   */
  watchKernels(namespaces: readonly string[], listener: KernelWatchListener): () => void {
    return watchDrivers({ pods: this._pods, namespaces, listener, read: (namespace, pod) => this._rediscover(namespace, pod, false) });
  }

  /** Orphans of the namespaces (sweep.ts decides), deleted by uid; a namespace the API cannot list now is skipped. */
  async sweep(namespaces: readonly string[], known: ReadonlySet<string>): Promise<SweptObject[]> {
    const o = this._o;
    const removed: SweptObject[] = [];
    for (const namespace of new Set(namespaces)) {
      try {
        const snapshot = await listSnapshot(o, namespace);
        const policy = { known, condemned: this._condemned, now: (o.now ?? Date.now)(), graceMs: (o.config.orphanGraceSeconds ?? 600) * 1000 };
        for (const orphan of findOrphans(snapshot, policy)) {
          if (await deleteOrphan(o, orphan)) {
            removed.push({ kind: orphan.kind, namespace, name: orphan.name, reason: orphan.reason });
          }
          this._condemned.delete(orphan.uid);
        }
      } catch (error) {
        o.logger.warn('orphan sweep skipped a namespace', { namespace, error: apiError(error, { verb: 'read', object: "sparkgate's objects", namespace, server: this._server }).message });
      }
    }
    return removed;
  }

  async dispose(): Promise<void> {
    await this._nodes.stop();
    await this._pods.dispose();
  }

  /**
   * One driver pod found at start-up (`cleanUp`: unusable ones are deleted) or while running (left
   * to the sweep): a kernel to adopt, or null.
   */
  private async _rediscover(namespace: string, pod: V1Pod, cleanUp: boolean): Promise<DiscoveredKernel | null> {
    const name = pod.metadata?.name ?? '';
    const uid = pod.metadata?.uid ?? '';
    const logger = this._o.logger.child({ pod: `${namespace}/${name}` });
    if (pod.metadata?.deletionTimestamp) {
      return null;
    }
    const poolUntil = poolHeldUntil(pod);
    if (poolUntil !== null) {
      // Nobody's kernel: the gateway that renews its lease holds it; once that stops, the sweep removes it.
      if (cleanUp) {
        logger.debug('left an unclaimed warm pool driver alone', { poolUntil: Number.isNaN(poolUntil) ? null : new Date(poolUntil).toISOString() });
      }
      return null;
    }
    const state = driverState(pod);
    const record = decodeDriverPod(pod);
    if (!cleanUp && (state.kind !== 'running' || !record.ok)) {
      return null;
    }
    if (state.kind !== 'running' || !record.ok) {
      logger.warn('deleting a driver pod no gateway can take over', {
        state: state.kind,
        readable: record.ok,
        ...(record.ok ? {} : { reason: record.reason })
      });
      await this._deleter(namespace, name, uid, logger)(0);
      return null;
    }
    let secret: V1Secret | null;
    try {
      secret = await this._o.core.readNamespacedSecret({ name, namespace });
    } catch (error) {
      if (apiStatus(error) !== 404) {
        // Not a missing Secret but an API that cannot answer now: the kernel may be fine; never delete it for that.
        logger.warn('cannot read the kernel Secret of a driver pod; leaving the pod for the next gateway start', {
          error: apiError(error, { verb: 'read', object: "the kernel's Secret", namespace }).message
        });
        return null;
      }
      secret = null;
    }
    const connection = secret ? decodeConnection(secret, pod) : { ok: false as const, reason: `Secret ${namespace}/${name} not found` };
    if (!connection.ok && !cleanUp) {
      logger.warn('driver pod has no readable connection Secret; left to the orphan sweep', { reason: connection.reason });
      return null;
    }
    if (!connection.ok) {
      logger.warn('driver pod has no readable connection Secret; deleting it', { reason: connection.reason });
      await this._deleter(namespace, name, uid, logger)(0);
      return null;
    }
    const r = record.value;
    const kernelLogger = logger.child({ kernel: r.kernelId, user: r.user, tenant: r.tenant });
    return {
      kernelId: r.kernelId,
      owner: { user: r.user, tenant: r.tenant },
      profileId: r.profile,
      kernelName: r.kernelName,
      sizing: r.sizing,
      adopt: onStatus =>
        this._kernel({
          namespace,
          podName: name,
          uid,
          podIP: state.podIP,
          connection: connection.value,
          kernelId: r.kernelId,
          spark: r.spark,
          driverGpus: r.sizing.driver.gpus,
          onStatus,
          deletePod: this._deleter(namespace, name, uid, kernelLogger),
          logger: kernelLogger
        })
    };
  }

  private _kernel(options: Omit<DriverPodKernelOptions, 'pods' | 'readLog' | 'annotate' | 'patchAnnotations'>): DriverPodKernel {
    const patch = this._patcher(options.namespace, options.podName, options.uid);
    return new DriverPodKernel({
      ...options,
      pods: this._pods,
      readLog: lines => this._readLog(options.namespace, options.podName, lines),
      annotate: this._annotator(options.namespace, options.podName, options.uid, options.logger),
      patchAnnotations: annotations =>
        patch(annotations).catch((error: unknown) => {
          throw apiError(error, { verb: 'update', object: `driver pod ${options.podName}`, namespace: options.namespace, server: this._server });
        }),
      ...(this._o.activity ? { activity: this._o.activity } : {}),
      ...(this._o.presenceRefreshMs ? { presenceRefreshMs: this._o.presenceRefreshMs(options.namespace) } : {})
    });
  }

  /**
   * Merges annotations into one driver pod: a JSON merge patch (`null` removes one) guarded by its
   * uid (another pod of the same name answers 409). Rejects with the API's error.
   */
  private _patcher(namespace: string, name: string, uid: string): (annotations: Record<string, string | null>) => Promise<void> {
    return async annotations => {
      await this._o.core.patchNamespacedPod({ name, namespace, body: { metadata: { uid, annotations } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    };
  }

  /** `_patcher`'s merge for notes other gateways read (activity, presence, stop, pool lease); never rejects. */
  private _annotator(namespace: string, name: string, uid: string, logger: Logger): (annotations: Record<string, string>) => Promise<void> {
    const patch = this._patcher(namespace, name, uid);
    return annotations =>
      Promise.resolve()
        .then(() => patch(annotations))
        .then(
          () => undefined,
          (error: unknown) => {
            const code = apiStatus(error);
            if (code !== 404 && code !== 409) {
              logger.warn('could not annotate driver pod', { error: code === undefined ? String(error) : `${code}: ${apiReason(error)}` });
            }
          }
        );
  }

  /** Creates the per-user claims a launch mounts that do not exist yet (a user's first launch of the profile). */
  private async _ensureClaims(namespace: string, claims: readonly V1PersistentVolumeClaim[], logger: Logger): Promise<void> {
    for (const body of claims) {
      try {
        await this._o.core.createNamespacedPersistentVolumeClaim({ namespace, body });
        logger.info('created a per-user claim', { claim: body.metadata?.name });
      } catch (error) {
        // Already there: the user's earlier launches made it (or the platform team did).
        if (apiStatus(error) !== 409) {
          throw apiError(error, { verb: 'create', object: `the claim ${body.metadata?.name ?? ''}`, namespace, server: this._server });
        }
      }
    }
  }

  /**
   * Fails the launch before anything is created when a Secret the profile names is not in the
   * namespace (else the driver would wait in ContainerCreating until the start timeout). Asks for
   * its metadata only, so the API server never sends the gateway its values.
   */
  private async _checkSecrets(namespace: string, profileId: string, secrets: readonly ProfileSecret[]): Promise<void> {
    for (const { name } of secrets) {
      try {
        await this._o.core.readNamespacedSecret({ name, namespace }, METADATA_ONLY);
      } catch (error) {
        if (apiStatus(error) === 404) {
          throw new ServiceUnavailableError(
            `profile '${profileId}' needs the Secret ${name} in namespace ${namespace}, which does not exist: ` +
              `create it there (kubectl -n ${namespace} create secret generic ${name} …) or remove it from profiles.${profileId}.secrets`,
            { cause: error }
          );
        }
        throw apiError(error, { verb: 'read', object: `the Secret ${name} (metadata only)`, namespace, server: this._server });
      }
    }
  }

  private _readLog(namespace: string, name: string, tailLines: number): Promise<string> {
    return this._o.core.readNamespacedPodLog({ name, namespace, container: 'kernel', tailLines });
  }

  /** Deletes one driver pod (by uid, so never a successor with the same name); never rejects. */
  private _deleter(namespace: string, name: string, uid: string, logger: Logger): (graceSeconds: number) => Promise<void> {
    return graceSeconds =>
      this._o.core
        .deleteNamespacedPod({ name, namespace, gracePeriodSeconds: graceSeconds, body: { preconditions: { uid } } })
        .then(() => {
          this._condemned.delete(uid);
        })
        .catch((error: unknown) => {
          // 404: already gone; 409: the name now belongs to another pod.
          const code = apiStatus(error);
          if (code !== 404 && code !== 409) {
            // The next orphan sweep deletes it: no record will know it once its kernel is forgotten.
            this._condemned.add(uid);
            logger.warn('could not delete driver pod', { error: code === undefined ? String(error) : `${code}: ${apiReason(error)}` });
          }
        });
  }

  private get _server(): string | undefined {
    return this._o.kubeConfig.getCurrentCluster()?.server;
  }

  private readonly _o: KubernetesBackendOptions;
  private readonly _pods: PodWatch;
  private readonly _nodes: NodeWatch;
  /** Driver pods (uids) whose delete failed when their kernel was shut down or abandoned. */
  private readonly _condemned = new Set<string>();
}

/** The CoordinationV1Api, made at its first call (a kubeconfig without a cluster fails only then). */
function lazyLeaseApi(kc: KubeConfig, metrics: GatewayMetrics): LeaseApi {
  let api: CoordinationV1Api | undefined;
  const get = (): CoordinationV1Api => (api ??= countedApiClient(kc, CoordinationV1Api, metrics));
  return {
    readNamespacedLease: args => get().readNamespacedLease(args),
    createNamespacedLease: args => get().createNamespacedLease(args),
    replaceNamespacedLease: args => get().replaceNamespacedLease(args)
  };
}

/** A Secret's metadata without its data (PartialObjectMetadata): existence checks never receive values. */
const METADATA_ONLY = setHeaderOptions('Accept', 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');

function randomSuffix(): string {
  // 5 chars of [a-z0-9]: a new pod name per (re)start of the same kernel id.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(5)].map(b => alphabet[b % alphabet.length]).join('');
}

/**
 * Executors a warm driver asks for at its claim: a fixed-count profile's warm driver starts with
 * none (objects.ts, `spark.executor.instances` 0), so it holds no executor pods while nobody's.
 * Dynamic allocation and driver-only (local mode) profiles start as a cold launch does.
 */
export function warmExecutors(spark: boolean, sizing: Sizing): number {
  return spark && sizing.executors.count !== undefined && sizing.executors.count > 0 ? sizing.executors.count : 0;
}
