/**
 * How the panel writes amounts of resources: memory in GiB or MiB, cores and GPUs with their
 * units. Pure; shared by the sizing checks (sizing.ts, options.ts) and the panel's texts.
 */

import type { IResources } from './api';
import { plainTrans } from './trans';
import type { ITrans } from './trans';

/** A resource counted against tenant limits. */
export type ResourceKey = keyof IResources;

/** Resources in display order. */
export const RESOURCE_KEYS: readonly ResourceKey[] = ['gpus', 'cores', 'memoryMiB'];

/** `1536` → `1.5 GiB`, `1792` → `1.75 GiB`, `512` → `512 MiB`: GiB to two decimals, as the form's quarter-GiB steps need. */
export function formatMemory(mib: number): string {
  if (mib >= 1024) {
    return `${Number((mib / 1024).toFixed(2))} GiB`;
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
export function formatResource(key: ResourceKey, n: number, trans: ITrans = plainTrans): string {
  const amount = formatAmount(key, n);
  switch (key) {
    case 'gpus':
      return n === 1 ? trans.__('%1 GPU', amount) : trans.__('%1 GPUs', amount);
    case 'cores':
      return n === 1 ? trans.__('%1 core', amount) : trans.__('%1 cores', amount);
    case 'memoryMiB':
      return trans.__('%1 memory', amount);
  }
}
