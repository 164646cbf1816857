/**
 * Pure sizing logic for the Spark panel: form drafts, totals, and live validation against the
 * tenant's limits and current usage, and against the largest node when the gateway knows it.
 *
 * The field rules mirror the gateway's (`server/src/kernels/sizing.ts`) so the panel predicts its
 * answer; the totals are the gateway's own function (`@sparkgate/contract`). The gateway stays the
 * authority and its 400/403 message is shown if they ever differ.
 */

import { maxExecutors, podMemoryOverheadMiB, totalsOf, totalsWith } from '@sparkgate/contract';
import type { JvmSizing } from '@sparkgate/contract';

import type { ILimits, INodeCapacity, IProfile, IResources, ISizing } from './api';
import { formatAmount, formatMemory, formatResource, RESOURCE_KEYS } from './format';
import type { ResourceKey } from './format';
import { fieldControl, gpuTypeControl, optionIssues } from './options';
import { plainTrans } from './trans';
import type { ITrans } from './trans';

export { totalsOf } from '@sparkgate/contract';
export { formatAmount, formatMemory, formatResource, RESOURCE_KEYS } from './format';
export type { ResourceKey } from './format';

/** Every numeric field of the sizing form. */
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

/** The GPU type of the driver or the executors (a choice only where a profile's options offer one). */
export type GpuTypeField = 'driver.gpuType' | 'executors.gpuType';

/**
 * The form's state. Numbers are `NaN` when the input is empty or not a number, so validation
 * can name the field instead of silently sending a default.
 */
export interface ISizingDraft {
  profile: string;
  /** Dynamic allocation (min/max) instead of a fixed executor count. */
  autoscale: boolean;
  /** `gpuType`: the profile's, or the one picked where the profile offers a choice. */
  driver: { cores: number; memoryMiB: number; gpus: number; gpuType?: string };
  executors: { count: number; min: number; max: number; cores: number; memoryMiB: number; gpus: number; gpuType?: string };
}

/** One problem with a draft, attached to a form field or to a resource total. */
export interface ISizingIssue {
  field: SizingField | GpuTypeField | ResourceKey;
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
  /** The cluster's nodes (`me.nodes`); `null` or absent when the gateway cannot see them. */
  nodes?: INodeCapacity | null;
  /** Translates the messages; untranslated when absent. */
  trans?: ITrans;
}

/** Smallest memory the gateway accepts for a driver or an executor, in MiB. */
export const MIN_MEMORY_MIB = 256;

/** MiB per GiB. */
export const MIB_PER_GIB = 1024;

/** Step of the form's memory inputs, in GiB: a quarter GiB is 256 MiB, the smallest size accepted. */
export const MEMORY_STEP_GIB = 0.25;

/**
 * MiB (what the API speaks) as GiB (what the form shows): exact, since a MiB is 2^-10 GiB and
 * doubles hold that without rounding (`1536` → `1.5`, `1000` → `0.9765625`).
 */
export function mibToGiB(mib: number): number {
  return mib / MIB_PER_GIB;
}

/**
 * GiB typed in the form as whole MiB for the API; `NaN` stays `NaN` so validation names the field.
 * A value that is not a whole number of MiB (e.g. `1.3` GiB = 1331.2 MiB) rounds to the nearest
 * MiB: the gateway counts memory in whole MiB. Round-trips {@link mibToGiB} exactly.
 */
export function gibToMiB(gib: number): number {
  return Number.isFinite(gib) ? Math.round(gib * MIB_PER_GIB) : Number.NaN;
}

/** Smallest driver core share the gateway accepts (drivers may be fractional). */
export const MIN_DRIVER_CORES = 0.1;

/** Every numeric field, in the form's order. */
export const NUMBER_FIELDS: readonly SizingField[] = [
  'driver.gpus',
  'driver.cores',
  'driver.memoryMiB',
  'executors.count',
  'executors.min',
  'executors.max',
  'executors.gpus',
  'executors.cores',
  'executors.memoryMiB'
];

/** A draft holding a profile's defaults. */
export function draftFromProfile(profile: IProfile): ISizingDraft {
  return draftFromSizing(profile, { driver: profile.driver, executors: profile.executors });
}

