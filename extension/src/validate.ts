/**
 * Assertions for what crosses into the extension: REST bodies, socket.io payloads and notebook
 * metadata (which anyone may have edited). Pure; shape of JupyterLab's `kernel/validate.ts`.
 */

import type { NumberOption, ProfileOptions, TextOption } from '@sparkgate/contract';

import type { IClusterModel, IMe, INodeCapacity, IProfile, ISharedShape, ISizing } from './api';
import type { ICellJob, ICellProgress, ICellStage, ITaskCounts } from './cells/types';

/** A payload did not have the documented shape. */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** Asserts a `GET api/me` body. */
export function assertMe(x: unknown): asserts x is IMe {
  const o = Private.record(x, 'me');
  Private.string(o.user, 'me.user');
  Private.string(o.tenant, 'me.tenant');
  const limits = Private.record(o.limits, 'me.limits');
  for (const k of ['gpus', 'cores', 'memoryMiB']) {
    if (limits[k] !== null) {
      Private.number(limits[k], `me.limits.${k}`);
    }
  }
  const usage = Private.record(o.usage, 'me.usage');
  for (const k of ['gpus', 'cores', 'memoryMiB']) {
    Private.number(usage[k], `me.usage.${k}`);
  }
  Private.oneOf(o.backend, ['local', 'kubernetes'], 'me.backend');
  Private.boolean(o.simulatedGpus, 'me.simulatedGpus');
  if (o.nodes !== null) {
    assertNodeCapacity(o.nodes, 'me.nodes');
  }
  if (!Array.isArray(o.profiles)) {
    throw new ValidationError('me.profiles must be an array');
  }
  o.profiles.forEach((p, i) => assertProfile(p, `me.profiles[${i}]`));
}

/** Asserts what the gateway tells of the cluster's nodes (`me.nodes` when not null). */
export function assertNodeCapacity(x: unknown, path = 'nodes'): asserts x is INodeCapacity {
  const o = Private.record(x, path);
  Private.count(o.nodes, `${path}.nodes`);
  const largest = Private.record(o.largest, `${path}.largest`);
  for (const k of ['gpus', 'cores', 'memoryMiB']) {
    Private.count(largest[k], `${path}.largest.${k}`);
  }
  if (!Array.isArray(o.gpuTypes)) {
    throw new ValidationError(`${path}.gpuTypes must be an array`);
  }
  o.gpuTypes.forEach((t: unknown, i) => {
    const g = Private.record(t, `${path}.gpuTypes[${i}]`);
    Private.string(g.type, `${path}.gpuTypes[${i}].type`);
    for (const k of ['gpus', 'nodes', 'perNode']) {
      Private.count(g[k], `${path}.gpuTypes[${i}].${k}`);
    }
  });
}

/** Asserts one profile. */
export function assertProfile(x: unknown, path = 'profile'): asserts x is IProfile {
  const o = Private.record(x, path);
  Private.string(o.id, `${path}.id`);
  Private.string(o.displayName, `${path}.displayName`);
  Private.string(o.kernelspec, `${path}.kernelspec`);
  Private.boolean(o.spark, `${path}.spark`);
  if (o.maxExecutors !== null) {
    Private.number(o.maxExecutors, `${path}.maxExecutors`);
  }
  const totals = Private.record(o.totals, `${path}.totals`);
  for (const k of ['gpus', 'cores', 'memoryMiB']) {
    Private.number(totals[k], `${path}.totals.${k}`);
  }
  if (o.warm !== undefined) {
    Private.number(o.warm, `${path}.warm`);
  }
  // Absent from gateways before profile options: every field adjustable, as `null` says.
  if (o.options !== null && o.options !== undefined) {
    assertProfileOptions(o.options, `${path}.options`);
  }
  assertSizing({ driver: o.driver, executors: o.executors }, path);
}

/** Asserts a profile's `options`: per JVM, number fields with `{min, max}` or `{choices}`, and `gpuType` choices. */
export function assertProfileOptions(x: unknown, path = 'options'): asserts x is ProfileOptions {
  const o = Private.record(x, path);
  const groups = { driver: Private.DRIVER_OPTION_FIELDS, executors: Private.EXECUTOR_OPTION_FIELDS };
  for (const [group, fields] of Object.entries(groups)) {
    const g = Private.record(o[group], `${path}.${group}`);
    for (const [field, option] of Object.entries(g)) {
      const at = `${path}.${group}.${field}`;
      if (field === 'gpuType') {
        Private.textOption(option, at);
      } else if (fields.includes(field)) {
        Private.numberOption(option, at);
      } else {
        throw new ValidationError(`${at} is not a sizing field`);
      }
    }
  }
}

