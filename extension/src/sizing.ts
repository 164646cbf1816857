/**
 * Pure sizing logic for the Spark panel: form drafts, totals, and live validation against the
 * tenant's limits and current usage.
 *
 * The field rules mirror the gateway's (`server/src/kernels/sizing.ts`) so the panel predicts its
 * answer; the totals are the gateway's own function (`@sparkgate/contract`). The gateway stays the
 * authority and its 400/403 message is shown if they ever differ.
 */

import { totalsOf, totalsWith } from '@sparkgate/contract';

import type { ILimits, IProfile, IResources, ISizing } from './api';

export { totalsOf } from '@sparkgate/contract';

/** Every input of the sizing form. */
export type SizingField =
  | 'driver.cores'
  | 'driver.memoryMiB'
  | 'driver.gpus'
  | 'executors.count'
  | 'executors.min'
  | 'executors.max'
  | 'executors.cores'
  | 'executors.memoryMiB'
  | 'executors.gpus';

/** A resource counted against tenant limits. */
export type ResourceKey = keyof IResources;

/**
 * The form's state. Numbers are `NaN` when the input is empty or not a number, so validation
 * can name the field instead of silently sending a default.
 */
export interface ISizingDraft {
  profile: string;
  /** Dynamic allocation (min/max) instead of a fixed executor count. */
  autoscale: boolean;
  driver: { cores: number; memoryMiB: number; gpus: number };
  executors: { count: number; min: number; max: number; cores: number; memoryMiB: number; gpus: number };
}

/** One problem with a draft, attached to a form field or to a resource total. */
export interface ISizingIssue {
  field: SizingField | ResourceKey;
  message: string;
}

/** Result of {@link checkSizing}. */
export interface ISizingCheck {
  valid: boolean;
  issues: ISizingIssue[];
  /** What the cluster holds at most (driver + the largest executor set). */
  totals: IResources;
  /** With autoscale: what it holds at least (driver + min executors); else equal to `totals`. */
  minTotals: IResources;
}

/** Inputs of {@link checkSizing}. */
export interface ISizingContext {
  profile: IProfile | undefined;
  limits: ILimits;
  usage: IResources;
}

/** Smallest memory the gateway accepts for a driver or an executor, in MiB. */
export const MIN_MEMORY_MIB = 256;

/** Smallest driver core share the gateway accepts (drivers may be fractional). */
export const MIN_DRIVER_CORES = 0.1;

/** A draft holding a profile's defaults. */
export function draftFromProfile(profile: IProfile): ISizingDraft {
  return draftFromSizing(profile, { driver: profile.driver, executors: profile.executors });
}

/**
 * A draft for `profile` holding `sizing` (e.g. a shape shared in notebook metadata). Fields the
 * sizing lacks fall back to the profile's defaults.
 */
export function draftFromSizing(profile: IProfile, sizing: ISizing): ISizingDraft {
  const e = sizing.executors;
  const autoscale = e.count === undefined && (e.min !== undefined || e.max !== undefined);
  const min = e.min ?? profile.executors.min ?? 0;
  const count = e.count ?? profile.executors.count ?? e.max ?? profile.executors.max ?? 0;
  return {
    profile: profile.id,
    autoscale,
    driver: { ...sizing.driver },
    executors: {
      count,
      min,
      max: e.max ?? profile.executors.max ?? Math.max(min, count),
      cores: e.cores,
      memoryMiB: e.memoryMiB,
      gpus: e.gpus
    }
  };
}

/**
 * The request sizing for a draft: `count`, or `min`/`max` with autoscale. Profiles without Spark
 * get no executors.
 */
export function sizingFromDraft(draft: ISizingDraft, profile: IProfile | undefined): ISizing {
  const e = draft.executors;
  const base = { cores: e.cores, memoryMiB: e.memoryMiB, gpus: e.gpus };
  let executors: ISizing['executors'];
  if (profile && !profile.spark) {
    executors = { ...base, count: 0 };
  } else if (draft.autoscale) {
    executors = { ...base, min: e.min, max: e.max };
  } else {
    executors = { ...base, count: e.count };
  }
  return { driver: { ...draft.driver }, executors };
}

/** Limit minus usage, per resource; `null` when unlimited. Never negative. */
export function remaining(limits: ILimits, usage: IResources): ILimits {
  const left = (limit: number | null, used: number): number | null =>
    limit === null ? null : Math.max(0, limit - used);
  return {
    gpus: left(limits.gpus, usage.gpus),
    cores: left(limits.cores, usage.cores),
    memoryMiB: left(limits.memoryMiB, usage.memoryMiB)
  };
}

/**
 * Validates a draft: each field's own rule, then the totals against the tenant's limits minus
 * what is already in use.
 *
 * #### Notes
 * Limit messages read "8 GPUs asked, tenant limit 4, 2 in use" so the user sees all three
 * numbers that decide it.
 */
