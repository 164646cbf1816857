/**
 * Texts of the panel: profile facts, quota left next to the totals, why Launch is disabled, and
 * what tells two clusters apart in the list (short id, start time, sizing, lifetime). Pure.
 */

import type { IClusterModel, IGpuType, ILimits, IMe, INodeCapacity, IProfile, IResources, ISizing } from '../api';
import { formatAmount, formatMemory, formatResource, issuesFor, remaining, RESOURCE_KEYS } from '../sizing';
import type { ISizingCheck, ResourceKey } from '../sizing';
import { executorsText, formatUptime, isActive } from '../status';
import { failureReason, hasSpark, panelChip } from './steps';
import type { IPanelChip } from './steps';
import type { ITrans } from '../trans';

/** Characters of a cluster id shown in the list (enough to tell a user's clusters apart). */
export const SHORT_ID_LENGTH = 8;

/** The first {@link SHORT_ID_LENGTH} characters of a cluster id. */
export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

/** `GPUs`, `Cores`, `Memory`. */
export function resourceLabel(key: ResourceKey, trans: ITrans): string {
  switch (key) {
    case 'gpus':
      return trans.__('GPUs');
    case 'cores':
      return trans.__('Cores');
    case 'memoryMiB':
      return trans.__('Memory');
  }
}

/** `1 GPU · 4 cores · 8 GiB` for one driver or executor; `1 GPU (NVIDIA-L4) · …` when it names a GPU type. */
export function shapeText(r: IResources & { gpuType?: string }, trans: ITrans): string {
  const parts = [formatResource('cores', r.cores, trans), formatMemory(r.memoryMiB)];
  if (r.gpus > 0) {
    const gpus = formatResource('gpus', r.gpus, trans);
    parts.unshift(r.gpuType ? trans.__('%1 (%2)', gpus, r.gpuType) : gpus);
  }
  return parts.join(' · ');
}

/** `2`, or `1–4` with dynamic allocation. */
export function executorCount(e: ISizing['executors']): string {
  if (e.count !== undefined) {
    return String(e.count);
  }
  return `${e.min ?? 0}–${e.max ?? e.min ?? 0}`;
}

/** What a profile's card says: driver shape, executors, and its warm drivers. */
export interface IProfileFacts {
  driver: string;
  executors: string;
  warm: string | null;
}

/** The key facts of a profile at its defaults. */
export function profileFacts(p: IProfile, trans: ITrans): IProfileFacts {
  const e = p.executors;
  const none = e.count === 0 || (e.count === undefined && (e.max ?? 0) === 0);
  return {
    driver: trans.__('Driver: %1', shapeText(p.driver, trans)),
    executors: !p.spark
      ? trans.__('No Spark: a plain kernel')
      : none
        ? trans.__('Executors: none (Spark runs in the driver)')
        : trans.__('Executors: %1 × %2', executorCount(e), shapeText(e, trans)),
    warm: p.warm ? trans._n('%1 warm driver: ready at once', '%1 warm drivers: ready at once', p.warm) : null
  };
}

/** One row of the totals: what this launch takes and what the tenant has left. */
export interface ICapacityRow {
  key: ResourceKey;
  label: string;
  /** `2`, or `1–3` with autoscale (driver + min … max executors). */
  asked: string;
  /** `1 of 2 left` or `unlimited`. */
  left: string;
  /** Why this total is refused; empty when it fits. */
  issues: string[];
}

/** Totals of a sizing next to the quota left (limits − usage, `unlimited` when null). */
export function capacityRows(check: ISizingCheck, me: Pick<IMe, 'limits' | 'usage'>, trans: ITrans): ICapacityRow[] {
  const left = remaining(me.limits, me.usage);
  return RESOURCE_KEYS.map(key => {
    const min = check.minTotals[key];
    const max = check.totals[key];
    const l = left[key];
    const limit = me.limits[key];
    return {
      key,
      label: resourceLabel(key, trans),
      asked: min === max ? formatAmount(key, max) : `${formatAmount(key, min)}–${formatAmount(key, max)}`,
      left: l === null || limit === null ? trans.__('unlimited') : trans.__('%1 of %2 left', ...Private.sharedUnit(formatAmount(key, l), formatAmount(key, limit))),
      issues: issuesFor(check, key)
    };
  });
}

