/**
 * `PodWatch`: the pod informers, one per tenant namespace, and their restart back-off. Just over
 * 250 lines: the watch and its retry state per namespace are one piece (the state decides both
 * what `watch()` answers and when the informer starts again).
 */
import { EventEmitter } from 'node:events';
import type { V1Pod } from '@kubernetes/client-node';
import { ServiceUnavailableError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { GatewayMetrics } from '../../metrics/types.js';
import { Backoff, type BackoffOptions, defaultDelay } from '../../util/retry.js';
import { abortable } from './abort.js';
import { apiReason, watchFailure } from './apiErrors.js';
import { LABELS } from './labels.js';
import type { NamespaceWatchState, PodInformer, PodSource, PodWatchEvents } from './types.js';

/** Options of {@link PodWatch}. */
export interface PodWatchOptions {
  /** Makes the (not yet started) informer of one namespace; see `listWatchInformers` (informers.ts). */
  informerFactory: (namespace: string) => PodInformer;
  logger: Logger;
  /** Restart back-off, with its `random` and `delay` function for tests. Default 1 s doubling to 30 s, jittered. */
  backoff?: BackoffOptions;
  /** Milliseconds clock. Default `Date.now`. */
  now?: () => number;
  /** The API server's URL, named in errors when it cannot be reached. */
  apiServer?: string;
  /** Counts watch restarts (`sparkgate_kubernetes_watch_restarts_total`); default none. */
  metrics?: Pick<GatewayMetrics, 'watchRestarted'>;
}

/**
 * One informer (list + watch) per tenant namespace, selecting the pods sparkgate manages: drivers
 * and the executors Spark creates for them. Everything the backend knows about pods comes from
 * here, so the API server sees one watch per namespace however many kernels sit idle.
 *
 * A namespace whose watch cannot be established (missing namespace, missing RoleBinding, API
 * down) is logged once as an error, retried with back-off, and `watch()` rejects for it with the
 * cause, so only that tenant's launches fail and every other namespace keeps working.
 */
export class PodWatch extends EventEmitter<PodWatchEvents> implements PodSource {
  constructor(options: PodWatchOptions) {
    super();
    this.setMaxListeners(0);
    this._o = options;
    this._now = options.now ?? Date.now;
  }

  /**
   * Starts watching `namespace` (once) and resolves when its first list is in the cache; rejects
   * with a {@link ServiceUnavailableError} naming the namespace and cause when it cannot be.
   * In a failed namespace a call tries again at once (at most once per initial back-off delay),
   * so a namespace the platform team just fixed works on the next launch.
   *
   * With `signal`, rejects as soon as it aborts (a cancelled or timed-out launch stops waiting);
   * the attempt itself goes on for the other callers.
   */
  watch(namespace: string, signal?: AbortSignal): Promise<void> {
    const ready = this._watch(namespace);
    return signal ? abortable(ready, signal) : ready;
  }

  /** How the watch of `namespace` stands; `undefined` when it was never asked for. */
  state(namespace: string): NamespaceWatchState | undefined {
    const entry = this._entries.get(namespace);
    return entry && { state: entry.state, error: entry.error, failures: entry.failures, since: entry.since };
  }

  /** A managed pod from the cache of `namespace`'s informer. */
  pod(namespace: string, name: string): V1Pod | undefined {
    return this._entries.get(namespace)?.informer.get(name, namespace);
  }

  /** Managed pods of a namespace with the given component label (`driver` or `executor`). */
  list(namespace: string, component: 'driver' | 'executor', kernelId?: string): V1Pod[] {
    const informer = this._entries.get(namespace)?.informer;
    if (!informer) {
      return [];
    }
    return informer
      .list(namespace)
      .filter(p => p.metadata?.labels?.[LABELS.component] === component && (kernelId === undefined || p.metadata?.labels?.[LABELS.kernelId] === kernelId));
  }

  async dispose(): Promise<void> {
    this._stopped = true;
    const entries = [...this._entries.values()];
    this._entries.clear();
    for (const entry of entries) {
      entry.retry?.abort();
    }
    await Promise.all(entries.map(e => e.informer.stop().catch(() => undefined)));
  }

  private _watch(namespace: string): Promise<void> {
    if (this._stopped) {
      return Promise.reject(new ServiceUnavailableError(`cannot watch pods in namespace ${namespace}: the gateway is stopping`));
    }
    const entry = this._entries.get(namespace) ?? this._add(namespace);
    switch (entry.state) {
      case 'ready':
        return Promise.resolve();
      case 'starting':
        return this._attempt(entry);
      case 'failed':
        // Launches alone must not hammer a broken namespace: within the first delay, the last answer stands.
        if (!entry.attempt && entry.error && this._now() - entry.failedAt < this._retryFloorMs) {
          return Promise.reject(entry.error);
        }
        return this._attempt(entry);
    }
  }

  private _add(namespace: string): Entry {
    const informer = this._o.informerFactory(namespace);
    const entry: Entry = {
      namespace,
      informer,
      backoff: new Backoff(this._o.backoff),
      state: 'starting',
      error: null,
      failures: 0,
      since: this._now(),
      failedAt: 0,
      starting: false,
      attempt: null,
      attemptError: undefined,
      retry: null
    };
    informer.on('add', pod => this.emit('pod', pod, false));
    informer.on('update', pod => this.emit('pod', pod, false));
    informer.on('delete', pod => this.emit('pod', pod, true));
    informer.on('error', (error?: unknown) => {
      if (this._stopped || this._entries.get(namespace) !== entry) {
        return;
      }
      if (entry.starting) {
        // ListWatch reports a failed list or watch request here, and start() still resolves.
        entry.attemptError ??= error ?? new Error('unknown error');
        return;
      }
      // A running watch ended with an error (API server restart, connection reset, RBAC revoked);
      // ListWatch does not retry those itself. The cache stays until the restart re-lists.
      const inMs = this._scheduleRetry(entry);
      this._o.metrics?.watchRestarted('pods');
      this._o.logger.warn('pod watch broke; restarting', { namespace, error: apiReason(error), retryInMs: inMs });
    });
    this._entries.set(namespace, entry);
    return entry;
  }

  /** One start of the informer (shared by concurrent callers); settles the entry's state. */
  private _attempt(entry: Entry): Promise<void> {
    if (entry.attempt) {
      return entry.attempt;
    }
    entry.retry?.abort();
    entry.retry = null;
    entry.attemptError = undefined;
    // Set before start() runs: an informer may emit its error before its first await.
    entry.starting = true;
    const run = async (): Promise<void> => {
      try {
        await entry.informer.start();
      } catch (error) {
        entry.attemptError ??= error;
      }
      entry.starting = false;
      entry.attempt = null;
      if (this._stopped || this._entries.get(entry.namespace) !== entry) {
        throw new ServiceUnavailableError(`cannot watch pods in namespace ${entry.namespace}: the gateway is stopping`);
      }
      if (entry.attemptError === undefined) {
        return this._succeeded(entry);
      }
      throw this._failed(entry, entry.attemptError);
    };
    entry.attempt = run();
    return entry.attempt;
  }

  private _succeeded(entry: Entry): void {
    if (entry.state === 'failed') {
      this._o.logger.info('pod watch established', { namespace: entry.namespace, afterFailedAttempts: entry.failures });
    }
    entry.backoff.reset();
    entry.state = 'ready';
    entry.error = null;
    entry.failures = 0;
    entry.since = this._now();
  }

  private _failed(entry: Entry, cause: unknown): ServiceUnavailableError {
    const error = watchFailure(entry.namespace, cause, this._o.apiServer);
    const first = entry.state !== 'failed' || entry.error?.message !== error.message;
    if (entry.state !== 'failed') {
      entry.since = this._now();
    }
    entry.state = 'failed';
    entry.error = error;
    entry.failures++;
    entry.failedAt = this._now();
    const inMs = this._scheduleRetry(entry);
    // One error line per new cause, not one per retry: a broken namespace may stay broken for days.
    const fields = { namespace: entry.namespace, failures: entry.failures, retryInMs: inMs };
    if (first) {
      this._o.logger.error(error.message, fields);
    } else {
      this._o.logger.debug('pod watch still failing', fields);
    }
    return error;
  }

  /** Starts the informer again after the next back-off delay; returns that delay. */
  private _scheduleRetry(entry: Entry): number {
    entry.retry?.abort();
    const controller = new AbortController();
    entry.retry = controller;
    const ms = entry.backoff.next();
    (this._o.backoff?.delay ?? defaultDelay)(ms, controller.signal).then(
      () => {
        if (entry.retry === controller && !this._stopped) {
          entry.retry = null;
          this._attempt(entry).catch(() => undefined);
        }
      },
      () => undefined
    );
    return ms;
  }

  private get _retryFloorMs(): number {
    return this._o.backoff?.initialMs ?? 1000;
  }

  private readonly _o: PodWatchOptions;
  private readonly _now: () => number;
  private readonly _entries = new Map<string, Entry>();
  private _stopped = false;
}

interface Entry {
  namespace: string;
  informer: PodInformer;
  backoff: Backoff;
  state: NamespaceWatchState['state'];
  error: ServiceUnavailableError | null;
  failures: number;
  since: number;
  /** When the last attempt failed. */
  failedAt: number;
  /** True while the informer's start() runs. */
  starting: boolean;
  /** The informer start in flight, if any. */
  attempt: Promise<void> | null;
  /** The first error the informer emitted during the attempt in flight. */
  attemptError: unknown;
  /** Aborts the pending delayed restart. */
  retry: AbortController | null;
}
