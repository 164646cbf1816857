import { isDeepStrictEqual } from 'node:util';
import { totalsOf, type ExecutorSizing, type JvmSizing, type NumberOption, type Resources, type Sizing } from '@sparkgate/contract';
import { allows, describeOption, FIELD_MINIMUM } from '../config/options.js';
import { GPU_PRODUCT_LABEL, type Limits, type Profile } from '../config/types.js';
import { InputError, LimitExceededError } from '../errors.js';

/** Totals a sizing claims against its tenant's limits. */
export type Usage = Resources;

export const NO_USAGE: Usage = Object.freeze({ gpus: 0, cores: 0, memoryMiB: 0 });

// One implementation of the totals for the gateway and the extension's panel (the contract).
export { maxExecutors, totalsOf } from '@sparkgate/contract';

export function addUsage(a: Usage, b: Usage): Usage {
  return { gpus: a.gpus + b.gpus, cores: a.cores + b.cores, memoryMiB: a.memoryMiB + b.memoryMiB };
}

const showMiB = (n: number): string => (n % 1024 === 0 ? `${n / 1024} GiB` : `${n} MiB`);

const LABELS: Record<keyof Usage, [string, (n: number) => string]> = {
  gpus: ['GPUs', n => `${n}`],
  cores: ['cores', n => `${n}`],
  memoryMiB: ['memory', showMiB]
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

/** Fields a request's sizing may carry; anything else is refused (a misspelt field would otherwise launch the default silently). */
const FIELDS = {
  sizing: ['driver', 'executors'],
  'sizing.driver': ['cores', 'memoryMiB', 'gpus', 'gpuType', 'memoryOverheadMiB'],
  'sizing.executors': ['count', 'min', 'max', 'cores', 'memoryMiB', 'gpus', 'gpuType', 'memoryOverheadMiB']
} as const;

/**
 * Applies user overrides to a profile's sizing and validates the result's shape (whole GPUs and
 * executors, positive cores and memory, min ≤ max), then what the profile lets users change
 * (issue 18): with `options`, only the fields listed there may differ from the profile, each
 * within its option; without, every numeric field may (the tenant's limits bound them). A GPU
 * type only from the option's choices; the memory overhead never. Refusals are `InputError`s
 * naming the field and its bound, thrown before anything is created.
 */
export function resolveSizing(profile: Profile, overrides: unknown): Sizing {
  const base = profile.sizing;
  if (overrides === undefined || overrides === null) {
    return base;
  }
  const o = asRecord(overrides, 'sizing');
  const d = asRecord(o.driver ?? {}, 'sizing.driver');
  const e = asRecord(o.executors ?? {}, 'sizing.executors');
  knownFields(o, 'sizing');
  knownFields(d, 'sizing.driver');
  knownFields(e, 'sizing.executors');
  const sizing: Sizing = {
    driver: {
      cores: number(d.cores, 'sizing.driver.cores', base.driver.cores, FIELD_MINIMUM.cores, false),
      memoryMiB: number(d.memoryMiB, 'sizing.driver.memoryMiB', base.driver.memoryMiB, FIELD_MINIMUM.memoryMiB, true),
      gpus: number(d.gpus, 'sizing.driver.gpus', base.driver.gpus, FIELD_MINIMUM.gpus, true),
      ...extras(profile, 'driver', d)
    },
    executors: {
      cores: number(e.cores, 'sizing.executors.cores', base.executors.cores, FIELD_MINIMUM.executorCores, true),
      memoryMiB: number(e.memoryMiB, 'sizing.executors.memoryMiB', base.executors.memoryMiB, FIELD_MINIMUM.memoryMiB, true),
      gpus: number(e.gpus, 'sizing.executors.gpus', base.executors.gpus, FIELD_MINIMUM.gpus, true),
      ...extras(profile, 'executors', e)
    }
  };
  const dynamic = e.min !== undefined || e.max !== undefined || (e.count === undefined && base.executors.count === undefined);
  if (dynamic) {
    if (e.count !== undefined) {
      throw new InputError('sizing.executors: give either count or min/max, not both');
    }
    const min = number(e.min, 'sizing.executors.min', base.executors.min ?? 0, FIELD_MINIMUM.executors, true);
    const max = number(e.max, 'sizing.executors.max', base.executors.max ?? min, FIELD_MINIMUM.executors, true);
    if (max < min) {
      throw new InputError(`sizing.executors: max (${max}) must be at least min (${min})`);
    }
    sizing.executors.min = min;
    sizing.executors.max = max;
  } else {
    sizing.executors.count = number(e.count, 'sizing.executors.count', base.executors.count ?? 0, FIELD_MINIMUM.executors, true);
  }
  if (profile.options) {
    assertOptions(profile, sizing);
  }
  return sizing;
}

/** The GPU type and memory overhead of a launch's JVM: the profile's, or a GPU type its option offers. */
function extras(profile: Profile, role: Role, raw: Record<string, unknown>): Pick<JvmSizing, 'gpuType' | 'memoryOverheadMiB'> {
  const own = profile.sizing[role];
  const path = `sizing.${role}`;
  if (raw.memoryOverheadMiB !== undefined && raw.memoryOverheadMiB !== own.memoryOverheadMiB) {
    // Off-heap memory is the profile's to know (RAPIDS' pinned pool): a user cannot size it.
    const set = own.memoryOverheadMiB === undefined ? "the gateway's default" : showMiB(own.memoryOverheadMiB);
    throw new InputError(`${path}.memoryOverheadMiB is set by profile '${profile.id}' (${set}), not by a launch; remove it`);
  }
  const gpuType = chosenGpuType(profile, role, raw.gpuType);
  return {
    ...(gpuType === undefined ? {} : { gpuType }),
    ...(own.memoryOverheadMiB === undefined ? {} : { memoryOverheadMiB: own.memoryOverheadMiB })
  };
}

/** A launch's GPU type: the profile's unless the request picks one of its option's choices. */
function chosenGpuType(profile: Profile, role: Role, asked: unknown): string | undefined {
  const own = profile.sizing[role].gpuType;
  const path = `sizing.${role}.gpuType`;
  if (asked === undefined || asked === own) {
    return own;
  }
  if (typeof asked !== 'string' || asked === '') {
    throw new InputError(`${path} must be a GPU type, the text of a node's ${GPU_PRODUCT_LABEL} label (got ${JSON.stringify(asked)})`);
  }
  const option = profile.options?.[role].gpuType;
  if (option === undefined) {
    throw new InputError(
      own === undefined
        ? `${path}: profile '${profile.id}' offers no choice of GPU type (its pods take any GPU); remove it`
        : `${path}: profile '${profile.id}' fixes it at ${own}; remove it or send '${own}'`
    );
  }
  if (!option.choices.includes(asked)) {
    throw new InputError(`${path} must be one of ${option.choices.join(', ')} for profile '${profile.id}' (got '${asked}')`);
  }
  return asked;
}

type Role = 'driver' | 'executors';
type NumberField = 'cores' | 'memoryMiB' | 'gpus' | 'count' | 'min' | 'max';

const OPTION_FIELDS: Readonly<Record<Role, readonly NumberField[]>> = {
  driver: ['cores', 'memoryMiB', 'gpus'],
  executors: ['count', 'min', 'max', 'cores', 'memoryMiB', 'gpus']
};

/**
 * Refuses a resolved sizing that differs from a profile with `options` in a field it does not
 * list, or lies outside the option of one it does. The executors' mode (a fixed count or
 * min/max) is the profile's: options name fields of that mode only (config/options.ts).
 */
function assertOptions(profile: Profile, sizing: Sizing): void {
  const options = profile.options!;
  const base = profile.sizing;
  if (base.executors.count !== undefined && sizing.executors.count === undefined) {
    const count = options.executors.count;
    throw new InputError(
      `sizing.executors: profile '${profile.id}' runs a fixed executor count (${base.executors.count}), not min/max; remove min and max` +
        (count ? ` (count may be ${describeOption(count)})` : '')
    );
  }
  if (base.executors.count === undefined && sizing.executors.count !== undefined) {
    const { min, max } = options.executors;
    throw new InputError(
      `sizing.executors.count: profile '${profile.id}' sizes executors with min/max (dynamic allocation), not a count; remove it` +
        (min || max ? ` and send min/max` : '')
    );
  }
  for (const role of ['driver', 'executors'] as const) {
    for (const field of OPTION_FIELDS[role]) {
      const value = (sizing[role] as ExecutorSizing)[field];
      const own = (base[role] as ExecutorSizing)[field];
      if (value === own || value === undefined || own === undefined) {
        continue;
      }
      const path = `sizing.${role}.${field}`;
      const show = field === 'memoryMiB' ? showMiB : String;
      const option = (options[role] as Partial<Record<NumberField, NumberOption>>)[field];
      if (option === undefined) {
        throw new InputError(`${path}: profile '${profile.id}' fixes it at ${show(own)}; remove it or send ${own}`);
      }
      if (!allows(option, value)) {
        throw new InputError(`${path} must be ${describeOption(option, show)} for profile '${profile.id}' (got ${show(value)})`);
      }
    }
  }
}

function knownFields(o: Record<string, unknown>, path: keyof typeof FIELDS): void {
  const known: readonly string[] = FIELDS[path];
  const unknown = Object.keys(o).find(k => !known.includes(k));
  if (unknown !== undefined) {
    throw new InputError(`${path}.${unknown} is not a sizing field; ${path} takes ${known.join(', ')}`);
  }
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