/** Asserts a sizing: numeric driver/executor fields, and count or min/max if present. */
export function assertSizing(x: unknown, path = 'sizing'): asserts x is ISizing {
  const o = Private.record(x, path);
  const d = Private.record(o.driver, `${path}.driver`);
  const e = Private.record(o.executors, `${path}.executors`);
  for (const k of ['cores', 'memoryMiB', 'gpus']) {
    Private.number(d[k], `${path}.driver.${k}`);
    Private.number(e[k], `${path}.executors.${k}`);
  }
  for (const k of ['count', 'min', 'max']) {
    if (e[k] !== undefined) {
      Private.number(e[k], `${path}.executors.${k}`);
    }
  }
  for (const [group, jvm] of [['driver', d], ['executors', e]] as const) {
    if (jvm.gpuType !== undefined) {
      Private.gpuType(jvm.gpuType, `${path}.${group}.gpuType`);
    }
    if (jvm.memoryOverheadMiB !== undefined) {
      Private.count(jvm.memoryOverheadMiB, `${path}.${group}.memoryOverheadMiB`);
    }
  }
}

/** Asserts a cluster model (REST or socket.io). */
export function assertClusterModel(x: unknown): asserts x is IClusterModel {
  const o = Private.record(x, 'cluster');
  for (const k of ['id', 'kernelName', 'profile', 'displayName', 'state', 'createdAt', 'kernelId']) {
    Private.string(o[k], `cluster.${k}`);
  }
  Private.record(o.driver, 'cluster.driver');
  const e = Private.record(o.executors, 'cluster.executors');
  for (const k of ['ready', 'pending', 'desired']) {
    Private.number(e[k], `cluster.executors.${k}`);
  }
  Private.number(Private.record(o.gpus, 'cluster.gpus').held, 'cluster.gpus.held');
  assertSizing(o.sizing, 'cluster.sizing');
  for (const k of ['cullAt', 'idleSince']) {
    // Absent from gateways without culling, which the widget reads as no cull announced.
    if (o[k] !== undefined && o[k] !== null) {
      Private.string(o[k], `cluster.${k}`);
    }
  }
}

/** Whether `x` is a valid cluster model, for payloads where one bad item must not drop the rest. */
export function isClusterModel(x: unknown): x is IClusterModel {
  try {
    assertClusterModel(x);
    return true;
  } catch {
    return false;
  }
}

/** Asserts a `cell:progress` payload (socket.io): the Spark jobs of one cell. */
export function assertCellProgress(x: unknown): asserts x is ICellProgress {
  const o = Private.record(x, 'progress');
  Private.string(o.clusterId, 'progress.clusterId');
  Private.string(o.cell, 'progress.cell');
  Private.boolean(o.running, 'progress.running');
  if (o.waiting !== null) {
    Private.string(o.waiting, 'progress.waiting');
  }
  if (!Array.isArray(o.jobs)) {
    throw new ValidationError('progress.jobs must be an array');
  }
  o.jobs.forEach((j, i) => assertCellJob(j, `progress.jobs[${i}]`));
}

/** Asserts one job of a `cell:progress` payload. */
export function assertCellJob(x: unknown, path = 'job'): asserts x is ICellJob {
  const o = Private.record(x, path);
  Private.number(o.id, `${path}.id`);
  Private.string(o.name, `${path}.name`);
  Private.oneOf(o.status, Private.JOB_STATUSES, `${path}.status`);
  for (const k of ['submittedAt', 'completedAt']) {
    if (o[k] !== null) {
      Private.string(o[k], `${path}.${k}`);
    }
  }
  Private.string(o.uiPath, `${path}.uiPath`);
  assertTaskCounts(o.tasks, `${path}.tasks`);
  if (!Array.isArray(o.stages)) {
    throw new ValidationError(`${path}.stages must be an array`);
  }
  o.stages.forEach((s, i) => assertCellStage(s, `${path}.stages[${i}]`));
}

/** Asserts one stage of a cell's job. */
export function assertCellStage(x: unknown, path = 'stage'): asserts x is ICellStage {
  const o = Private.record(x, path);
  Private.number(o.id, `${path}.id`);
  Private.string(o.name, `${path}.name`);
  Private.oneOf(o.status, Private.STAGE_STATUSES, `${path}.status`);
  assertTaskCounts(o.tasks, `${path}.tasks`);
}

/** Asserts task counts: finite and not negative (they size a progress bar). */
export function assertTaskCounts(x: unknown, path = 'tasks'): asserts x is ITaskCounts {
  const o = Private.record(x, path);
  for (const k of ['done', 'running', 'failed', 'total']) {
    const n = o[k];
    Private.number(n, `${path}.${k}`);
    if (n < 0) {
      throw new ValidationError(`${path}.${k} must not be negative`);
    }
  }
}

