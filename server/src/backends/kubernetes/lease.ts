/**
 * Leader election over a `coordination.k8s.io/v1` Lease (issue 13, item 4): among gateway
 * replicas, the holder of the Lease runs the orphan sweep and the culler, so each runs once.
 * As client-go's leaderelection: a holder renews every third of the duration; the others take
 * the Lease over once they have seen it unchanged for a whole duration (its holder died); every
 * write names the `resourceVersion` it read, so two replicas never both win (the loser gets 409).
 * A holder that cannot renew steps down by its own clock before anyone else may take over.
 */
import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../../log.js';
import type { Leadership } from '../types.js';
import { apiReason, apiStatus } from './apiErrors.js';
import { type Timer, unrefTimer } from '../../util/timer.js';

/** The Lease calls of the CoordinationV1Api (object-parameter style); tests fake them. */
export interface LeaseApi {
  readNamespacedLease(args: { name: string; namespace: string }): Promise<V1Lease>;
  createNamespacedLease(args: { namespace: string; body: V1Lease }): Promise<V1Lease>;
  replaceNamespacedLease(args: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease>;
}

/** Starts a timer; returns its cancel. */
export type LeaseTimer = Timer;

export interface LeaseElectorOptions {
  api: LeaseApi;
  namespace: string;
  name: string;
  /** Who this replica is (unique per process). */
  holder: string;
  /** Lease duration in seconds. */
  durationSeconds: number;
  logger: Logger;
  /** Milliseconds clock; default `Date.now`. */
  now?: () => number;
  /** Default an unref'd `setTimeout`. */
  timer?: LeaseTimer;
}


/** One replica's side of the election. */
export class LeaseElector implements Leadership {
  constructor(options: LeaseElectorOptions) {
    this._o = options;
  }

  /** Leader now: it holds the Lease and renewed it within the duration, by its own clock. */
  isLeader(): boolean {
    return this._renewedAt !== null && this._now() - this._renewedAt < this._o.durationSeconds * 1000;
  }

  /** Tries now, then every third of the duration, until `stop()`; resolves after the first try. */
  start(): Promise<void> {
    if (this._started || this._stopped) {
      return this._running;
    }
    this._started = true;
    this._loop();
    return this._running;
  }

  /** Stops trying; a leader releases the Lease (empties its holder) so another replica takes over at once. */
  async stop(): Promise<void> {
    this._stopped = true;
    this._cancel?.();
    await this._running;
    if (this._lease && this.isLeader()) {
      const lease = this._lease;
      await this._o.api
        .replaceNamespacedLease({ ...this._ref, body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } } })
        .catch(() => undefined);
    }
    this._set(null);
  }

  /** One attempt to acquire or renew; resolves with whether this replica leads now. Never rejects. */
  async tryOnce(): Promise<boolean> {
    const run = this._try().catch((error: unknown) => {
      this._o.logger.warn('could not read or write the leader Lease', { lease: `${this._o.namespace}/${this._o.name}`, error: describe(error) });
      return this.isLeader();
    });
    this._running = run.then(() => undefined);
    return run;
  }

  private async _try(): Promise<boolean> {
    const o = this._o;
    const now = this._now();
    let current: V1Lease | null;
    try {
      current = await o.api.readNamespacedLease(this._ref);
    } catch (error) {
      if (apiStatus(error) !== 404) {
        throw error;
      }
      current = null;
    }
    const spec = current?.spec;
    const mine = spec?.holderIdentity === o.holder;
    // Expiry by this replica's clock: when it last saw the record change, not the holder's renewTime
    // (clocks of two nodes differ), as client-go's observedTime.
    const key = `${spec?.holderIdentity ?? ''}|${String(spec?.renewTime ?? '')}`;
    if (key !== this._observedKey) {
      this._observedKey = key;
      this._observedAt = now;
    }
    const expired = !spec?.holderIdentity || now - this._observedAt >= (spec.leaseDurationSeconds ?? o.durationSeconds) * 1000;
    if (current && !mine && !expired) {
      this._set(null);
      return false;
    }
    const stamp = microTime(now);
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...(current?.metadata ?? {}), name: o.name, namespace: o.namespace },
      spec: {
        holderIdentity: o.holder,
        leaseDurationSeconds: o.durationSeconds,
        renewTime: stamp,
        acquireTime: mine && spec?.acquireTime ? spec.acquireTime : stamp,
        leaseTransitions: (spec?.leaseTransitions ?? 0) + (mine || !current ? 0 : 1)
      }
    };
    try {
      const written = current ? await o.api.replaceNamespacedLease({ ...this._ref, body }) : await o.api.createNamespacedLease({ namespace: o.namespace, body });
      this._lease = written;
      this._set(now);
      return true;
    } catch (error) {
      // 409: another replica wrote first (a changed resourceVersion, or it created the Lease).
      if (apiStatus(error) === 409) {
        this._set(null);
        return false;
      }
      throw error;
    }
  }

  private _loop(): void {
    void this.tryOnce().then(() => {
      if (!this._stopped) {
        this._cancel = (this._o.timer ?? unrefTimer)(() => this._loop(), Math.max(1000, (this._o.durationSeconds * 1000) / 3));
      }
    });
  }

  private _set(renewedAt: number | null): void {
    const was = this._leading;
    this._renewedAt = renewedAt;
    if (renewedAt === null) {
      this._lease = null;
    }
    this._leading = renewedAt !== null;
    if (was !== this._leading) {
      this._o.logger.info(this._leading ? 'leading: this replica runs the orphan sweep and the culler' : 'not leading: another replica runs the orphan sweep and the culler', {
        lease: `${this._o.namespace}/${this._o.name}`,
        holder: this._o.holder
      });
    }
  }

  private _now(): number {
    return (this._o.now ?? Date.now)();
  }

  private get _ref(): { name: string; namespace: string } {
    return { name: this._o.name, namespace: this._o.namespace };
  }

  private readonly _o: LeaseElectorOptions;
  private _lease: V1Lease | null = null;
  private _observedKey = '';
  private _observedAt = 0;
  private _renewedAt: number | null = null;
  private _leading = false;
  private _started = false;
  private _stopped = false;
  private _cancel: (() => void) | null = null;
  private _running: Promise<void> = Promise.resolve();
}

/**
 * A Lease's MicroTime: the API server parses `….000000Z` (six digits) only, while the client
 * serializes a Date with three; a string goes through as it is.
 */
function microTime(ms: number): Date {
  return new Date(ms).toISOString().replace(/Z$/, '000Z') as unknown as Date;
}

function describe(error: unknown): string {
  const code = apiStatus(error);
  return code === undefined ? String(error) : `${code}: ${apiReason(error)}`;
}
