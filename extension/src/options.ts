/**
 * A profile's options (issue 18 item 2; contract `ProfileOptions`) as the sizing form presents
 * and checks them: which fields are inputs (with bounds), which are choices, which the profile
 * fixes; and the messages naming a bound, worded as the gateway's 400 would. Pure.
 *
 * `options: null` (a profile without options) leaves every sizing field free as before, with no
 * GPU type choice; otherwise only the fields listed are the user's, every other one is the
 * profile's value.
 */

import { optionAllows, type NumberOption } from '@sparkgate/contract';

import type { IProfile, ISizing } from './api';
import { formatMemory } from './format';
import type { GpuTypeField, ISizingDraft, ISizingIssue, SizingField } from './sizing';
import { plainTrans } from './trans';
import type { ITrans } from './trans';

/** How the form offers one numeric field. */
export type IFieldControl =
  /** A number input with only the gateway's own minimum (a profile without options). */
  | { kind: 'free' }
  /** A number input within the option's bounds (`null`: no bound of its own). */
  | { kind: 'bounded'; min: number | null; max: number | null }
  /** A select of the option's values. */
  | { kind: 'choices'; choices: number[] }
  /** Read-only text: the profile's value. */
  | { kind: 'fixed'; value: number };

/** How the form offers the GPU type of the driver or the executors. */
export type IGpuTypeControl =
  /** No GPU type row: no options, or the JVM cannot have GPUs, or any type is taken. */
  | { kind: 'hidden' }
  | { kind: 'fixed'; value: string }
  | { kind: 'choices'; choices: string[] };

/** The sizing group of a field and its key there. */
export function splitField(field: SizingField | GpuTypeField): ['driver' | 'executors', string] {
  return field.split('.') as ['driver' | 'executors', string];
}

/** How `profile` lets a user set `field`. */
export function fieldControl(profile: IProfile, field: SizingField): IFieldControl {
  if (!profile.options) {
    return { kind: 'free' };
  }
  const [group, key] = splitField(field);
  const option = (profile.options[group] as Record<string, NumberOption | undefined>)[key];
  if (!option) {
    return { kind: 'fixed', value: profileValue(profile, field) };
  }
  return 'choices' in option ? { kind: 'choices', choices: [...option.choices] } : { kind: 'bounded', min: option.min, max: option.max };
}

/** How `profile` lets a user pick the GPU type of `group`: only where that JVM has or may have GPUs. */
export function gpuTypeControl(profile: IProfile, group: 'driver' | 'executors'): IGpuTypeControl {
  if (!profile.options || !mayHaveGpus(fieldControl(profile, `${group}.gpus`))) {
    return { kind: 'hidden' };
  }
  const option = profile.options[group].gpuType;
  if (option) {
    return { kind: 'choices', choices: [...option.choices] };
  }
  const own = profile[group].gpuType;
  return own === undefined ? { kind: 'hidden' } : { kind: 'fixed', value: own };
}

/** Whether a GPU count offered this way can be above zero. */
export function mayHaveGpus(control: IFieldControl): boolean {
  switch (control.kind) {
    case 'free':
      return true;
    case 'fixed':
      return control.value > 0;
    case 'bounded':
      return control.max === null || control.max > 0;
    case 'choices':
      return control.choices.some(n => n > 0);
  }
}

/** Whether `value` is one `control` allows (free: any; the field's own rules are checked apart). */
export function allowedBy(control: IFieldControl, value: number): boolean {
  switch (control.kind) {
    case 'free':
      return true;
    case 'fixed':
      return value === control.value;
    case 'bounded':
    case 'choices':
      return optionAllows(control.kind === 'bounded' ? control : { choices: control.choices }, value);
  }
}

/** A value of `field` as the form shows it: memory as `8 GiB`, anything else as the number. */
export function formatFieldValue(field: SizingField, value: number): string {
  return field.endsWith('memoryMiB') ? formatMemory(value) : String(value);
}

/** A control's bound in words: `between 1 and 8`, `at least 2`, `at most 4 GiB`, `one of 1, 2, 4`; `''` for free and fixed. */
export function describeControl(field: SizingField, control: IFieldControl, trans: ITrans = plainTrans): string {
  const show = (n: number): string => formatFieldValue(field, n);
  switch (control.kind) {
    case 'bounded':
      if (control.min !== null && control.max !== null) {
        return trans.__('between %1 and %2', show(control.min), show(control.max));
      }
      if (control.min !== null) {
        return trans.__('at least %1', show(control.min));
      }
      return control.max !== null ? trans.__('at most %1', show(control.max)) : '';
    case 'choices':
      return trans.__('one of %1', control.choices.map(show).join(', '));
    case 'free':
    case 'fixed':
      return '';
  }
}

