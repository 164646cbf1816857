/**
 * Live GPU use for the `/status` stream (issue 17): while some socket of a user is connected, the
 * tenant's GPUs are asked of Prometheus, one query per tenant per interval however many clusters
 * and users, and each cluster's GPUs go to its owner only. Nobody connected: no queries.
 */

import type { GpuMetrics, GpuMetricsOffReason } from '@sparkgate/contract';
import type { Identity } from '../auth/types.js';
import type { Kernel, KernelManager } from '../kernels/types.js';
import type { Logger } from '../log.js';
import { unrefTimer, type Timer } from '../util/timer.js';
import type { PrometheusClient } from './prometheus.js';
import { clusterPods, samplesByCluster, tenantQuery } from './series.js';

/** What the status stream needs of the GPU numbers. */
export interface GpuFeed {
  /**
   * A socket of `identity` is connected: `send` gets, at once, what is known of its clusters (or
   * why nothing will come); the clusters' next numbers reach the owner's room through `publishTo`'s
   * function. Returns the unwatch, for the socket's disconnect.
   */
  watch(identity: Identity, send: (metrics: GpuMetrics) => void): () => void;
  /** Where a cluster's numbers go: to its owner's sockets (set once by the status stream). */
  publishTo(publish: (owner: Identity, metrics: GpuMetrics) => void): void;
  /** Stops polling; idempotent. */
  stop(): void;
}

/** No live numbers: every connect hears why (`gpuMetrics` not configured, or no pods: local backend). */
export function gpuFeedOff(reason: GpuMetricsOffReason): GpuFeed {
  return {
    watch(_identity, send) {
      send({ state: 'off', kernelId: null, reason });
      return () => undefined;
    },
    publishTo() {},
    stop() {}
  };
}

export interface GpuPollerOptions {
  client: PrometheusClient;
  kernels: Pick<KernelManager, 'list'>;
  /** The tenant's namespace; null for an unknown tenant (nothing is asked). */
  namespaceOf: (tenant: string) => string | null;
  intervalMs: number;
  timer?: Timer;
  now?: () => Date;
  logger: Logger;
}

interface TenantLoop {
  cancel: (() => void) | null;
  abort: AbortController;
  /** The message of the last failure, to log a change once rather than every interval. */
  failing: string | null;
  /** Each cluster's last numbers, replaced every poll (so removed clusters drop out). */
  last: Map<string, GpuMetrics>;
}

/** Polls Prometheus per tenant while the tenant's users watch; see {@link GpuFeed}. */
export class GpuPoller implements GpuFeed {
  constructor(options: GpuPollerOptions) {
    this._o = options;
    this._timer = options.timer ?? unrefTimer;
    this._now = options.now ?? (() => new Date());
  }

  publishTo(publish: (owner: Identity, metrics: GpuMetrics) => void): void {
    this._publish = publish;
  }

  watch(identity: Identity, send: (metrics: GpuMetrics) => void): () => void {
    const key = keyOf(identity);
    const w = this._watchers.get(key) ?? { identity: { user: identity.user, tenant: identity.tenant }, count: 0 };
    w.count++;
    this._watchers.set(key, w);
    const loop = this._loops.get(identity.tenant);
    if (loop) {
      for (const k of this._o.kernels.list(identity)) {
        const m = loop.last.get(k.id);
        if (m) {
          send(m);
        }
      }
    } else if (!this._stopped) {
      this._startLoop(identity.tenant);
    }
    let done = false;
    return () => {
      if (done) {
        return;
      }
      done = true;
      if (--w.count <= 0) {
        this._watchers.delete(key);
        if (![...this._watchers.values()].some(x => x.identity.tenant === identity.tenant)) {
          this._stopLoop(identity.tenant);
        }
      }
    };
  }

  stop(): void {
    this._stopped = true;
    for (const tenant of [...this._loops.keys()]) {
      this._stopLoop(tenant);
    }
  }

  /** How many tenants are polled now (tests). */
  get polling(): number {
    return this._loops.size;
  }

