/**
 * Kernel lifecycle: start, launch in the background, interrupt, restart, shut down, take over
 * kernels of an earlier gateway process or of another replica, let go at gateway stop — and the
 * registry by id with its concurrency guards. The rest lives elsewhere and never imports this
 * module: one kernel's process (process.ts, readiness.ts, exitWatch.ts), tenancy and limits
 * (fleet/tenancy.ts), which kernels to adopt (adoption.ts), a warm pool driver's start, warm-up
 * and claim (warm.ts; which pools to fill, fleet/pools.ts), Spark progress (spark/monitor.ts).
 *
 * Over 250 lines: the registry and its three concurrency guards (`_abort`, `_busy`,
 * `_stopping`) are one piece; split, each half would have to reach into the other's maps. (The
 * cull is a stop under the same guards; when to cull is fleet/culler.ts's.)
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Identity } from '../auth/types.js';
import type { Backend } from '../backends/types.js';
import type { KernelChannelsFactory } from '../channels/types.js';
import type { GatewayConfig, Profile, Sizing } from '../config/types.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { DriverPools, type PoolCount } from '../fleet/pools.js';
import { owns, Tenancy } from '../fleet/tenancy.js';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from '../metrics/types.js';
import { SparkMonitor } from '../spark/monitor.js';
import { adoptRunning, type AdoptRunningOptions, clusterName, resolveStartName, watchRunning } from './adoption.js';
import { GatewayKernel, type KernelOptions } from './kernel.js';
import { interruptKernel, launchKernel, stopKernel, type ProcessContext } from './process.js';
import { sameSizing, type Usage } from './sizing.js';
import type { CullNotice, KernelFleet, KernelManager, KernelManagerEvents, KernelManagerListener, StartKernelRequest } from './types.js';
import { claimWarm, startWarm, type WarmDriver, type WarmHost } from './warm.js';

/** Follows kernels on every change (Spark progress); `SparkMonitor` by default. */
export interface KernelWatcher {
  update(kernel: GatewayKernel): void;
  remove(kernelId: string): void;
  dispose(): void;
}

export interface KernelManagerOptions {
  backend: Backend;
  channels: KernelChannelsFactory;
  config: Pick<GatewayConfig, 'profiles' | 'tenants' | 'defaultProfile' | 'kernels' | 'input'>;
  logger: Logger;
  newId?: () => string;
  now?: () => Date;
  /** Spark progress (`spark-ready`, running jobs); default a `SparkMonitor` asking Spark's REST API. */
  spark?: KernelWatcher;
  /** Launch outcomes and phases; default none. */
  metrics?: GatewayMetrics;
}

/** The gateway's {@link KernelManager}: kernels of this process, by id. */
export class GatewayKernelManager implements KernelManager, KernelFleet {
  constructor(options: KernelManagerOptions) {
    this._o = options;
    this._logger = options.logger;
    this._tenancy = new Tenancy({
      config: options.config,
      kernels: () => this._kernels.values(),
      fitProblem: sizing => options.backend.fitProblem?.(sizing) ?? null
    });
    this._spark = options.spark ?? new SparkMonitor({ logger: options.logger.child({ component: 'spark.monitor' }) });
    this._context = {
      backend: options.backend,
      channels: options.channels,
      startTimeoutMs: options.config.kernels.startTimeoutMs,
      logger: options.logger,
      removed: kernel => {
        if (!this._stopping.has(kernel.id) && !this._busy.has(kernel.id)) {
          this._forget(kernel);
        }
      }
    };
    this._warmHost = {
      logger: options.logger,
      startTimeoutMs: options.config.kernels.startTimeoutMs,
      assertMayStart: (owner, sizing) => this._tenancy.assertMayStart(owner, sizing),
      newId: () => (options.newId ?? randomUUID)(),
      register: (kernel, env) => this._register(kernel, env),
      launch: (kernel, pooled) => this._launch(kernel, pooled),
      holds: kernel => this._kernels.get(kernel.id) === kernel,
      shutdown: kernel => this._shutdown(kernel),
      setEnv: (id, env) => this._env.set(id, env)
    };
    this._pools = new DriverPools<WarmDriver>({
      tenants: options.config.tenants,
      profiles: options.config.profiles,
      host: { startWarm: (tenant, profile) => startWarm(this._warmHost, tenant, profile), stop: driver => this._shutdown(driver.kernel) },
      logger: options.logger.child({ component: 'fleet.pools' })
    });
  }

