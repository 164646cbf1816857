import { InputError, NotFoundError } from '../../errors.js';

const KERNEL_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ENV_NAME_RE = /^KERNEL_[A-Z0-9_]{1,64}$/;
const MAX_ENV_VALUE = 4096;
const MAX_ENV_ENTRIES = 64;

/** Kernel ids are UUIDs; anything else cannot name a kernel. */
export function assertKernelId(id: string): void {
  if (!KERNEL_ID_RE.test(id)) {
    throw new NotFoundError(`kernel ${JSON.stringify(id.slice(0, 64))} does not exist (kernel ids are UUIDs)`);
  }
}

/** The validated body of `POST /api/kernels`. */
export interface StartKernelBody {
  name?: string;
  env: Record<string, string>;
}

/**
 * Validates `POST /api/kernels`. Only `KERNEL_*` variables are kept (as jupyter_server's
 * GatewayClient sends them); values must be plain strings without control characters.
 */
export function parseStartKernelBody(body: unknown): StartKernelBody {
  if (body === undefined || body === null) {
    return { env: {} };
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new InputError('request body must be a JSON object like {"name": "pyspark"}');
  }
  const { name, env } = body as { name?: unknown; env?: unknown };
  if (name !== undefined && name !== null && (typeof name !== 'string' || name.length === 0 || name.length > 256)) {
    throw new InputError('"name" must be a kernel spec name (a non-empty string)');
  }
  const result: StartKernelBody = { env: parseEnv(env) };
  if (typeof name === 'string') {
    result.name = name;
  }
  return result;
}

function parseEnv(env: unknown): Record<string, string> {
  if (env === undefined || env === null) {
    return {};
  }
  if (typeof env !== 'object' || Array.isArray(env)) {
    throw new InputError('"env" must be an object of string values');
  }
  const entries = Object.entries(env as Record<string, unknown>);
  if (entries.length > 256) {
    throw new InputError(`"env" has ${entries.length} entries; at most 256 are accepted`);
  }
  const kept: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (!ENV_NAME_RE.test(key)) {
      continue; // only KERNEL_* reaches kernels, like Enterprise Gateway
    }
    if (typeof value !== 'string') {
      throw new InputError(`env.${key} must be a string`);
    }
    if (value.length > MAX_ENV_VALUE || /[\0\r\n]/.test(value)) {
      throw new InputError(`env.${key} must be at most ${MAX_ENV_VALUE} characters without NUL or line breaks`);
    }
    kept[key] = value;
    if (Object.keys(kept).length > MAX_ENV_ENTRIES) {
      throw new InputError(`env: at most ${MAX_ENV_ENTRIES} KERNEL_* variables are accepted`);
    }
  }
  return kept;
}
