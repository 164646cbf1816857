/**
 * The gateway's metrics in Prometheus form (prom-client). Each gateway has its own `Registry`,
 * never prom-client's global one, so tests can run several gateways in one process. Label sets
 * stay bounded: tenant, profile, state, outcome, phase, channel — user names and kernel ids are
 * labels only when `metrics.perUserLabels` asks for them.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { GatewayError } from '../errors.js';
import type { GatewayMetrics, MeteredKernel, RelayChannel, RelayDirection } from './types.js';

export interface PrometheusMetricsOptions {
  /** Add `user` (and on `sparkgate_kernels`, `kernel_id`) labels: unbounded, so off by default. */
  perUserLabels?: boolean;
  /** Seconds clock for launch phases; default `performance.now() / 1000`. */
  now?: () => number;
  /** prom-client's process and Node.js metrics (CPU, memory, event loop, GC); default on. */
  defaultMetrics?: boolean;
}

/** Launch phases timed (the first, `requested`, is where the clock starts). */
export const TIMED_PHASES: ReadonlySet<string> = new Set(['scheduling', 'pulling', 'starting', 'kernel-ready', 'spark-ready']);

/** Seconds to tens of minutes: a local kernel is up in a second, a GPU pod may wait for a node. */
export const LAUNCH_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200];

/** A label value for an error: its name when it looks like a class name, else `Error` (never free text). */
export function errorName(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) ? name : 'Error';
}

/** How a settled launch is counted: `success` with how it came, `failure` with the error's reason, or `cancelled`. */
export function launchOutcome(error: unknown, aborted: boolean): { outcome: 'failure' | 'cancelled'; reason: string } {
  if (error instanceof GatewayError) {
    return { outcome: 'failure', reason: error.reason };
  }
  // Aborted without a typed reason: shut down (or the gateway stopped) while starting.
  return aborted ? { outcome: 'cancelled', reason: 'shutdown' } : { outcome: 'failure', reason: 'InternalError' };
}

type Labels = Record<string, string>;

/** {@link GatewayMetrics} on a prom-client `Registry`; `expose()` is what `GET /metrics` answers. */
export class PrometheusMetrics implements GatewayMetrics {
  readonly registry = new Registry();