  /** Starts keeping the tenants' warm pools full (at listen, after `adoptRunning`). */
  startPools(): void {
    this._pools.start();
  }

  /** Ready and starting warm drivers of the tenant's pools, by profile id. */
  poolCounts(tenant: string): Record<string, PoolCount> {
    return this._pools.counts(tenant);
  }

  /** Stops the pools and their unclaimed drivers (gateway stop, also when running kernels are kept). */
  disposePools(): Promise<void> {
    return this._pools.dispose();
  }

  profilesFor(owner: Identity): Profile[] {
    return this._tenancy.profilesFor(owner);
  }

  profileFor(owner: Identity, name: string | undefined): Profile {
    return this._tenancy.profileFor(owner, name);
  }

  usageOf(tenant: string): Usage {
    return this._tenancy.usageOf(tenant);
  }

  // The casts: node's typed EventEmitter cannot relate a generic `E` to its conditional listener type.
  on<E extends keyof KernelManagerEvents>(event: E, listener: KernelManagerListener<E>): void {
    (this._events as EventEmitter).on(event, listener);
  }

  off<E extends keyof KernelManagerEvents>(event: E, listener: KernelManagerListener<E>): void {
    (this._events as EventEmitter).off(event, listener);
  }

  async start(request: StartKernelRequest & { sizing?: Sizing }): Promise<GatewayKernel> {
    const resolved = resolveStartName(request, id => this._kernels.get(id));
    if ('kernel' in resolved) {
      await resolved.kernel.ready;
      return resolved.kernel;
    }
    const kernel = this._create({ ...request, ...(resolved.name ? { name: resolved.name } : {}) }, false);
    try {
      await kernel.ready;
    } catch (error) {
      this._forget(kernel);
      throw error;
    }
    return kernel;
  }

  /** Named `<profile>--<id>` (adoption.ts), so jupyter_server can attach a notebook to it. */
  launch(request: StartKernelRequest & { sizing: Sizing }): GatewayKernel {
    const kernel = this._create(request, true);
    kernel.ready.catch((error: unknown) => kernel.update({ state: 'dead', reason: (error as Error).message }));
    return kernel;
  }

  list(owner: Identity): GatewayKernel[] {
    return [...this._kernels.values()].filter(k => owns(owner, k));
  }

  /** Every kernel, for shutdown, metrics and fleet policies. */
  all(): GatewayKernel[] {
    return [...this._kernels.values()];
  }

  get(owner: Identity, id: string): GatewayKernel {
    const kernel = this._kernels.get(id);
    if (!kernel || !owns(owner, kernel)) {
      throw new NotFoundError(`kernel ${id} does not exist`);
    }
    return kernel;
  }

  async interrupt(owner: Identity, id: string): Promise<void> {
    const kernel = this.get(owner, id);
    kernel.keepAlive();
    await interruptKernel(kernel);
  }

  async restart(owner: Identity, id: string): Promise<GatewayKernel> {
    const kernel = this.get(owner, id);
    if (this._busy.has(id) || kernel.state === 'starting' || kernel.state === 'restarting') {
      throw new ConflictError(`kernel ${id} is already ${kernel.state === 'starting' ? 'starting' : 'restarting'}`);
    }
    if (kernel.state === 'dead') {
      // A dead kernel holds no slot (tenancy.ts); bringing it back takes one like a new start.
      this._tenancy.assertMayStart(kernel.owner, kernel.sizing);
    }
    this._busy.add(id);
    kernel.keepAlive();
    try {
      // No iopub status here: clients read `restarting` as an auto-restart after a crash (see
      // `gatewayStatus` in relay.ts); jupyter_server sends none for a requested restart.
      await stopKernel(kernel, { state: 'restarting', phase: 'requested' }, this._o.config.kernels.shutdownGraceMs);
      const ready = this._launch(kernel);
      kernel.update({ ready });
      await ready;
      return kernel;
    } finally {
      this._busy.delete(id);
    }
  }

  async shutdown(owner: Identity, id: string): Promise<void> {
    await this._shutdown(this.get(owner, id));
  }