/**
 * A draft for `profile` holding `sizing` (e.g. a shape shared in notebook metadata). Fields the
 * sizing lacks fall back to the profile's defaults. With options, what the profile fixes is the
 * profile's (executor mode included; `fixedNotes` says what changed); an adjustable value outside
 * its bound is kept, for the check to name the bound. A GPU type is the sizing's only where the
 * profile offers a choice (an old shape without one gets the profile's).
 */
export function draftFromSizing(profile: IProfile, sizing: ISizing): ISizingDraft {
  const e = sizing.executors;
  const d = sizing.driver;
  const autoscale =
    !profile.options ? e.count === undefined && (e.min !== undefined || e.max !== undefined) : profile.executors.count === undefined;
  const min = e.min ?? profile.executors.min ?? 0;
  const count = e.count ?? profile.executors.count ?? e.max ?? profile.executors.max ?? 0;
  const gpuType = (group: 'driver' | 'executors'): { gpuType?: string } => {
    const type = gpuTypeControl(profile, group).kind === 'choices' ? (sizing[group].gpuType ?? profile[group].gpuType) : profile[group].gpuType;
    return type === undefined ? {} : { gpuType: type };
  };
  const draft: ISizingDraft = {
    profile: profile.id,
    autoscale,
    driver: { cores: d.cores, memoryMiB: d.memoryMiB, gpus: d.gpus, ...gpuType('driver') },
    executors: {
      count,
      min,
      max: e.max ?? profile.executors.max ?? Math.max(min, count),
      cores: e.cores,
      memoryMiB: e.memoryMiB,
      gpus: e.gpus,
      ...gpuType('executors')
    }
  };
  if (profile.options) {
    for (const field of NUMBER_FIELDS) {
      const control = fieldControl(profile, field);
      if (control.kind === 'fixed') {
        const [group, key] = field.split('.') as ['driver' | 'executors', string];
        (draft[group] as Record<string, number | string | undefined>)[key] = control.value;
      }
    }
  }
  return draft;
}

/**
 * The request sizing for a draft: `count`, or `min`/`max` with autoscale. Profiles without Spark
 * get no executors. Only what a launch may ask (issue 18): the numbers (those the profile fixes at
 * its values) and a GPU type only where the profile offers the choice; never the profile's
 * `memoryOverheadMiB`, which is not the user's to send.
 */