/** The name a message gives a field: `Executors`, `Executor memory`, `Driver GPU type`. */
export function fieldName(field: SizingField | GpuTypeField, trans: ITrans = plainTrans): string {
  switch (field) {
    case 'driver.cores':
      return trans.__('Driver cores');
    case 'driver.memoryMiB':
      return trans.__('Driver memory');
    case 'driver.gpus':
      return trans.__('Driver GPUs');
    case 'driver.gpuType':
      return trans.__('Driver GPU type');
    case 'executors.count':
      return trans.__('Executors');
    case 'executors.min':
      return trans.__('Minimum executors');
    case 'executors.max':
      return trans.__('Maximum executors');
    case 'executors.cores':
      return trans.__('Executor cores');
    case 'executors.memoryMiB':
      return trans.__('Executor memory');
    case 'executors.gpus':
      return trans.__('Executor GPUs');
    case 'executors.gpuType':
      return trans.__('Executor GPU type');
  }
}

/** Numeric fields that count for a draft: executors' only with Spark, `count` or `min`/`max` by mode. */
export function activeFields(draft: Pick<ISizingDraft, 'autoscale'>, spark: boolean): SizingField[] {
  const fields: SizingField[] = ['driver.cores', 'driver.memoryMiB', 'driver.gpus'];
  if (spark) {
    fields.push(...(draft.autoscale ? (['executors.min', 'executors.max'] as const) : (['executors.count'] as const)));
    fields.push('executors.cores', 'executors.memoryMiB', 'executors.gpus');
  }
  return fields;
}

/**
 * What of `draft` the profile's options do not allow, one issue per field, naming the bound:
 * `Executors: between 1 and 8`, `Executor GPU type: one of NVIDIA-L4, NVIDIA-A100-80GB`. Only
 * finite numbers are compared (a blank field has its own message). None without options.
 */
export function optionIssues(draft: ISizingDraft, profile: IProfile, trans: ITrans = plainTrans): ISizingIssue[] {
  if (!profile.options) {
    return [];
  }
  const issues: ISizingIssue[] = [];
  for (const field of activeFields(draft, profile.spark)) {
    const control = fieldControl(profile, field);
    const value = draftValue(draft, field);
    if (!Number.isFinite(value) || allowedBy(control, value)) {
      continue;
    }
    const message =
      control.kind === 'fixed'
        ? trans.__('%1: fixed at %2 by this profile', fieldName(field, trans), formatFieldValue(field, control.value))
        : trans.__('%1: %2', fieldName(field, trans), describeControl(field, control, trans));
    issues.push({ field, message });
  }
  for (const group of profile.spark ? (['driver', 'executors'] as const) : (['driver'] as const)) {
    const control = gpuTypeControl(profile, group);
    const value = draft[group].gpuType;
    if (control.kind === 'choices' && (value === undefined || !control.choices.includes(value))) {
      issues.push({ field: `${group}.gpuType`, message: trans.__('%1: one of %2', fieldName(`${group}.gpuType`, trans), control.choices.join(', ')) });
    }
  }
  return issues;
}

/**
 * What a shape (from a notebook, maybe another tenant's) asks that `profile` fixes otherwise:
 * the form takes the profile's value there (the user cannot change it) and says so with these
 * notes, e.g. `Executor GPUs is set by this profile: 1 (the notebook had 2)`. Adjustable fields
 * keep the shape's value and {@link optionIssues} names any bound it is outside.
 */
export function fixedNotes(profile: IProfile, sizing: ISizing, trans: ITrans = plainTrans): string[] {
  const notes: string[] = [];
  const note = (field: SizingField | GpuTypeField, own: string, asked: string): void => {
    notes.push(trans.__('%1 is set by this profile: %2 (the notebook had %3)', fieldName(field, trans), own, asked));
  };
  const groups = profile.spark ? (['driver', 'executors'] as const) : (['driver'] as const);
  if (profile.options) {
    const dynamic = profile.executors.count === undefined;
    const askedDynamic = sizing.executors.count === undefined;
    if (profile.spark && dynamic !== askedDynamic) {
      notes.push(
        dynamic
          ? trans.__('This profile sizes executors with autoscale (the notebook had a fixed count)')
          : trans.__('This profile sizes executors with a fixed count (the notebook had autoscale)')
      );
    }
    for (const field of activeFields({ autoscale: dynamic }, profile.spark)) {
      const control = fieldControl(profile, field);
      const [group, key] = splitField(field);
      const asked = (sizing[group] as unknown as Record<string, number | undefined>)[key];
      if (control.kind === 'fixed' && asked !== undefined && asked !== control.value) {
        note(field, formatFieldValue(field, control.value), formatFieldValue(field, asked));
      }
    }
  }
  for (const group of groups) {
    const asked = sizing[group].gpuType;
    const own = profile[group].gpuType;
    if (asked !== undefined && asked !== own && gpuTypeControl(profile, group).kind !== 'choices') {
      note(`${group}.gpuType`, own ?? trans.__('any'), asked);
    }
  }
  return notes;
}

/** The profile's own value of a numeric field (`0` for executor min/max/count it does not use). */
export function profileValue(profile: IProfile, field: SizingField): number {
  const [group, key] = splitField(field);
  return (profile[group] as unknown as Record<string, number | undefined>)[key] ?? 0;
}

/** A numeric field of a draft. */
export function draftValue(draft: ISizingDraft, field: SizingField): number {
  const [group, key] = splitField(field);
  return (draft[group] as unknown as Record<string, number | undefined>)[key] ?? Number.NaN;
}