  announceCull(id: string, notice: CullNotice | null): void {
    this._kernels.get(id)?.announceCull(notice);
  }

  /** Like a kernel that ended by itself (exitWatch.ts), but stopped on purpose: listed as dead with `reason`. */
  async cull(id: string, reason: string): Promise<void> {
    const kernel = this._kernels.get(id);
    if (!kernel || this._busy.has(id) || this._stopping.has(id) || (kernel.state !== 'idle' && kernel.state !== 'busy')) {
      return;
    }
    // Held as busy, so a restart meanwhile is refused (409) instead of racing the stop.
    this._busy.add(id);
    try {
      await stopKernel(kernel, { state: 'dead', reason }, this._o.config.kernels.shutdownGraceMs);
      kernel.announceCull(null);
      kernel.broadcastStatus('dead');
      kernel.closeClients(1000, reason);
      this._logger.info('kernel culled', { kernel: id, user: kernel.owner.user, tenant: kernel.owner.tenant, reason });
    } finally {
      this._busy.delete(id);
    }
  }

  /**
   * Gateway stop: shuts every kernel down — except, on a backend whose kernels outlive the
   * gateway, running ones, which are only let go (the next gateway adopts them).
   */
  async dispose(): Promise<void> {
    const keep = this._o.backend.kernelsOutliveGateway === true;
    await this._pools.dispose();
    this._unwatch?.();
    this._unwatch = null;
    this._spark.dispose();
    await Promise.all(
      [...this._kernels.values()].map(async kernel => {
        if (keep && kernel.launched && !this._stopping.has(kernel.id) && !this._busy.has(kernel.id)) {
          kernel.unbindChannels();
          kernel.update({ launched: null });
          kernel.closeClients(1001, 'gateway restarting; reconnect');
          this._forget(kernel);
          return;
        }
        await this._shutdown(kernel);
      })
    );
  }

  /** Takes over the kernels an earlier gateway process left running (adoption.ts decides which). */
  adoptRunning(): Promise<number> {
    return adoptRunning(this._adoption());
  }

  /**
   * From now on adopts kernels other gateways (replicas) start, until the returned stop (also
   * called by `dispose`). Call after `adoptRunning`.
   */
  watchRunning(): () => void {
    this._unwatch?.();
    const stop = watchRunning(this._adoption());
    this._unwatch = stop;
    return () => {
      stop();
      if (this._unwatch === stop) {
        this._unwatch = null;
      }
    };
  }

  private _adoption(): AdoptRunningOptions {
    return {
      backend: this._o.backend,
      config: this._o.config,
      context: this._context,
      host: {
        has: id => this._kernels.has(id),
        register: (found, profile) =>
          this._register({ id: found.kernelId, name: found.kernelName, profile, sizing: found.sizing, owner: found.owner }, {}),
        onStatus: kernel => this._changed(kernel)
      }
    };
  }

  private _create(request: StartKernelRequest & { sizing?: Sizing }, asCluster: boolean): GatewayKernel {
    const profile = this._tenancy.profileFor(request.owner, request.name);
    const sizing = request.sizing ?? profile.sizing;
    const nameOf = (id: string): string => (asCluster ? clusterName(request.name ?? this._o.config.defaultProfile, id) : profile.id);
    if (sameSizing(sizing, profile.sizing)) {
      // The warm driver already counts toward the tenant's limits: only the user's own count is new.
      this._tenancy.assertMayStart(request.owner, null);
      const warm = this._pools.take(request.owner.tenant, profile.id);
      if (warm) {
        const claimed = claimWarm(this._warmHost, warm.kernel, request, nameOf(warm.id));
        this._o.metrics?.launchClaimed(claimed);
        return claimed;
      }
    }
    this._tenancy.assertMayStart(request.owner, sizing);
    const id = (this._o.newId ?? randomUUID)();
    const kernel = this._register({ id, name: nameOf(id), profile, sizing, owner: request.owner }, request.env);
    const ready = this._launch(kernel).then(() => {
      this._logger.info('kernel started', { kernel: kernel.id, spec: profile.id, user: request.owner.user, tenant: request.owner.tenant });
    });
    // Callers await `ready`; this only keeps an unobserved failure from crashing the process.
    ready.catch(() => undefined);
    kernel.update({ ready });
    return kernel;
  }