/** Whether `x` is a valid `cell:progress` payload. */
export function isCellProgress(x: unknown): x is ICellProgress {
  try {
    assertCellProgress(x);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads `metadata.sparkgate` of a notebook: returns only `{ profile, sizing }` with known numeric
 * fields and a GPU type, or `null` if absent or malformed. Anything else stored there is dropped.
 * A shape written before GPU types (issue 18) has none and still loads.
 */
export function parseSharedShape(x: unknown): ISharedShape | null {
  try {
    const o = Private.record(x, 'sparkgate');
    Private.string(o.profile, 'sparkgate.profile');
    assertSizing(o.sizing, 'sparkgate.sizing');
    return { profile: o.profile, sizing: toSharedSizing(o.sizing) };
  } catch {
    return null;
  }
}

/**
 * A copy of `sizing` with only the fields a relaunch elsewhere needs, for notebook metadata:
 * cores, memory, GPUs, executor count or min/max, and the GPU type picked. An allow-list: shapes
 * are shared with other users (other tenants), so nothing else may ride along — not ids,
 * namespaces or tokens, nor the profile's `memoryOverheadMiB` (a cluster's sizing carries it; the
 * next profile sets its own), secrets, volumes or claim names.
 */
export function toSharedSizing(sizing: ISizing): ISizing {
  const { cores, memoryMiB, gpus } = sizing.executors;
  const executors: ISizing['executors'] =
    sizing.executors.count !== undefined
      ? { count: sizing.executors.count, cores, memoryMiB, gpus }
      : { min: sizing.executors.min ?? 0, max: sizing.executors.max ?? sizing.executors.min ?? 0, cores, memoryMiB, gpus };
  const driver: ISizing['driver'] = { cores: sizing.driver.cores, memoryMiB: sizing.driver.memoryMiB, gpus: sizing.driver.gpus };
  for (const [shared, jvm] of [
    [driver, sizing.driver],
    [executors, sizing.executors]
  ] as const) {
    if (typeof jvm.gpuType === 'string') {
      shared.gpuType = jvm.gpuType;
    }
  }
  return { driver, executors };
}

namespace Private {
  export function record(x: unknown, path: string): Record<string, unknown> {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) {
      throw new ValidationError(`${path} must be an object`);
    }
    return x as Record<string, unknown>;
  }

  export function string(x: unknown, path: string): asserts x is string {
    if (typeof x !== 'string') {
      throw new ValidationError(`${path} must be a string`);
    }
  }

  export function number(x: unknown, path: string): asserts x is number {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new ValidationError(`${path} must be a finite number`);
    }
  }

  /** A finite number not below zero (a count or an amount of a resource). */
  export function count(x: unknown, path: string): asserts x is number {
    number(x, path);
    if (x < 0) {
      throw new ValidationError(`${path} must not be negative`);
    }
  }

  export function boolean(x: unknown, path: string): asserts x is boolean {
    if (typeof x !== 'boolean') {
      throw new ValidationError(`${path} must be a boolean`);
    }
  }

  export function oneOf(x: unknown, values: readonly string[], path: string): void {
    if (typeof x !== 'string' || !values.includes(x)) {
      throw new ValidationError(`${path} must be one of ${values.join(', ')}`);
    }
  }

  /** A node label value (`nvidia.com/gpu.product`), as the gateway's config accepts for a GPU type. */
  const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

  export function gpuType(x: unknown, path: string): asserts x is string {
    if (typeof x !== 'string' || x.length > 63 || !LABEL_VALUE.test(x)) {
      throw new ValidationError(`${path} must be a GPU type (a node label value)`);
    }
  }

  export const DRIVER_OPTION_FIELDS: readonly string[] = ['cores', 'memoryMiB', 'gpus'];
  export const EXECUTOR_OPTION_FIELDS: readonly string[] = ['count', 'min', 'max', 'cores', 'memoryMiB', 'gpus'];

  export function numberOption(x: unknown, path: string): asserts x is NumberOption {
    const o = record(x, path);
    if (o.choices !== undefined) {
      if (!Array.isArray(o.choices) || o.choices.length === 0) {
        throw new ValidationError(`${path}.choices must be a non-empty array`);
      }
      o.choices.forEach((c: unknown, i) => number(c, `${path}.choices[${i}]`));
      return;
    }
    for (const k of ['min', 'max']) {
      if (o[k] !== null) {
        number(o[k], `${path}.${k}`);
      }
    }
  }

  export function textOption(x: unknown, path: string): asserts x is TextOption {
    const o = record(x, path);
    if (!Array.isArray(o.choices) || o.choices.length === 0) {
      throw new ValidationError(`${path}.choices must be a non-empty array`);
    }
    o.choices.forEach((c: unknown, i) => gpuType(c, `${path}.choices[${i}]`));
  }

  export const JOB_STATUSES: readonly ICellJob['status'][] = ['running', 'succeeded', 'failed', 'unknown'];
  export const STAGE_STATUSES: readonly ICellStage['status'][] = ['pending', 'active', 'complete', 'failed', 'skipped'];
}