/** The header's usage line: `In use: 1/2 GPUs · 1/16 cores · 1 GiB memory` (limit after the slash). */
export function usageLine(limits: ILimits, usage: IResources, trans: ITrans): string {
  const parts = RESOURCE_KEYS.map(k => {
    const limit = limits[k];
    const unit = k === 'memoryMiB' ? trans.__('memory') : k === 'gpus' ? trans.__('GPUs') : trans.__('cores');
    return `${formatAmount(k, usage[k])}${limit === null ? '' : `/${formatAmount(k, limit)}`} ${unit}`;
  });
  return trans.__('In use: %1', parts.join(' · '));
}

/** The header's quota line: `Free for you: 1 GPU · 15 cores · unlimited memory`. */
export function freeLine(limits: ILimits, usage: IResources, trans: ITrans): string {
  const left = remaining(limits, usage);
  const parts = RESOURCE_KEYS.map(k => {
    const l = left[k];
    return l === null ? trans.__('unlimited %1', resourceLabel(k, trans).toLowerCase()) : formatResource(k, l, trans);
  });
  return trans.__('Free for you: %1', parts.join(' · '));
}

/**
 * The header's cluster GPU line, when the gateway can see the nodes: `GPUs in the cluster
 * (total): 2 × NVIDIA-A100-SXM4-80GB, up to 2 per pod`; `null` when it cannot.
 *
 * #### Notes
 * The counts are the nodes' allocatable GPUs: the gateway does not see what other tenants' pods
 * hold, so the line says "total" rather than "free". The type is the nodes'
 * `nvidia.com/gpu.product` label, or the resource name `nvidia.com/gpu` on nodes without one.
 */
export function clusterGpuLine(nodes: INodeCapacity | null, trans: ITrans): string | null {
  if (!nodes) {
    return null;
  }
  if (nodes.gpuTypes.length === 0) {
    return trans._n('GPUs in the cluster: none (%1 node)', 'GPUs in the cluster: none (%1 nodes)', nodes.nodes);
  }
  const types = nodes.gpuTypes.map(t => trans.__('%1 × %2, up to %3 per pod', t.gpus, gpuTypeName(t), t.perNode));
  return trans.__('GPUs in the cluster (total): %1', types.join('; '));
}

/** A GPU type's name: its product label, or the resource name `nvidia.com/gpu` when nodes carry none. */
export function gpuTypeName(t: IGpuType): string {
  return t.type === 'unknown' ? 'nvidia.com/gpu' : t.type;
}

/** The header's notice on a cluster whose GPUs are fakes (`me.simulatedGpus`); `null` otherwise. */
export function simulatedNotice(me: Pick<IMe, 'simulatedGpus'>, trans: ITrans): string | null {
  return me.simulatedGpus ? trans.__('GPUs are simulated (demo cluster): Spark schedules them, nothing computes on a GPU.') : null;
}

/** Inputs of {@link launchBlocker}. */
export interface ILaunchBlockerInput {
  me: IMe | null;
  check: ISizingCheck | null;
  busy: boolean;
}

/** Why Launch is disabled, as text beside it; `null` when it is enabled. */
export function launchBlocker(input: ILaunchBlockerInput, trans: ITrans): string | null {
  const { me, check, busy } = input;
  if (busy) {
    return trans.__('Sending the launch request…');
  }
  if (!me) {
    return trans.__('Launch is unavailable until profiles and limits load.');
  }
  if (me.profiles.length === 0) {
    return trans.__('Launch is unavailable: no profiles are available to you.');
  }
  if (!check || check.valid) {
    return null;
  }
  const messages = check.issues.map(i => i.message);
  return trans._n('Launch is disabled: %2.', 'Launch is disabled, %1 things to fix: %2.', messages.length, messages.join('; '));
}

/** How a cluster reads in the list. */
export interface IClusterEntry {
  name: string;
  shortId: string;
  chip: IPanelChip;
  /** `started 14:05` (local time; with the date when not today). */
  started: string;
  /** `2 × 1 GPU executors · driver 1 GPU`. */
  sizing: string;
  /** `up 45s`; `failed after 24s`; `ended after 3m`; `failed` when the end was not seen. */
  lifetime: string;
  /** `1/2 executors · 1 pending`, while active, with Spark and executors to count. */
  executors: string | null;
  /** Why it failed or ended, while not active. */
  reason: string | null;
  /** Whether a Spark UI link makes sense (active, with Spark). */
  sparkUi: boolean;
  /** `shutdown` while active; `dismiss` removes a failed or dead entry. */
  action: 'shutdown' | 'dismiss';
}

