import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Identity } from '../auth/types.js';
import type { Backend, LaunchedKernel } from '../backends/types.js';
import type { GatewayConfig, Profile, Sizing } from '../config/types.js';
import { ConflictError, GatewayError, KernelLaunchError, KernelStartTimeoutError, LimitExceededError, NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import { Backoff } from '../util/retry.js';
import type { KernelChannelsFactory } from '../channels/types.js';
import { Kernel } from './kernel.js';
import { addUsage, assertWithinLimits, NO_USAGE, totalsOf, type Usage } from './sizing.js';
import type { StartKernelRequest } from './types.js';

export interface KernelManagerOptions {
  backend: Backend;
  channels: KernelChannelsFactory;
  config: Pick<GatewayConfig, 'profiles' | 'tenants' | 'defaultProfile' | 'kernels' | 'input'>;
  logger: Logger;
  newId?: () => string;
  now?: () => Date;
}

/** Events of the manager, for status streams. */
export interface KernelManagerEvents {
  changed: [kernel: Kernel];
  removed: [kernel: Kernel];
}

/**
 * Starts, tracks, restarts and stops kernels, and enforces ownership: every lookup is by
 * owner, and another user's kernel is reported as not found.
 */
export class KernelManager extends EventEmitter<KernelManagerEvents> {
  constructor(options: KernelManagerOptions) {
    super();
    this._o = options;
    this._logger = options.logger;
  }

  /** Profiles the identity's tenant may launch. */
  profilesFor(owner: Identity): Profile[] {
    const tenant = this._o.config.tenants[owner.tenant];
    return (tenant?.profiles ?? []).map(id => this._o.config.profiles[id]).filter((p): p is Profile => p !== undefined);
  }

  /** What the owner's tenant holds now, summed over its live kernels. */
  usageOf(tenant: string): Usage {
    let usage = NO_USAGE;
    for (const kernel of this._kernels.values()) {
      if (kernel.owner.tenant === tenant && kernel.state !== 'dead') {
        usage = addUsage(usage, totalsOf(kernel.sizing));
      }
    }
    return usage;
  }

  /** Resolves a kernelspec name the owner may use. */
  profileFor(owner: Identity, name: string | undefined): Profile {
    const allowed = this.profilesFor(owner);
    const wanted = name ?? this._o.config.defaultProfile;
    const profile = allowed.find(p => p.id === wanted);
    if (!profile) {
      throw new NotFoundError(
        `kernel spec '${wanted}' does not exist; available: ${allowed.map(p => p.id).join(', ') || '(none)'}`
      );
    }
    return profile;
  }

  /** Starts a kernel and resolves once it answers kernel_info; a failed start leaves no record. */
  async start(request: StartKernelRequest & { sizing?: Sizing }): Promise<Kernel> {
    const adopted = this._adopt(request);
    if ('kernel' in adopted) {
      await adopted.kernel.ready;
      return adopted.kernel;
    }
    const kernel = this._create({ ...request, ...(adopted.name ? { name: adopted.name } : {}) }, null);
    try {
      await kernel.ready;
    } catch (error) {
      this._forget(kernel);
      throw error;
    }
    return kernel;
  }

  /**
   * Starts a cluster in the background: the kernel is listed at once (state `starting`, with
   * launch phases); a failed launch stays listed as `dead` with its reason until shut down.
   * Its kernel name `<profile>--<id>` lets jupyter_server attach a notebook to it.
   */
  launch(request: StartKernelRequest & { sizing: Sizing }): Kernel {
    const kernel = this._create(request, (id: string) => `${request.name ?? this._o.config.defaultProfile}--${id}`);
    kernel.ready.catch((error: unknown) => {
      kernel.setState('dead', (error as Error).message);
    });
    return kernel;
  }

  /**
   * `POST /api/kernels` naming a cluster (`<profile>--<id>`): the caller's running cluster, or —
   * for someone else's or a finished one (a shared notebook) — the plain profile to start afresh.
   */
  private _adopt(request: StartKernelRequest): { kernel: Kernel } | { name: string | undefined } {
    const match = /^(.+)--([0-9a-f-]{36})$/.exec(request.name ?? '');
    if (!match) {
      return { name: request.name };
    }
    const kernel = this._kernels.get(match[2] ?? '');
    if (kernel && owns(request.owner, kernel) && kernel.name === request.name) {
      return { kernel };
    }
    return { name: match[1] };
  }

  private _create(request: StartKernelRequest & { sizing?: Sizing }, nameOf: ((id: string) => string) | null): Kernel {
    const profile = this.profileFor(request.owner, request.name);
    const sizing = request.sizing ?? profile.sizing;
    this._checkLimits(request.owner, sizing);
    const id = (this._o.newId ?? randomUUID)();
    const kernel = new Kernel({
      id,
      name: nameOf ? nameOf(id) : profile.id,
      profile,
      sizing,
      owner: request.owner,
      logger: this._logger.child({ kernel: id }),
      onChange: k => this.emit('changed', k),
      ...(this._o.now ? { now: this._o.now } : {})
    });
    this._kernels.set(kernel.id, kernel);
    this._env.set(kernel.id, request.env);
    this.emit('changed', kernel);
    kernel.ready = this._launch(kernel).then(() => {
      this._logger.info('kernel started', { kernel: kernel.id, spec: profile.id, user: request.owner.user });
    });
    // Callers await `ready`; this only keeps an unobserved failure from crashing the process.
    kernel.ready.catch(() => undefined);
    return kernel;
  }

  private _forget(kernel: Kernel): void {
    this._kernels.delete(kernel.id);
    this._env.delete(kernel.id);
    this.emit('removed', kernel);
  }

  list(owner: Identity): Kernel[] {
    return [...this._kernels.values()].filter(k => owns(owner, k));
  }

  /** Every kernel, for shutdown and metrics. */
  all(): Kernel[] {
    return [...this._kernels.values()];
  }

  get(owner: Identity, id: string): Kernel {
    const kernel = this._kernels.get(id);
    if (!kernel || !owns(owner, kernel)) {
      throw new NotFoundError(`kernel ${id} does not exist`);
    }
    return kernel;
  }

  async interrupt(owner: Identity, id: string): Promise<void> {
    const kernel = this.get(owner, id);
    if (!kernel.launched || kernel.state === 'dead' || kernel.state === 'starting' || kernel.state === 'restarting') {
      throw new ConflictError(`kernel ${id} is ${kernel.state}; it can be interrupted once it is idle or busy`);
    }
    if (kernel.launched.interruptMode === 'message') {
      // Pods get no signals from the gateway: ipykernel turns this into SIGINT inside the pod.
      const reply = await kernel.request('control', 'interrupt_request', {}, 10_000);
      if (reply === null) {
        throw new ConflictError(`kernel ${id} did not answer the interrupt request within 10 s`);
      }
      return;
    }
    await kernel.launched.interrupt();
  }

  /** Restarts with the same id: the old process or pod goes, a fresh one comes. */
  async restart(owner: Identity, id: string): Promise<Kernel> {
    const kernel = this.get(owner, id);
    if (this._busy.has(id) || kernel.state === 'starting' || kernel.state === 'restarting') {
      throw new ConflictError(`kernel ${id} is already ${kernel.state === 'starting' ? 'starting' : 'restarting'}`);
    }
    this._busy.add(id);
    try {
      kernel.setState('restarting');
      kernel.setPhase('requested', null);
      // No iopub status here: clients read `restarting` as an auto-restart after a crash (see
      // `Kernel.broadcastStatus`); jupyter_server sends none for a requested restart.
      await this._stopProcess(kernel);
      kernel.ready = this._launch(kernel);
      await kernel.ready;
      return kernel;
    } finally {
      this._busy.delete(id);
    }
  }

  async shutdown(owner: Identity, id: string): Promise<void> {
    const kernel = this.get(owner, id);
    await this._shutdown(kernel);
  }

  /**
   * Gateway stop: shuts every kernel down — except, on a backend whose kernels outlive the
   * gateway, running ones, which are only let go (the next gateway adopts them).
   */
  async dispose(): Promise<void> {
    const keep = this._o.backend.kernelsOutliveGateway === true;
    await Promise.all(
      [...this._kernels.values()].map(async kernel => {
        if (keep && kernel.launched && !this._stopping.has(kernel.id) && !this._busy.has(kernel.id)) {
          kernel.launched = null;
          kernel.unbindChannels();
          kernel.closeClients(1001, 'gateway restarting; reconnect');
          this._forget(kernel);
          return;
        }
        await this._shutdown(kernel);
      })
    );
  }

  private async _shutdown(kernel: Kernel): Promise<void> {
    if (this._stopping.has(kernel.id)) {
      return this._stopping.get(kernel.id);
    }
    const stop = (async () => {
      kernel.setState('terminating');
      this._abort.get(kernel.id)?.abort();
      await this._stopProcess(kernel);
      kernel.closeClients(1000, 'kernel shut down');
      this._forget(kernel);
      this._logger.info('kernel shut down', { kernel: kernel.id });
    })();
    this._stopping.set(kernel.id, stop);
    try {
      await stop;
    } finally {
      this._stopping.delete(kernel.id);
    }
  }

  private async _stopProcess(kernel: Kernel): Promise<void> {
    const launched = kernel.launched;
    kernel.launched = null;
    if (!launched) {
      kernel.unbindChannels();
      return;
    }
    const grace = this._o.config.kernels.shutdownGraceMs;
    // Politely first, so the kernel stops its SparkSession; then the backend makes sure.
    // Until idle, not just the reply: the kernel's idle for it reaches clients before the channels close.
    await kernel.request('control', 'shutdown_request', { restart: false }, Math.min(grace, 2000), { untilIdle: true });
    kernel.unbindChannels();
    await launched.terminate(grace);
  }

  private async _launch(kernel: Kernel): Promise<void> {
    const timeoutMs = this._o.config.kernels.startTimeoutMs;
    const abort = new AbortController();
    this._abort.set(kernel.id, abort);
    const timer = setTimeout(() => abort.abort(new KernelStartTimeoutError(`kernel did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    let launched: LaunchedKernel | undefined;
    try {
      launched = await this._o.backend.launch({
        kernelId: kernel.id,
        owner: kernel.owner,
        profile: kernel.profile,
        sizing: kernel.sizing,
        key: randomBytes(32).toString('hex'),
        env: this._env.get(kernel.id) ?? {},
        signal: abort.signal,
        onPhase: (phase, detail) => kernel.setPhase(phase, detail ?? null),
        kernelName: kernel.name,
        onStatus: () => this.emit('changed', kernel)
      });
      await this._connect(kernel, launched, abort.signal);
    } catch (error) {
      const cause = abort.signal.aborted && abort.signal.reason instanceof GatewayError ? abort.signal.reason : error;
      kernel.launched = null;
      kernel.unbindChannels();
      await launched?.terminate(0).catch(() => undefined);
      if (kernel.state === 'restarting') {
        kernel.setState('dead', (cause as Error).message);
        kernel.broadcastStatus('dead');
      }
      throw cause;
    } finally {
      clearTimeout(timer);
      this._abort.delete(kernel.id);
    }
  }

  /** Binds ZeroMQ to a running kernel and waits until it answers; then it is idle. */
  private async _connect(kernel: Kernel, launched: LaunchedKernel, signal: AbortSignal): Promise<void> {
    kernel.launched = launched;
    kernel.bindChannels(
      this._o.channels({
        connection: launched.connection,
        onMessage: msg => kernel.fromKernel(msg),
        onInvalid: reason => this._logger.warn('invalid message from kernel dropped', { kernel: kernel.id, reason }),
        logger: this._logger.child({ kernel: kernel.id })
      })
    );
    await this._awaitReady(kernel, launched, signal);
    kernel.setPhase(kernel.profile.spark ? 'kernel-ready' : 'spark-ready', null);
    kernel.setState('idle');
    kernel.flushHeld();
    this._watchExit(kernel, launched);
  }

  /**
   * Takes over the kernels an earlier gateway process left running (pods outlive it), so users find
   * their clusters — and their variables — after a gateway restart. Returns how many were adopted.
   */
  async adoptRunning(): Promise<number> {
    if (!this._o.backend.discover) {
      return 0;
    }
    const namespaces = Object.values(this._o.config.tenants).map(t => t.namespace);
    let adopted = 0;
    for (const found of await this._o.backend.discover(namespaces)) {
      const profile = this._o.config.profiles[found.profileId];
      if (!profile || !this._o.config.tenants[found.owner.tenant] || this._kernels.has(found.kernelId)) {
        this._logger.warn('running kernel left alone: already known, or its profile or tenant is no longer configured', {
          kernel: found.kernelId,
          profile: found.profileId,
          tenant: found.owner.tenant
        });
        continue;
      }
      const kernel = new Kernel({
        id: found.kernelId,
        name: found.kernelName,
        profile,
        sizing: found.sizing,
        owner: found.owner,
        logger: this._logger.child({ kernel: found.kernelId }),
        onChange: k => this.emit('changed', k),
        ...(this._o.now ? { now: this._o.now } : {})
      });
      this._kernels.set(kernel.id, kernel);
      this._env.set(kernel.id, {});
      this.emit('changed', kernel);
      const launched = found.adopt(() => this.emit('changed', kernel));
      const timeout = AbortSignal.timeout(this._o.config.kernels.startTimeoutMs);
      kernel.ready = this._connect(kernel, launched, timeout).then(
        () => this._logger.info('kernel adopted', { kernel: kernel.id, user: kernel.owner.user }),
        (error: unknown) => {
          // Left listed as dead with the reason: the user may restart or shut it down.
          kernel.unbindChannels();
          kernel.setState('dead', `kernel did not answer after a gateway restart: ${(error as Error).message}`);
        }
      );
      adopted++;
    }
    return adopted;
  }

  /**
   * Waits for a kernel_info_reply and for iopub to be live (ZeroMQ SUB sockets miss what is
   * published before they connect), re-asking with backoff like jupyter_server's nudge.
   */
  private async _awaitReady(kernel: Kernel, launched: LaunchedKernel, signal: AbortSignal): Promise<void> {
    let exited = false;
    const exit = launched.exited.then(e => {
      exited = true;
      return e;
    });
    const started = Date.now();
    let replied = false;
    let nextAsk = 0;
    // Re-asks back off (250 ms doubling to 2 s) with the gateway's one retry policy.
    const reAsk = new Backoff({ initialMs: 250, maxMs: 2000, jitter: 0.25 });
    for (;;) {
      if (signal.aborted) {
        throw signal.reason;
      }
      if (exited) {
        const e = await exit;
        throw new KernelLaunchError(`kernel exited during start (code ${e.code ?? e.signal}): ${e.reason}`);
      }
      const iopubLive = kernel.iopubSeenSince(started);
      if (replied && iopubLive) {
        return;
      }
      if (Date.now() >= nextAsk) {
        // Every request stays pending until the start deadline: a late reply still counts.
        void kernel.request('shell', 'kernel_info_request', {}, this._o.config.kernels.startTimeoutMs).then(reply => {
          replied ||= reply !== null;
        });
        nextAsk = Date.now() + reAsk.next();
      }
      // Readiness has no single event (reply and iopub may come in either order): check often, briefly.
      await Promise.race([new Promise(resolve => setTimeout(resolve, 20)), exit]);
    }
  }

  private _watchExit(kernel: Kernel, launched: LaunchedKernel): void {
    void launched.exited.then(exit => {
      if (kernel.launched !== launched) {
        return; // restarted or shut down on purpose
      }
      this._logger.warn('kernel died', { kernel: kernel.id, code: exit.code, signal: exit.signal });
      kernel.launched = null;
      kernel.unbindChannels();
      kernel.setState('dead', `kernel process ended (${exit.code ?? exit.signal}): ${exit.reason.split('\n').slice(-3).join(' ')}`);
      kernel.broadcastStatus('dead');
      // Clean up what the dead kernel leaves at once (its JVM and key directory locally; the ended
      // pod and the Secret, Service and policy it owns on Kubernetes); it stays listed as dead.
      launched.terminate(0).then(
        () => this._logger.info('dead kernel cleaned up', { kernel: kernel.id }),
        (error: unknown) => this._logger.warn('could not clean up a dead kernel', { kernel: kernel.id, error })
      );
    });
  }

  private _checkLimits(owner: Identity, sizing: Sizing): void {
    const max = this._o.config.input.maxKernelsPerUser;
    if (max > 0 && this.list(owner).length >= max) {
      throw new LimitExceededError(`kernels: you have ${max} running, the limit per user; shut one down first`);
    }
    const tenant = this._o.config.tenants[owner.tenant];
    if (tenant) {
      assertWithinLimits(sizing, tenant.limits, this.usageOf(owner.tenant), owner.tenant);
    }
  }

  private readonly _o: KernelManagerOptions;
  private readonly _logger: Logger;
  private readonly _kernels = new Map<string, Kernel>();
  private readonly _env = new Map<string, Readonly<Record<string, string>>>();
  private readonly _abort = new Map<string, AbortController>();
  private readonly _busy = new Set<string>();
  private readonly _stopping = new Map<string, Promise<void>>();
}

function owns(owner: Identity, kernel: Kernel): boolean {
  return kernel.owner.user === owner.user && kernel.owner.tenant === owner.tenant;
}