  constructor(options: PrometheusMetricsOptions = {}) {
    const perUser = options.perUserLabels === true;
    this._perUser = perUser;
    this._now = options.now ?? (() => performance.now() / 1000);
    const user = perUser ? ['user'] : [];
    const registers = [this.registry];
    this._kernels = new Gauge({
      name: 'sparkgate_kernels',
      help: 'Kernels by execution state (starting, idle, busy, restarting, dead, ...), tenant and profile; warm pool drivers are not counted',
      labelNames: ['state', 'tenant', 'profile', ...user, ...(perUser ? ['kernel_id'] : [])],
      registers,
      // Also fills sparkgate_warm_drivers, registered next and so exposed after this runs.
      collect: () => this._collectKernels()
    });
    this._warm = new Gauge({
      name: 'sparkgate_warm_drivers',
      help: 'Unclaimed warm pool drivers by state, tenant and profile',
      labelNames: ['state', 'tenant', 'profile'],
      registers
    });
    this._launches = new Counter({
      name: 'sparkgate_launches_total',
      help: 'Kernel launches by outcome (success, failure, cancelled) and reason (success: new, restart, pool, claim; failure: the error reason)',
      labelNames: ['tenant', 'profile', 'outcome', 'reason', ...user],
      registers
    });
    this._phases = new Histogram({
      name: 'sparkgate_launch_phase_seconds',
      help: 'Seconds from the start of a launch until it reached the phase (scheduling, pulling, starting, kernel-ready, spark-ready)',
      labelNames: ['phase', 'tenant', 'profile'],
      buckets: LAUNCH_BUCKETS,
      registers
    });
    this._websockets = new Gauge({
      name: 'sparkgate_websocket_connections',
      help: 'Open kernel websocket connections by tenant',
      labelNames: ['tenant', ...user],
      registers
    });
    this._messages = new Counter({
      name: 'sparkgate_relayed_messages_total',
      help: 'Kernel messages relayed, by channel and direction (in: client to kernel, out: kernel to clients, per client)',
      labelNames: ['channel', 'direction'],
      registers
    });
    this._bytes = new Counter({
      name: 'sparkgate_relayed_bytes_total',
      help: 'Bytes of kernel messages relayed as framed on the websocket, by channel and direction',
      labelNames: ['channel', 'direction'],
      registers
    });
    this._culled = new Counter({
      name: 'sparkgate_kernels_culled_total',
      help: 'Kernels the idle culler stopped, by tenant and reason',
      labelNames: ['tenant', 'reason', ...user],
      registers
    });
    this._reaped = new Counter({
      name: 'sparkgate_kernels_reaped_total',
      help: 'Orphans the sweep removed, by kind (Pod, Secret, Service, NetworkPolicy, process, directory)',
      labelNames: ['kind'],
      registers
    });
    this._kubeRequests = new Counter({
      name: 'sparkgate_kubernetes_requests_total',
      help: 'Kubernetes API requests by verb, resource and HTTP status code (error: no response)',
      labelNames: ['verb', 'resource', 'code'],
      registers
    });
    this._watchRestarts = new Counter({
      name: 'sparkgate_kubernetes_watch_restarts_total',
      help: 'Kubernetes watches that broke and were re-established, by resource',
      labelNames: ['resource'],
      registers
    });
    this._errors = new Counter({
      name: 'sparkgate_errors_total',
      help: 'Errors answered to clients (REST, websocket upgrades) and errors nobody caught, by error name',
      labelNames: ['name'],
      registers
    });
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  /** Where `sparkgate_kernels` is read from at each scrape (the kernel manager's `all()`). */
  observeKernels(source: () => Iterable<MeteredKernel>): void {
    this._source = source;
  }

  /** The exposition: content type and text. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  launchStarted(kernel: MeteredKernel, launching: Promise<unknown>, options: { pooled: boolean; signal: AbortSignal }): void {
    const how = options.pooled ? 'pool' : kernel.state === 'restarting' ? 'restart' : 'new';
    const labels = { tenant: kernel.owner.tenant, profile: kernel.profile.id };
    this._timing.set(kernel.id, { start: this._now(), seen: new Set(), labels });
    launching.then(
      () => this._launches.inc(this._userLabels(kernel, { ...labels, outcome: 'success', reason: how })),
      (error: unknown) => {
        this._timing.delete(kernel.id);
        this._launches.inc(this._userLabels(kernel, { ...labels, ...launchOutcome(error, options.signal.aborted) }));
      }
    );
  }

  launchClaimed(kernel: MeteredKernel): void {
    this._launches.inc(this._userLabels(kernel, { tenant: kernel.owner.tenant, profile: kernel.profile.id, outcome: 'success', reason: 'claim' }));
  }

  kernelChanged(kernel: MeteredKernel): void {
    const timing = this._timing.get(kernel.id);
    if (!timing) {
      return;
    }
    const phase = kernel.phase;
    if (phase !== null && TIMED_PHASES.has(phase) && !timing.seen.has(phase)) {
      timing.seen.add(phase);
      this._phases.observe({ phase, ...timing.labels }, this._now() - timing.start);
    }
    // The last phase, or a launch that ended: nothing more to time.
    if (phase === 'spark-ready' || kernel.state === 'dead') {
      this._timing.delete(kernel.id);
    }
  }

  kernelRemoved(kernelId: string): void {
    this._timing.delete(kernelId);
  }

  websocketOpened(kernel: Pick<MeteredKernel, 'owner'>): void {
    this._websockets.inc(this._userLabels(kernel, { tenant: kernel.owner.tenant }));
  }

  websocketClosed(kernel: Pick<MeteredKernel, 'owner'>): void {
    this._websockets.dec(this._userLabels(kernel, { tenant: kernel.owner.tenant }));
  }

  relayed(channel: RelayChannel, direction: RelayDirection, bytes: number): void {
    this._messages.inc({ channel, direction });
    this._bytes.inc({ channel, direction }, bytes);
  }

  culled(kernel: Pick<MeteredKernel, 'owner'>, reason: 'idle'): void {
    this._culled.inc(this._userLabels(kernel, { tenant: kernel.owner.tenant, reason }));
  }

  reaped(kind: string, count = 1): void {
    this._reaped.inc({ kind }, count);
  }

  kubernetesRequest(verb: string, resource: string, code: string): void {
    this._kubeRequests.inc({ verb, resource, code });
  }

  watchRestarted(resource: string): void {
    this._watchRestarts.inc({ resource });
  }

  error(error: unknown): void {
    this._errors.inc({ name: errorName(error) });
  }

  private _userLabels(kernel: Pick<MeteredKernel, 'owner'>, labels: Labels): Labels {
    return this._perUser ? { ...labels, user: kernel.owner.user } : labels;
  }

  private _collectKernels(): void {
    this._kernels.reset();
    this._warm.reset();
    for (const kernel of this._source()) {
      const labels = { state: kernel.state, tenant: kernel.owner.tenant, profile: kernel.profile.id };
      if (kernel.pooled) {
        this._warm.inc(labels);
      } else {
        this._kernels.inc(this._perUser ? { ...labels, user: kernel.owner.user, kernel_id: kernel.id } : labels);
      }
    }
  }

  private readonly _perUser: boolean;
  private readonly _now: () => number;
  private _source: () => Iterable<MeteredKernel> = () => [];
  /** Launches whose phases are being timed, by kernel id (removed at spark-ready, failure or removal). */
  private readonly _timing = new Map<string, { start: number; seen: Set<string>; labels: Labels }>();
  private readonly _kernels: Gauge;
  private readonly _warm: Gauge;
  private readonly _launches: Counter;
  private readonly _phases: Histogram;
  private readonly _websockets: Gauge;
  private readonly _messages: Counter;
  private readonly _bytes: Counter;
  private readonly _culled: Counter;
  private readonly _reaped: Counter;
  private readonly _kubeRequests: Counter;
  private readonly _watchRestarts: Counter;
  private readonly _errors: Counter;
}