/** Inputs of {@link clusterEntry}. */
export interface IClusterEntryInput {
  cluster: IClusterModel;
  now: number;
  /** When the panel first saw it failed or dead (ms since the epoch); `null` if it never saw it alive. */
  endedAt: number | null;
  /** Leave the reason out (the launch progress above already says it). */
  hideReason?: boolean;
}

/** Everything one list entry says. */
export function clusterEntry(input: IClusterEntryInput, trans: ITrans): IClusterEntry {
  const c = input.cluster;
  const active = isActive(c.state);
  const failed = c.state === 'failed';
  let lifetime: string;
  if (active) {
    lifetime = trans.__('up %1', formatUptime(c.createdAt, input.now));
  } else if (input.endedAt !== null) {
    const took = formatUptime(c.createdAt, input.endedAt);
    lifetime = failed ? trans.__('failed after %1', took) : trans.__('ended after %1', took);
  } else {
    lifetime = failed ? trans.__('failed') : trans.__('ended');
  }
  return {
    name: c.displayName,
    shortId: shortId(c.id),
    chip: panelChip(c, trans),
    started: startedText(c.createdAt, input.now, trans),
    sizing: sizingText(c.sizing, hasSpark(c), trans),
    lifetime,
    // The local backend runs executors inside the driver and reports none: "0/0" would only confuse.
    executors: active && hasSpark(c) && c.executors.desired + c.executors.ready + c.executors.pending > 0 ? executorsText(c) : null,
    reason: active || input.hideReason ? null : failureReason(c, trans),
    sparkUi: active && hasSpark(c),
    action: active ? 'shutdown' : 'dismiss'
  };
}

/** `2 × 1 GPU (NVIDIA-L4) executors · driver 1 GPU`, `1–4 × 2-core executors · driver 1 core`. */
export function sizingText(s: ISizing, spark: boolean, trans: ITrans): string {
  // Two clusters of one profile may differ only in the GPU type a user chose.
  const gpus = (jvm: { gpus: number; gpuType?: string }): string =>
    jvm.gpuType ? `${formatResource('gpus', jvm.gpus, trans)} (${jvm.gpuType})` : formatResource('gpus', jvm.gpus, trans);
  const d = s.driver;
  const driver = d.gpus > 0 ? trans.__('driver %1', gpus(d)) : trans.__('driver %1', formatResource('cores', d.cores, trans));
  const e = s.executors;
  const none = e.count === 0 || (e.count === undefined && (e.max ?? 0) === 0);
  if (!spark || none) {
    return driver;
  }
  const count = executorCount(e);
  const many = e.count !== 1;
  const each =
    e.gpus > 0
      ? many
        ? trans.__('%1 × %2 executors', count, gpus(e))
        : trans.__('%1 × %2 executor', count, gpus(e))
      : many
        ? trans.__('%1 × %2-core executors', count, formatAmount('cores', e.cores))
        : trans.__('%1 × %2-core executor', count, formatAmount('cores', e.cores));
  return `${each} · ${driver}`;
}

/** `started 14:05`, or `started 2026-12-01 14:05` when not on the day of `now` (local time). */
export function startedText(createdAt: string, now: number, trans: ITrans): string {
  const t = Date.parse(createdAt);
  if (Number.isNaN(t)) {
    return trans.__('started —');
  }
  const start = new Date(t);
  const today = new Date(now);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const time = `${pad(start.getHours())}:${pad(start.getMinutes())}`;
  const sameDay =
    start.getFullYear() === today.getFullYear() && start.getMonth() === today.getMonth() && start.getDate() === today.getDate();
  return sameDay
    ? trans.__('started %1', time)
    : trans.__('started %1', `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())} ${time}`);
}

namespace Private {
  /** `31 GiB`, `32 GiB` → `31`, `32 GiB`: the unit once, so "31 of 32 GiB left" fits the sidebar. */
  export function sharedUnit(part: string, whole: string): [string, string] {
    const unit = / [A-Za-z]+$/.exec(whole)?.[0];
    return unit && part.endsWith(unit) ? [part.slice(0, -unit.length), whole] : [part, whole];
  }
}