export function sizingFromDraft(draft: ISizingDraft, profile: IProfile | undefined): ISizing {
  const e = draft.executors;
  const chosenType = (group: 'driver' | 'executors'): { gpuType?: string } => {
    const type = draft[group].gpuType;
    return profile && type !== undefined && gpuTypeControl(profile, group).kind === 'choices' ? { gpuType: type } : {};
  };
  const base = { cores: e.cores, memoryMiB: e.memoryMiB, gpus: e.gpus, ...chosenType('executors') };
  let executors: ISizing['executors'];
  if (profile && !profile.spark) {
    executors = { ...base, count: 0 };
  } else if (draft.autoscale) {
    executors = { ...base, min: e.min, max: e.max };
  } else {
    executors = { ...base, count: e.count };
  }
  const d = draft.driver;
  return { driver: { cores: d.cores, memoryMiB: d.memoryMiB, gpus: d.gpus, ...chosenType('driver') }, executors };
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
  const trans = ctx.trans ?? plainTrans;
  const check = new Private.Checker(issues, trans);
  // The profile's cap comes after its options: a bound naming the same limit says it better.
  const caps: ISizingIssue[] = [];
  const capCheck = new Private.Checker(caps, trans);
  if (!profile) {
    issues.push({ field: 'driver.gpus', message: trans.__("unknown profile '%1'", draft.profile) });
  }
  const spark = profile?.spark ?? true;

  check.number('driver.cores', draft.driver.cores, MIN_DRIVER_CORES, false, trans.__('driver cores'));
  check.memory('driver.memoryMiB', draft.driver.memoryMiB, trans.__('driver memory'));
  check.number('driver.gpus', draft.driver.gpus, 0, true, trans.__('driver GPUs'));
  if (spark) {
    const e = draft.executors;
    const cap = profile?.maxExecutors ?? null;
    if (draft.autoscale) {
      check.number('executors.min', e.min, 0, true, trans.__('minimum executors'));
      check.number('executors.max', e.max, 0, true, trans.__('maximum executors'));
      if (Number.isFinite(e.min) && Number.isFinite(e.max) && e.max < e.min) {
        issues.push({
          field: 'executors.max',
          message: trans.__('maximum (%1) must be at least the minimum (%2)', e.max, e.min)
        });
      }
      capCheck.cap('executors.max', e.max, cap);
    } else {
      check.number('executors.count', e.count, 0, true, trans.__('executors'));
      capCheck.cap('executors.count', e.count, cap);
    }
    check.number('executors.cores', e.cores, 1, true, trans.__('executor cores'));
    check.memory('executors.memoryMiB', e.memoryMiB, trans.__('executor memory'));
    check.number('executors.gpus', e.gpus, 0, true, trans.__('executor GPUs'));
  }

  if (profile) {
    // A field already refused by its own rule keeps that one message.
    const refused = new Set(issues.map(i => i.field));
    issues.push(...optionIssues(draft, profile, trans).filter(i => !refused.has(i.field)));
  }
  const named = new Set(issues.map(i => i.field));
  issues.push(...caps.filter(i => !named.has(i.field)));

  const sizing = sizingFromDraft(draft, profile);
  const totals = totalsOf(sizing);
  const minTotals = spark && draft.autoscale ? totalsWith(sizing, sizing.executors.min ?? 0) : totals;
  // Only compare totals once every number is sane, or NaN would produce nonsense messages.
  if (issues.length === 0) {
    // The pods ask the profile's memory overhead too (a RAPIDS profile raises it).
    // And their GPU type, the profile's when not the user's to choose.
    const pods: ISizing = {
      driver: { ...sizing.driver, ...overhead(profile?.driver), ...gpuTypeOf(draft.driver) },
      executors: { ...sizing.executors, ...overhead(profile?.executors), ...gpuTypeOf(draft.executors) }
    };
    issues.push(...nodeFitIssues(pods, spark, ctx.nodes ?? null, trans));
    for (const key of RESOURCE_KEYS) {
      const limit = ctx.limits[key];
      if (limit !== null && ctx.usage[key] + totals[key] > limit) {
        issues.push({
          field: key,
          message: trans.__(
            '%1 asked, tenant limit %2, %3 in use',
            formatResource(key, totals[key], trans),
            formatAmount(key, limit),
            formatAmount(key, ctx.usage[key])
          )
        });
      }
    }
  }
  return { valid: issues.length === 0, issues, totals, minTotals };
}

/**
 * Why no node could hold the driver or one executor of `sizing`, one issue per field, naming
 * the limit ("no node holds 3 GPUs per driver: the largest has 2"); none when `nodes` is unknown.
 *
 * #### Notes
 * Mirrors the gateway's check (issue 16 item 6; `server/src/backends/kubernetes/nodes.ts`): a
 * pod's memory is its heap plus `podMemoryOverheadMiB` (the sizing's `memoryOverheadMiB` when
 * set, else the default share), a GPU pod of a type fits only that type's nodes, and no
 * schedulable node means the
 * gateway does not check. `largest` is the most of each resource on any node, so this catches
 * what fits nowhere; a GPU pod that also needs more cores than the GPU nodes have is left to the
 * gateway's 400, which the form shows.
 */
