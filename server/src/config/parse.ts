/**
 * zod building blocks for the config file (`config/schema.ts`). Each refusal says what the value
 * must be; `describeIssue` puts the key path in front (`limits.maxBodyBytes must be …`), so every
 * message names its setting. A message that starts with ':' reads as `path: message`.
 */
import { z } from 'zod';

/** A value as the config file's author wrote it, for "(got …)". */
function got(x: unknown): string {
  return x === undefined ? 'nothing' : JSON.stringify(x);
}

export function str() {
  return z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' });
}

/** A boolean; YAML's `yes`, `"true"` or `1` are refused, not read as false. */
export function bool() {
  return z.boolean({ error: iss => `must be true or false (got ${got(iss.input)})` });
}

export function int(min = 0, max = Number.MAX_SAFE_INTEGER) {
  const error = (iss: { input?: unknown }): string =>
    max === Number.MAX_SAFE_INTEGER
      ? `must be an integer ≥ ${min} (got ${got(iss.input)})`
      : `must be an integer between ${min} and ${max} (got ${got(iss.input)})`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

export function num(min = 0) {
  const error = (iss: { input?: unknown }): string => `must be a number ≥ ${min} (got ${got(iss.input)})`;
  return z.number({ error }).min(min, { error });
}

/** One of `values`, e.g. `must be one of Always, IfNotPresent, Never (got 'Sometimes')`. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, wording = `one of ${values.join(', ')}`) {
  return z.enum(values, { error: iss => `must be ${wording} (got ${typeof iss.input === 'string' ? `'${iss.input}'` : got(iss.input)})` });
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
 * A memory size, parsed into MiB: a bare number is MiB; `4g`, `4Gi`, `512m`, `512Mi` as Spark and
 * Kubernetes users write them.
 */
export function memory() {
  return z.unknown().transform((x, ctx): number => {
    if (typeof x === 'number' && Number.isInteger(x) && x >= 0) {
      return x;
    }
    const match = typeof x === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(x) : null;
    const unit = match ? MEMORY_UNITS_MIB[(match[2] ?? '').toLowerCase()] : undefined;
    if (!match || unit === undefined) {
      ctx.issues.push({ code: 'custom', input: x, message: `must be a memory size like 4g, 4096m or 4Gi (got ${got(x)})` });
      return z.NEVER;
    }
    return Math.round(Number(match[1]) * unit);
  });
}

/** A mapping with exactly these keys: a typo is an error that lists the allowed keys. */
export function section<S extends z.ZodRawShape>(shape: S) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: iss => (iss.code === 'unrecognized_keys' ? `allowed: ${allowed}` : 'must be a mapping')
  });
}

/** A mapping of names the author chooses (profiles, tenants, labels). */
export function mapOf<K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V) {
  return z.record(key, value, { error: 'must be a mapping' });
}

/** An absent or empty (`key:` in YAML, i.e. null) mapping is an empty one, so its defaults apply. */
export function orEmpty<T extends z.ZodType>(schema: T) {
  return z.preprocess(x => x ?? {}, schema);
}

/** `users[0].name`, `profiles.gpu.driver.memory`; '' for the document itself. */
export function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`),
    ''
  );
}

/** One issue as the one line an operator reads, naming the setting. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map(key => pathOf([...issue.path, key])).join(', ');
    return `config: ${keys}: unknown key${issue.keys.length > 1 ? 's' : ''}; ${issue.message}`;
  }
  // A bad name in a mapping of names: the key's own schema said what is wrong with it.
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  const path = pathOf(issue.path);
  if (path === '') {
    return `config ${message}`;
  }
  return message.startsWith(':') ? `${path}${message}` : `${path} ${message}`;
}