export function checkSizing(draft: ISizingDraft, ctx: ISizingContext): ISizingCheck {
  const issues: ISizingIssue[] = [];
  const { profile } = ctx;
  if (!profile) {
    issues.push({ field: 'driver.gpus', message: `unknown profile '${draft.profile}'` });
  }
  const spark = profile?.spark ?? true;

  Private.checkNumber(issues, 'driver.cores', draft.driver.cores, MIN_DRIVER_CORES, false, 'driver cores');
  Private.checkNumber(issues, 'driver.memoryMiB', draft.driver.memoryMiB, MIN_MEMORY_MIB, true, 'driver memory (MiB)');
  Private.checkNumber(issues, 'driver.gpus', draft.driver.gpus, 0, true, 'driver GPUs');
  if (spark) {
    const e = draft.executors;
    const cap = profile?.maxExecutors ?? null;
    if (draft.autoscale) {
      Private.checkNumber(issues, 'executors.min', e.min, 0, true, 'minimum executors');
      Private.checkNumber(issues, 'executors.max', e.max, 0, true, 'maximum executors');
      if (Number.isFinite(e.min) && Number.isFinite(e.max) && e.max < e.min) {
        issues.push({ field: 'executors.max', message: `maximum (${e.max}) must be at least the minimum (${e.min})` });
      }
      Private.checkCap(issues, 'executors.max', e.max, cap);
    } else {
      Private.checkNumber(issues, 'executors.count', e.count, 0, true, 'executors');
      Private.checkCap(issues, 'executors.count', e.count, cap);
    }
    Private.checkNumber(issues, 'executors.cores', e.cores, 1, true, 'executor cores');
    Private.checkNumber(issues, 'executors.memoryMiB', e.memoryMiB, MIN_MEMORY_MIB, true, 'executor memory (MiB)');
    Private.checkNumber(issues, 'executors.gpus', e.gpus, 0, true, 'executor GPUs');
  }

  const sizing = sizingFromDraft(draft, profile);
  const totals = totalsOf(sizing);
  const minTotals = spark && draft.autoscale ? totalsWith(sizing, sizing.executors.min ?? 0) : totals;
  // Only compare totals once every number is sane, or NaN would produce nonsense messages.
  if (issues.length === 0) {
    for (const key of RESOURCE_KEYS) {
      const limit = ctx.limits[key];
      if (limit !== null && ctx.usage[key] + totals[key] > limit) {
        issues.push({
          field: key,
          message: `${formatResource(key, totals[key])} asked, tenant limit ${formatAmount(key, limit)}, ${formatAmount(key, ctx.usage[key])} in use`
        });
      }
    }
  }
  return { valid: issues.length === 0, issues, totals, minTotals };
}

/** Resources in display order. */
export const RESOURCE_KEYS: readonly ResourceKey[] = ['gpus', 'cores', 'memoryMiB'];

/** `1536` → `1.5 GiB`, `512` → `512 MiB`. */
export function formatMemory(mib: number): string {
  if (mib >= 1024) {
    const gib = mib / 1024;
    return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
  }
  return `${mib} MiB`;
}

/** A bare amount of a resource: `4`, `2.5`, `8 GiB`. */
export function formatAmount(key: ResourceKey, n: number): string {
  if (key === 'memoryMiB') {
    return formatMemory(n);
  }
  return Number.isInteger(n) ? `${n}` : n.toFixed(1);
}

/** An amount with its unit: `8 GPUs`, `1 core`, `8 GiB memory`. */
export function formatResource(key: ResourceKey, n: number): string {
  switch (key) {
    case 'gpus':
      return `${formatAmount(key, n)} ${n === 1 ? 'GPU' : 'GPUs'}`;
    case 'cores':
      return `${formatAmount(key, n)} ${n === 1 ? 'core' : 'cores'}`;
    case 'memoryMiB':
      return `${formatMemory(n)} memory`;
  }
}

/** Issues for one field or resource. */
export function issuesFor(check: ISizingCheck, field: ISizingIssue['field']): string[] {
  return check.issues.filter(i => i.field === field).map(i => i.message);
}

namespace Private {
  export function checkNumber(
    issues: ISizingIssue[],
    field: SizingField,
    value: number,
    min: number,
    integer: boolean,
    label: string
  ): void {
    if (!Number.isFinite(value)) {
      issues.push({ field, message: `${label}: enter a number` });
    } else if (integer && !Number.isInteger(value)) {
      issues.push({ field, message: `${label} must be a whole number` });
    } else if (value < min) {
      issues.push({ field, message: `${label} must be at least ${min}` });
    }
  }

  export function checkCap(issues: ISizingIssue[], field: SizingField, value: number, cap: number | null): void {
    if (cap !== null && Number.isFinite(value) && value > cap) {
      issues.push({ field, message: `${value} executors asked, this profile allows at most ${cap}` });
    }
  }
}
