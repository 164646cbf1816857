/**
 * The gateway's one back-off policy: capped exponential delays with jitter, for anything that
 * retries on its own (pod watch restarts, kernel readiness re-asks). Shape as in the k8s client's
 * `ListWatch` (1 s doubling to a 30 s cap, reset once a watch makes progress) and JupyterLab's
 * kernel reconnect (jittered exponential delays).
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Waits `ms`; rejects when `signal` aborts. The default does not keep the process alive. */
export type DelayFn = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Options of {@link Backoff}; every field has a default. */
export interface BackoffOptions {
  /** The first delay, in ms. Default 1000. */
  initialMs?: number;
  /** No delay is longer than this, in ms. Default 30 000. */
  maxMs?: number;
  /** Each delay is this many times the previous one (before the cap and jitter). Default 2. */
  factor?: number;
  /**
   * Up to this fraction of each delay is taken off at random, so a delay lies in
   * `[(1 - jitter) × d, d]` and never exceeds the cap. Default 0.5; 0 turns jitter off.
   */
  jitter?: number;
  /** Uniform in [0, 1). Default `Math.random`; tests inject a fixed value. */
  random?: () => number;
  /** How {@link Backoff.wait} waits. Default a timer that does not keep the process alive. */
  delay?: DelayFn;
}

/** The default {@link DelayFn}: an unref'd timer, so a pending retry never holds the process open. */
export const defaultDelay: DelayFn = (ms, signal) => sleep(ms, undefined, { ref: false, ...(signal ? { signal } : {}) });

/**
 * Capped exponential back-off with jitter. `next()` returns the delay before the next attempt and
 * lengthens the one after; `reset()` goes back to the first delay once the retried thing made
 * progress.
 *
 * Why jitter: one API server restart breaks every watch of every gateway at the same instant;
 * without jitter they would all reconnect in lock-step, each wave hitting the server together.
 *
 * @example
 * const backoff = new Backoff();
 * while (!(await tryOnce())) await backoff.wait(signal);
 */
export class Backoff {
  constructor(options: BackoffOptions = {}) {
    this._initialMs = options.initialMs ?? 1000;
    this._maxMs = options.maxMs ?? 30_000;
    this._factor = options.factor ?? 2;
    this._jitter = Math.min(Math.max(options.jitter ?? 0.5, 0), 1);
    this._random = options.random ?? Math.random;
    this._delay = options.delay ?? defaultDelay;
  }

  /** Attempts counted since the last `reset()` (how many delays `next()` has handed out). */
  get attempts(): number {
    return this._attempts;
  }

  /** The delay before the next attempt, in whole ms; each call lengthens the following one. */
  next(): number {
    // Exponent bounded so a long outage cannot overflow to Infinity before the cap applies.
    const exponential = this._initialMs * this._factor ** Math.min(this._attempts, 64);
    const capped = Math.min(exponential, this._maxMs);
    this._attempts++;
    return Math.round(capped * (1 - this._jitter * this._random()));
  }

  /** Back to the first delay: the retried operation made progress. */
  reset(): void {
    this._attempts = 0;
  }

  /** Waits `next()` ms with the injected delay function; rejects when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    return this._delay(this.next(), signal);
  }

  private readonly _initialMs: number;
  private readonly _maxMs: number;
  private readonly _factor: number;
  private readonly _jitter: number;
  private readonly _random: () => number;
  private readonly _delay: DelayFn;
  private _attempts = 0;
}