  private _startLoop(tenant: string): void {
    const loop: TenantLoop = { cancel: null, abort: new AbortController(), failing: null, last: new Map() };
    this._loops.set(tenant, loop);
    // The first numbers at once: a notebook opened should not wait an interval.
    void this._poll(tenant, loop);
  }

  private _stopLoop(tenant: string): void {
    const loop = this._loops.get(tenant);
    if (!loop) {
      return;
    }
    this._loops.delete(tenant);
    loop.cancel?.();
    loop.abort.abort();
  }

  private async _poll(tenant: string, loop: TenantLoop): Promise<void> {
    loop.cancel = null;
    try {
      await this._pollOnce(tenant, loop);
    } catch (err) {
      // Never reached by a Prometheus failure (reported to users); a bug must not end the loop.
      this._o.logger.error('GPU metrics poll failed', { tenant, error: err instanceof Error ? err.message : String(err) });
    }
    if (this._loops.get(tenant) === loop) {
      loop.cancel = this._timer(() => void this._poll(tenant, loop), this._o.intervalMs);
    }
  }

  private async _pollOnce(tenant: string, loop: TenantLoop): Promise<void> {
    const namespace = this._o.namespaceOf(tenant);
    if (namespace === null || this._clustersOf(tenant).length === 0) {
      loop.last = new Map();
      return;
    }
    let metrics: GpuMetrics[];
    // Read again once the answer is in: a socket that connected meanwhile gets its numbers now.
    let clusters = this._clustersOf(tenant);
    try {
      const series = await this._o.client.query(tenantQuery(namespace), loop.abort.signal);
      clusters = this._clustersOf(tenant);
      const at = this._now().toISOString();
      const samples = samplesByCluster(
        series,
        namespace,
        clusters.map(c => clusterPods(c.kernel.id, c.pods))
      );
      metrics = clusters.map(c => ({ state: 'live', kernelId: c.kernel.id, at, gpus: samples.get(c.kernel.id) ?? [] }));
      if (loop.failing !== null) {
        this._o.logger.info('GPU metrics available again', { tenant });
        loop.failing = null;
      }
    } catch (err) {
      if (loop.abort.signal.aborted) {
        return;
      }
      clusters = this._clustersOf(tenant);
      const message = `GPU metrics unavailable: ${err instanceof Error ? err.message : String(err)}`;
      if (loop.failing !== message) {
        this._o.logger.warn(message, { tenant, namespace });
        loop.failing = message;
      }
      const at = this._now().toISOString();
      metrics = clusters.map(c => ({ state: 'unavailable', kernelId: c.kernel.id, at, message }));
    }
    if (this._loops.get(tenant) !== loop) {
      return;
    }
    loop.last = new Map(metrics.map((m, i) => [clusters[i]!.kernel.id, m]));
    metrics.forEach((m, i) => this._publish?.(clusters[i]!.kernel.owner, m));
  }

  /** The running clusters with pods of the tenant's connected users. */
  private _clustersOf(tenant: string): { kernel: Kernel; pods: readonly { name: string; execId: string | null }[] }[] {
    const out: { kernel: Kernel; pods: readonly { name: string; execId: string | null }[] }[] = [];
    for (const w of this._watchers.values()) {
      if (w.identity.tenant !== tenant) {
        continue;
      }
      for (const kernel of this._o.kernels.list(w.identity)) {
        // Only a backend with pods reports them; a kernel (re)starting has no launched pod yet.
        const pods = kernel.launched?.status?.()?.executors.pods;
        if (pods) {
          out.push({ kernel, pods });
        }
      }
    }
    return out;
  }

  private readonly _o: GpuPollerOptions;
  private readonly _timer: Timer;
  private readonly _now: () => Date;
  private readonly _watchers = new Map<string, { identity: Identity; count: number }>();
  private readonly _loops = new Map<string, TenantLoop>();
  private _publish: ((owner: Identity, metrics: GpuMetrics) => void) | null = null;
  private _stopped = false;
}

function keyOf(identity: Identity): string {
  return `${identity.tenant}/${identity.user}`;
}
