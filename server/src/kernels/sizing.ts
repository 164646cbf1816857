import { isDeepStrictEqual } from 'node:util';
import { totalsOf, type Resources, type Sizing } from '@sparkgate/contract';
import type { Limits, Profile } from '../config/types.js';
import { InputError, LimitExceededError } from '../errors.js';

/** Totals a sizing claims against its tenant's limits. */
export type Usage = Resources;

export const NO_USAGE: Usage = Object.freeze({ gpus: 0, cores: 0, memoryMiB: 0 });

// One implementation of the totals for the gateway and the extension's panel (the contract).
export { maxExecutors, totalsOf } from '@sparkgate/contract';

export function addUsage(a: Usage, b: Usage): Usage {
  return { gpus: a.gpus + b.gpus, cores: a.cores + b.cores, memoryMiB: a.memoryMiB + b.memoryMiB };
}

const LABELS: Record<keyof Usage, [string, (n: number) => string]> = {
  gpus: ['GPUs', n => `${n}`],
  cores: ['cores', n => `${n}`],
  memoryMiB: ['memory', n => (n % 1024 === 0 ? `${n / 1024} GiB` : `${n} MiB`)]
};

/**
 * Refuses a sizing whose totals, added to what the tenant already uses, exceed a limit.
 * The message names the limit, the asked value and what is in use.
 */
export function assertWithinLimits(sizing: Sizing, limits: Limits, inUse: Usage, tenant: string): void {
  const asked = totalsOf(sizing);
  for (const key of ['gpus', 'cores', 'memoryMiB'] as const) {
    const limit = limits[key];
    if (limit !== null && inUse[key] + asked[key] > limit) {
      const [label, fmt] = LABELS[key];
      throw new LimitExceededError(
        `${label}: this cluster asks for ${fmt(asked[key])}, tenant '${tenant}' has a limit of ${fmt(limit)} ` +
          `and ${fmt(inUse[key])} in use; ask for at most ${fmt(Math.max(0, limit - inUse[key]))}`
      );
    }
  }
}

/**
 * Applies user overrides to a profile's sizing and validates the result's shape
 * (whole GPUs and executors, positive cores and memory, min ≤ max).
 */
export function resolveSizing(profile: Profile, overrides: unknown): Sizing {
  const base = profile.sizing;
  if (overrides === undefined || overrides === null) {
    return base;
  }
  const o = asRecord(overrides, 'sizing');
  const d = asRecord(o.driver ?? {}, 'sizing.driver');
  const e = asRecord(o.executors ?? {}, 'sizing.executors');
  const sizing: Sizing = {
    driver: {
      cores: number(d.cores, 'sizing.driver.cores', base.driver.cores, 0.1, false),
      memoryMiB: number(d.memoryMiB, 'sizing.driver.memoryMiB', base.driver.memoryMiB, 256, true),
      gpus: number(d.gpus, 'sizing.driver.gpus', base.driver.gpus, 0, true)
    },
    executors: {
      cores: number(e.cores, 'sizing.executors.cores', base.executors.cores, 1, true),
      memoryMiB: number(e.memoryMiB, 'sizing.executors.memoryMiB', base.executors.memoryMiB, 256, true),
      gpus: number(e.gpus, 'sizing.executors.gpus', base.executors.gpus, 0, true)
    }
  };
  const dynamic = e.min !== undefined || e.max !== undefined || (e.count === undefined && base.executors.count === undefined);
  if (dynamic) {
    if (e.count !== undefined) {
      throw new InputError('sizing.executors: give either count or min/max, not both');
    }
    const min = number(e.min, 'sizing.executors.min', base.executors.min ?? 0, 0, true);
    const max = number(e.max, 'sizing.executors.max', base.executors.max ?? min, 0, true);
    if (max < min) {
      throw new InputError(`sizing.executors: max (${max}) must be at least min (${min})`);
    }
    sizing.executors.min = min;
    sizing.executors.max = max;
  } else {
    sizing.executors.count = number(e.count, 'sizing.executors.count', base.executors.count ?? 0, 0, true);
  }
  return sizing;
}

function asRecord(x: unknown, path: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    throw new InputError(`${path} must be an object`);
  }
  return x as Record<string, unknown>;
}

function number(x: unknown, path: string, fallback: number, min: number, integer: boolean): number {
  if (x === undefined) {
    return fallback;
  }
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || (integer && !Number.isInteger(x))) {
    throw new InputError(`${path} must be ${integer ? 'a whole number' : 'a number'} ≥ ${min} (got ${JSON.stringify(x)})`);
  }
  return x;
}

/** Whether two sizings ask for the same cluster (a launch matches a warm pool's profile). */
export function sameSizing(a: Sizing, b: Sizing): boolean {
  return isDeepStrictEqual(a, b);
}
