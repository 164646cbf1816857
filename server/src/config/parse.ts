/** Small assertion helpers for parsing the YAML config; every error names the offending path. */
import { ConfigError } from './errors.js';

export type Obj = Record<string, unknown>;

export function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function obj(x: unknown, path: string): Obj {
  if (x === undefined || x === null) {
    return {};
  }
  if (!isObj(x)) {
    throw new ConfigError(`${path} must be a mapping`);
  }
  return x;
}

export function str(x: unknown, path: string, fallback?: string): string {
  if (x === undefined && fallback !== undefined) {
    return fallback;
  }
  if (typeof x !== 'string' || x.length === 0) {
    throw new ConfigError(`${path} must be a non-empty string`);
  }
  return x;
}

export function bool(x: unknown, path: string, fallback: boolean): boolean {
  if (x === undefined) {
    return fallback;
  }
  if (typeof x !== 'boolean') {
    throw new ConfigError(`${path} must be true or false (got ${JSON.stringify(x)})`);
  }
  return x;
}

export function int(x: unknown, path: string, fallback: number, min = 0): number {
  if (x === undefined) {
    return fallback;
  }
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min) {
    throw new ConfigError(`${path} must be an integer ≥ ${min} (got ${JSON.stringify(x)})`);
  }
  return x;
}

export function num(x: unknown, path: string, fallback: number, min = 0): number {
  if (x === undefined) {
    return fallback;
  }
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min) {
    throw new ConfigError(`${path} must be a number ≥ ${min} (got ${JSON.stringify(x)})`);
  }
  return x;
}

const MEMORY_UNITS_MIB: Readonly<Record<string, number>> = {
  '': 1,
  m: 1,
  mb: 1,
  mi: 1,
  mib: 1,
  g: 1024,
  gb: 1024,
  gi: 1024,
  gib: 1024,
  t: 1024 * 1024,
  ti: 1024 * 1024
};

/**
 * Parses a memory size into MiB: a bare number is MiB; `4g`, `4Gi`, `512m`, `512Mi` as Spark and
 * Kubernetes users write them.
 */
export function memoryMiB(x: unknown, path: string, fallback: number): number {
  if (x === undefined) {
    return fallback;
  }
  if (typeof x === 'number' && Number.isInteger(x) && x >= 0) {
    return x;
  }
  const match = typeof x === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(x) : null;
  const unit = match ? MEMORY_UNITS_MIB[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new ConfigError(`${path} must be a memory size like 4g, 4096m or 4Gi (got ${JSON.stringify(x)})`);
  }
  return Math.round(Number(match[1]) * unit);
}

export function nullableLimit(x: unknown, path: string, parse: (v: unknown, p: string) => number): number | null {
  return x === undefined || x === null ? null : parse(x, path);
}
