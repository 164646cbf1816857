import { InvalidMessageError } from './errors.js';
import type { MessageHeader } from './messages.js';

/** A JSON object (not null, not an array). */
export type JsonObject = Record<string, unknown>;

/** Whether `value` is a JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Asserts that `value` is a JSON object; `where` names the message and `part` the field in the
 * error ("websocket message: content must be a JSON object").
 */
export function assertJsonObject(value: unknown, where: string, part: string): asserts value is JsonObject {
  if (!isJsonObject(value)) {
    throw new InvalidMessageError(`${where}: ${part} must be a JSON object, got ${describe(value)}`);
  }
}

/**
 * Asserts that `value` is a complete message header: `msg_id` and `msg_type` non-empty strings;
 * `session`, `username`, `date` and `version` strings; `subshell_id` a string or null if present.
 * Callers fill optional fields first (see `withHeaderDefaults`).
 */
export function assertHeader(value: unknown, where: string): asserts value is MessageHeader {
  assertJsonObject(value, where, 'header');
  for (const field of ['msg_id', 'msg_type'] as const) {
    const v = value[field];
    if (typeof v !== 'string' || v.length === 0) {
      throw new InvalidMessageError(`${where}: header.${field} must be a non-empty string, got ${describe(v)}`);
    }
  }
  for (const field of ['session', 'username', 'date', 'version'] as const) {
    if (typeof value[field] !== 'string') {
      throw new InvalidMessageError(`${where}: header.${field} must be a string, got ${describe(value[field])}`);
    }
  }
  const subshell = value['subshell_id'];
  if (subshell !== undefined && subshell !== null && typeof subshell !== 'string') {
    throw new InvalidMessageError(`${where}: header.subshell_id must be a string or null, got ${describe(subshell)}`);
  }
}

/** Optional header fields a lenient peer may omit, and what to put there instead. */
export interface HeaderDefaults {
  username: string;
  date: string;
  version: string;
}

/**
 * A copy of `header` with missing (undefined) `username`, `date` and `version` filled in. Present
 * values are kept as they are, so a wrong type is still reported by `assertHeader`.
 */
export function withHeaderDefaults(header: JsonObject, defaults: HeaderDefaults): JsonObject {
  return {
    ...header,
    username: header['username'] ?? defaults.username,
    date: isoDate(header['date']) ?? defaults.date,
    version: header['version'] ?? defaults.version
  };
}

/**
 * The header's date as the messaging spec has it (ISO 8601). jupyter_server 2.21's
 * GatewayKernelClient sends `datetime.timestamp()`, seconds since the epoch, as a number; such a
 * date is turned into the string the kernel expects rather than refused.
 */
function isoDate(value: unknown): unknown {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const date = new Date(value * 1000);
    return Number.isNaN(date.getTime()) ? value : date.toISOString();
  }
  return value;
}

/** A short description of a value's JSON type for error messages (never the value: it may be large). */
export function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (value === '') {
    return 'an empty string';
  }
  return typeof value === 'object' ? 'an object' : typeof value;
}
