/**
 * A profile's `options` (issue 18; README "Configuration file"): which sizing fields a user may
 * change at launch, within which bounds or choices; anchor KubeSpawner's `profile_options`. The
 * file names fields as the profile's own sections do (`memory`); the gateway and the panel use
 * `Sizing`'s names (`memoryMiB`, contract `ProfileOptions`). Each refusal names its path.
 */
import { optionAllows, type NumberOption, type ProfileOptions, type Sizing, type TextOption } from '@sparkgate/contract';
import { z } from 'zod';
import { int, memory, num, section, str } from './parse.js';

/** Smallest value of each field a launch may ask for (kernels/sizing.ts `resolveSizing` checks the same). */
export const FIELD_MINIMUM = { cores: 0.1, executorCores: 1, memoryMiB: 256, gpus: 0, executors: 0 } as const;

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

type Value = z.ZodType<number>;

/** `{min, max}` or `{choices}` over values `value` parses. */
function numberOption(value: Value, show: (n: number) => string) {
  return section({ min: value.optional(), max: value.optional(), choices: z.array(value, { error: 'must be a list of values' }).optional() })
    .superRefine((o, ctx) => {
      if (o.choices !== undefined) {
        if (o.min !== undefined || o.max !== undefined) {
          ctx.addIssue({ code: 'custom', message: ': give choices or min/max, not both' });
        } else if (o.choices.length === 0) {
          ctx.addIssue({ code: 'custom', path: ['choices'], message: ': give at least one choice' });
        } else if (new Set(o.choices).size !== o.choices.length) {
          ctx.addIssue({ code: 'custom', path: ['choices'], message: ': a choice appears twice' });
        }
      } else if (o.min === undefined && o.max === undefined) {
        ctx.addIssue({ code: 'custom', message: ': give min and/or max, or choices' });
      } else if (o.min !== undefined && o.max !== undefined && o.max < o.min) {
        ctx.addIssue({ code: 'custom', message: `: max (${show(o.max)}) must be ≥ min (${show(o.min)})` });
      }
    })
    .transform((o): NumberOption => (o.choices !== undefined ? { choices: [...o.choices].sort((a, b) => a - b) } : { min: o.min ?? null, max: o.max ?? null }));
}

const gpuTypeOption = section({
  choices: z
    .array(str().refine(v => v.length <= 63 && LABEL_VALUE.test(v), { error: 'must be a value of the node label nvidia.com/gpu.product (e.g. NVIDIA-L4)' }), {
      error: 'must be a list of GPU types'
    })
    .min(1, { error: ': give at least one GPU type' })
    .refine(list => new Set(list).size === list.length, { error: ': a GPU type appears twice' })
}).transform((o): TextOption => ({ choices: o.choices }));

const whole = () => int();
const mib = () => memory() as unknown as Value;
const showMiB = (n: number) => (n % 1024 === 0 ? `${n / 1024}g` : `${n}m`);
const showNumber = (n: number) => String(n);

const driverOptions = section({
  cores: numberOption(num(FIELD_MINIMUM.cores), showNumber).optional(),
  memory: numberOption(mib(), showMiB).optional(),
  gpus: numberOption(whole(), showNumber).optional(),
  gpuType: gpuTypeOption.optional()
});

const executorOptions = section({
  count: numberOption(whole(), showNumber).optional(),
  min: numberOption(whole(), showNumber).optional(),
  max: numberOption(whole(), showNumber).optional(),
  cores: numberOption(int(FIELD_MINIMUM.executorCores), showNumber).optional(),
  memory: numberOption(mib(), showMiB).optional(),
  gpus: numberOption(whole(), showNumber).optional(),
  gpuType: gpuTypeOption.optional()
});

/** `profiles.<id>.options`: absent = every sizing field free (as before), `{}` = nothing. */
export const optionsKey = section({ driver: driverOptions.optional(), executors: executorOptions.optional() })
  .nullish()
  .transform((o): ProfileOptions | undefined => {
    if (o === undefined || o === null) {
      return undefined;
    }
    const { memory: dm, ...d } = o.driver ?? {};
    const { memory: em, ...e } = o.executors ?? {};
    return { driver: { ...d, ...(dm ? { memoryMiB: dm } : {}) }, executors: { ...e, ...(em ? { memoryMiB: em } : {}) } } as ProfileOptions;
  });

/** Whether `value` is one the option allows: the contract's, so the panel judges alike. */
export const allows = optionAllows;

/** The option in words, for messages: `between 1 and 8`, `at most 4`, `one of 1, 2, 4`. */
export function describeOption(option: NumberOption, show: (n: number) => string = showNumber): string {
  if ('choices' in option) {
    return `one of ${option.choices.map(show).join(', ')}`;
  }
  if (option.min !== null && option.max !== null) {
    return `between ${show(option.min)} and ${show(option.max)}`;
  }
  return option.min !== null ? `at least ${show(option.min)}` : `at most ${show(option.max ?? 0)}`;
}

/** File names of the option fields, for paths in messages. */
const FILE_NAME: Readonly<Record<string, string>> = { memoryMiB: 'memory' };

/**
 * Refines a whole profile: each option fits the profile's own sizing (its default lies within,
 * count only with a fixed count, min/max only with dynamic allocation, a GPU type only where GPUs
 * may be asked for). `sizing` has the section's gpuType filled in by `withDefaultGpuTypes`.
 */
export function checkOptions(options: ProfileOptions | undefined, sizing: Sizing, ctx: z.core.$RefinementCtx): void {
  if (options === undefined) {
    return;
  }
  const at = (role: 'driver' | 'executors', field: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: ['options', role, FILE_NAME[field] ?? field], message });
  const dynamic = sizing.executors.count === undefined;
  for (const role of ['driver', 'executors'] as const) {
    const jvm = sizing[role] as unknown as Record<string, number | string | undefined>;
    for (const [field, option] of Object.entries(options[role]) as [string, NumberOption | TextOption][]) {
      if (field === 'gpuType') {
        const gpus = options[role].gpus;
        const mayAskGpus = sizing[role].gpus > 0 || (gpus !== undefined && ('choices' in gpus ? gpus.choices.some(g => g > 0) : gpus.max === null || gpus.max > 0));
        const own = sizing[role].gpuType;
        if (!mayAskGpus) {
          at(role, field, `: the ${role} ask for no GPUs (gpus: 0) and users may not change that, so a GPU type does not apply`);
        } else if (own !== undefined && !(option as TextOption).choices.includes(own)) {
          at(role, field, `: the profile's own ${role}.gpuType (${own}) is not one of the choices`);
        }
        continue;
      }
      if (role === 'executors' && field === 'count' && dynamic) {
        at(role, field, ': the profile sizes executors with min/max (dynamic allocation); offer min and max instead');
        continue;
      }
      if (role === 'executors' && (field === 'min' || field === 'max') && !dynamic) {
        at(role, field, ': the profile has a fixed executor count; offer count instead');
        continue;
      }
      const own = jvm[field];
      const show = field === 'memoryMiB' ? showMiB : showNumber;
      if (typeof own === 'number' && !allows(option as NumberOption, own)) {
        at(role, field, `: the profile's own value (${show(own)}) is not ${describeOption(option as NumberOption, show)}`);
      }
    }
  }
}

/** A section's GPU type as a launch default: its own, else the first choice of its option. */
export function defaultGpuType(own: string | null | undefined, option: TextOption | undefined): string | undefined {
  return own ?? option?.choices[0];
}