export function nodeFitIssues(sizing: ISizing, spark: boolean, nodes: INodeCapacity | null, trans: ITrans = plainTrans): ISizingIssue[] {
  if (!nodes || nodes.nodes === 0) {
    return [];
  }
  const issues: ISizingIssue[] = [];
  const pod = (group: 'driver' | 'executors', r: JvmSizing, per: string): void => {
    const role = group === 'driver' ? 'driver' : 'executor';
    const largest = nodes.largest;
    // A GPU pod of a type goes to that type's nodes only (the gateway selects them by label).
    const type = r.gpus > 0 ? r.gpuType : undefined;
    const typed = type === undefined ? undefined : nodes.gpuTypes.find(g => g.type === type);
    if (r.gpus > 0 && largest.gpus === 0) {
      issues.push({ field: `${group}.gpus`, message: trans.__('no node has GPUs: ask for 0 GPUs %1', per) });
    } else if (type !== undefined && !typed) {
      issues.push({
        field: `${group}.gpuType`,
        message: trans.__('no node has %1 GPUs: the nodes have %2', type, nodes.gpuTypes.map(g => g.type).join(', '))
      });
    } else if (type !== undefined && typed && r.gpus > typed.perNode) {
      issues.push({
        field: `${group}.gpus`,
        message: trans.__('no node holds %1 of type %2 %3: the largest has %4', formatResource('gpus', r.gpus, trans), type, per, formatAmount('gpus', typed.perNode))
      });
    } else if (r.gpus > largest.gpus) {
      issues.push({
        field: `${group}.gpus`,
        message: trans.__('no node holds %1 %2: the largest has %3', formatResource('gpus', r.gpus, trans), per, formatAmount('gpus', largest.gpus))
      });
    }
    if (r.cores > largest.cores) {
      issues.push({
        field: `${group}.cores`,
        message: trans.__('no node holds %1 %2: the largest has %3', formatResource('cores', r.cores, trans), per, formatAmount('cores', largest.cores))
      });
    }
    const asked = r.memoryMiB + podMemoryOverheadMiB(role, r);
    if (asked > largest.memoryMiB) {
      issues.push({
        field: `${group}.memoryMiB`,
        message: trans.__(
          'no node holds %1 %2 (%3 with overhead): the largest has %4',
          formatMemory(r.memoryMiB),
          per,
          formatMemory(asked),
          formatMemory(largest.memoryMiB)
        )
      });
    }
  };
  pod('driver', sizing.driver, trans.__('per driver'));
  if (spark && maxExecutors(sizing) > 0) {
    pod('executors', sizing.executors, trans.__('per executor'));
  }
  return issues;
}

/** A profile JVM's memory overhead as a sizing field, when it sets one. */
function overhead(jvm: JvmSizing | undefined): { memoryOverheadMiB?: number } {
  return jvm?.memoryOverheadMiB === undefined ? {} : { memoryOverheadMiB: jvm.memoryOverheadMiB };
}

/** A draft JVM's GPU type as a sizing field, when it has one. */
function gpuTypeOf(jvm: { gpuType?: string }): { gpuType?: string } {
  return jvm.gpuType === undefined ? {} : { gpuType: jvm.gpuType };
}

/** Issues for one field or resource. */
export function issuesFor(check: ISizingCheck, field: ISizingIssue['field']): string[] {
  return check.issues.filter(i => i.field === field).map(i => i.message);
}

namespace Private {
  /** Field rules; each problem is pushed onto `issues` under its field. */
  export class Checker {
    constructor(issues: ISizingIssue[], trans: ITrans) {
      this._issues = issues;
      this._trans = trans;
    }

    number(field: SizingField, value: number, min: number, integer: boolean, label: string): void {
      const t = this._trans;
      if (!Number.isFinite(value)) {
        this._issues.push({ field, message: t.__('%1: enter a number', label) });
      } else if (integer && !Number.isInteger(value)) {
        this._issues.push({ field, message: t.__('%1 must be a whole number', label) });
      } else if (value < min) {
        this._issues.push({ field, message: t.__('%1 must be at least %2', label, min) });
      }
    }

    /** Memory is typed in GiB: say so in the message, not the MiB the draft holds. */
    memory(field: SizingField, mib: number, label: string): void {
      if (!Number.isFinite(mib)) {
        this._issues.push({ field, message: this._trans.__('%1: enter a number of GiB', label) });
      } else if (mib < MIN_MEMORY_MIB) {
        this._issues.push({ field, message: this._trans.__('%1 must be at least %2 GiB', label, mibToGiB(MIN_MEMORY_MIB)) });
      }
    }

    cap(field: SizingField, value: number, cap: number | null): void {
      if (cap !== null && Number.isFinite(value) && value > cap) {
        this._issues.push({ field, message: this._trans.__('%1 executors asked, this profile allows at most %2', value, cap) });
      }
    }

    private _issues: ISizingIssue[];
    private _trans: ITrans;
  }
}
