/**
 * The clusters' live GPU numbers as the `/status` socket last told them (`gpu:metrics`), checked
 * at the boundary; the toolbar item and the executors popup read it. One per cluster store.
 */

import type { GpuMetrics, GpuSample } from '@sparkgate/contract';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';

import type { GpuView } from './format';

/** The last `gpu:metrics` of each cluster, and whether the gateway said none will come. */
export class GpuMetricsTable {
  /** Emitted with the cluster id whose numbers changed; null when all did (off, cleared). */
  get changed(): ISignal<this, string | null> {
    return this._changed;
  }

  /** What is known of a cluster's (= kernel's) GPU numbers. */
  view(kernelId: string | null | undefined): GpuView {
    if (this._off !== null) {
      return this._off;
    }
    return (kernelId ? this._byKernel.get(kernelId) : undefined) ?? { kind: 'waiting' };
  }

  /** Takes one `gpu:metrics` payload; a malformed one is dropped with a warning. */
  update(payload: unknown): void {
    if (!isGpuMetrics(payload)) {
      console.warn('sparkgate: ignored a malformed gpu:metrics event');
      return;
    }
    switch (payload.state) {
      case 'off':
        this._off = { kind: 'off', reason: payload.reason };
        this._byKernel.clear();
        this._changed.emit(null);
        return;
      case 'live':
        this._off = null;
        this._byKernel.set(payload.kernelId, { kind: 'live', at: payload.at, gpus: payload.gpus });
        this._changed.emit(payload.kernelId);
        return;
      case 'unavailable':
        this._off = null;
        this._byKernel.set(payload.kernelId, { kind: 'unavailable', at: payload.at, message: payload.message });
        this._changed.emit(payload.kernelId);
        return;
    }
  }

  /** Forgets everything (the socket disconnected: the next connect tells again). */
  clear(): void {
    if (this._off === null && this._byKernel.size === 0) {
      return;
    }
    this._off = null;
    this._byKernel.clear();
    this._changed.emit(null);
  }

  /** Disconnects the signal's listeners. */
  dispose(): void {
    Signal.clearData(this);
  }

  private _off: Extract<GpuView, { kind: 'off' }> | null = null;
  private _byKernel = new Map<string, GpuView>();
  private _changed = new Signal<this, string | null>(this);
}

/** Whether `x` is a valid `gpu:metrics` payload. */
export function isGpuMetrics(x: unknown): x is GpuMetrics {
  if (!isRecord(x)) {
    return false;
  }
  switch (x.state) {
    case 'off':
      return x.kernelId === null && (x.reason === 'not-configured' || x.reason === 'no-pods');
    case 'live':
      return typeof x.kernelId === 'string' && typeof x.at === 'string' && Array.isArray(x.gpus) && x.gpus.every(isGpuSample);
    case 'unavailable':
      return typeof x.kernelId === 'string' && typeof x.at === 'string' && typeof x.message === 'string';
    default:
      return false;
  }
}

function isGpuSample(x: unknown): x is GpuSample {
  if (!isRecord(x)) {
    return false;
  }
  const numOrNull = (v: unknown): boolean => v === null || typeof v === 'number';
  const strOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
  return (
    typeof x.pod === 'string' &&
    (x.role === 'driver' || x.role === 'executor') &&
    strOrNull(x.executorId) &&
    strOrNull(x.node) &&
    typeof x.gpu === 'string' &&
    typeof x.uuid === 'string' &&
    numOrNull(x.utilPercent) &&
    numOrNull(x.memUsedMiB) &&
    numOrNull(x.memTotalMiB) &&
    numOrNull(x.powerW)
  );
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