  private _register(options: Omit<KernelOptions, 'logger' | 'onChange' | 'now'>, env: Readonly<Record<string, string>>): GatewayKernel {
    const kernel = new GatewayKernel({
      ...options,
      logger: this._logger.child({ kernel: options.id, user: options.owner.user, tenant: options.owner.tenant }),
      onChange: k => this._changed(k),
      ...(this._o.now ? { now: this._o.now } : {})
    });
    this._kernels.set(kernel.id, kernel);
    this._env.set(kernel.id, env);
    this._changed(kernel);
    return kernel;
  }

  private _changed(kernel: GatewayKernel): void {
    this._spark.update(kernel);
    this._events.emit('changed', kernel);
    if (kernel.pooled && kernel.state === 'dead' && !this._stopping.has(kernel.id) && this._kernels.get(kernel.id) === kernel) {
      // An unclaimed driver that died is nobody's to show: it goes, and its pool replaces it.
      void this._shutdown(kernel).catch(() => undefined);
    } else if (kernel.state === 'dead' && this._kernels.get(kernel.id) === kernel) {
      // A dead kernel (crashed, culled) stays listed but holds no slot (tenancy.ts): a pool the
      // tenant's limits kept smaller may take the room now, not only once the kernel is deleted.
      this._pools.removed(kernel.owner.tenant, kernel.id);
    }
  }

  private _forget(kernel: GatewayKernel): void {
    this._kernels.delete(kernel.id);
    this._env.delete(kernel.id);
    this._spark.remove(kernel.id);
    this._events.emit('removed', kernel);
    // A driver of a pool went, or room in the tenant: the pool may refill.
    this._pools.removed(kernel.owner.tenant, kernel.id);
  }

  private async _shutdown(kernel: GatewayKernel): Promise<void> {
    const running = this._stopping.get(kernel.id);
    if (running) {
      return running;
    }
    const stop = (async () => {
      const launch = this._abort.get(kernel.id);
      launch?.abort.abort();
      // A launch in flight unwinds first (its process ended, its folder removed): a gateway that
      // exits after the stop (the pool's starting drivers at gateway stop) leaves nothing behind.
      await launch?.launching.catch(() => undefined);
      await stopKernel(kernel, { state: 'terminating' }, this._o.config.kernels.shutdownGraceMs);
      kernel.closeClients(1000, 'kernel shut down');
      this._forget(kernel);
      this._logger.info('kernel shut down', { kernel: kernel.id, user: kernel.owner.user, tenant: kernel.owner.tenant });
    })();
    this._stopping.set(kernel.id, stop);
    try {
      await stop;
    } finally {
      this._stopping.delete(kernel.id);
    }
  }

  private _launch(kernel: GatewayKernel, pooled = false): Promise<void> {
    const abort = new AbortController();
    const launching = launchKernel(kernel, {
      ...this._context,
      pooled,
      env: this._env.get(kernel.id) ?? {},
      abort,
      onStatus: () => this._changed(kernel)
    }).finally(() => {
      if (this._abort.get(kernel.id)?.abort === abort) {
        this._abort.delete(kernel.id);
      }
    });
    this._abort.set(kernel.id, { abort, launching });
    this._o.metrics?.launchStarted(kernel, launching, { pooled, signal: abort.signal });
    return launching;
  }

  private readonly _o: KernelManagerOptions;
  private readonly _logger: Logger;
  private readonly _tenancy: Tenancy;
  private readonly _pools: DriverPools<WarmDriver>;
  /** The registry as warm.ts sees it. */
  private readonly _warmHost: WarmHost;
  private readonly _spark: KernelWatcher;
  private readonly _context: ProcessContext;
  private readonly _events = new EventEmitter<KernelManagerEvents>();
  private readonly _kernels = new Map<string, GatewayKernel>();
  private readonly _env = new Map<string, Readonly<Record<string, string>>>();
  /** Launches in flight: how to cancel each, and its settling. */
  private readonly _abort = new Map<string, { abort: AbortController; launching: Promise<void> }>();
  private readonly _busy = new Set<string>();
  private readonly _stopping = new Map<string, Promise<void>>();
  private _unwatch: (() => void) | null = null;
}
