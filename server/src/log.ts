/**
 * One structured logger for the gateway: pino JSON lines on stderr, a child per component.
 *
 * #### Notes
 * Call sites keep the small `Logger` interface (`info(message, fields)`) rather than pino's
 * `info(fields, message)`: about thirty modules and their tests use it, and the adapter is where
 * Errors become `{name, message, stack, code, cause}` wherever they sit in the fields. Lines keep
 * the fields the gateway always wrote (`time` ISO, `level` as a word, `message`), so what reads
 * them (tests, `jq` one-liners in the README) works unchanged. Tokens, HMAC keys and Secret data
 * are redacted by pino's `redact` (`REDACT_PATHS` plus `log.redact` from the config); pino
 * cannot look inside strings, so URLs go through `redactUrl` before they are logged.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** What a redacted value is replaced by. */
export const REDACTED = '[redacted]';

/** Field names whose values never reach a log line, wherever they sit in the first three levels of a line's fields. */
const SECRET_FIELDS = ['token', 'authorization', 'Authorization', 'cookie', '["set-cookie"]', 'password', 'key', 'hmacKey', 'signature_key', 'data', 'stringData'];

/**
 * Paths always redacted: tokens, Authorization and Cookie headers (`req.headers.authorization`),
 * a kernel connection's HMAC key (`key` in Jupyter's connection file, `hmacKey`, `signature_key`),
 * a Secret's `data`/`stringData`, passwords; at the top of the fields and up to two objects down.
 */
export const REDACT_PATHS: readonly string[] = SECRET_FIELDS.flatMap(name => {
  const sep = name.startsWith('[') ? '' : '.';
  return [name, `*${sep}${name}`, `*.*${sep}${name}`];
});

/** Query parameters whose values never reach a log line (`token` is how browsers authenticate websockets). */
const SECRET_PARAMS = new Set(['token', 'access_token', 'key', 'password']);

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go (one JSON line per call, no trailing newline); stderr by default. */
  write?: (line: string) => void;
  /** Fields added to every line. */
  fields?: Record<string, unknown>;
  /** Extra paths to redact beside `REDACT_PATHS` (config `log.redact`). A malformed path throws. */
  redact?: readonly string[];
}

/** Creates the root logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write;
  // Synchronous writes: a line logged just before process.exit (crashGuard, a fatal start) is never
  // lost in a buffer, and at this gateway's rate (a line per change, reads at debug) it costs nothing.
  const destination: DestinationStream = write
    ? { write: chunk => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) }
    : level === 'silent'
      ? { write: () => undefined }
      : pino.destination({ dest: 2, sync: true });
  const root = pino(
    {
      level,
      base: null,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: label => ({ level: label }) },
      // Errors are already plain objects (loggable); pino's own `err` serializer would redo them.
      serializers: { err: (value: unknown) => value },
      redact: { paths: [...REDACT_PATHS, ...(options.redact ?? [])], censor: REDACTED }
    },
    destination
  );
  return adapter(root, loggableFields(options.fields ?? {}));
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger({ level: 'silent' });

/**
 * `url` with the values of secret query parameters (`?token=…`) replaced by `[redacted]`, the
 * rest as sent. Names are compared decoded, as the auth middleware reads them (`%74oken` is `token`).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) {
    return url;
  }
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const redacted = query
    .split('&')
    .map(part => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      return SECRET_PARAMS.has(decodeName(name).toLowerCase()) ? `${name}=${REDACTED}` : part;
    })
    .join('&');
  return `${url.slice(0, q + 1)}${redacted}${hash < 0 ? '' : url.slice(hash)}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * Bindings merged here rather than with pino's `child`: a child's field replaces its parent's
 * (`component: 'http'` under `component: 'sparkgate'`) instead of repeating the key in the line,
 * and `message` comes first after `level` and `time`, where people and greps look for it.
 */
function adapter(root: PinoLogger, base: Record<string, unknown>): Logger {
  const emit = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void => {
    if (!root.isLevelEnabled(level)) {
      return;
    }
    root[level]({ message, ...base, ...(fields ? loggableFields(fields) : {}) });
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: fields => adapter(root, { ...base, ...loggableFields(fields) })
  };
}

function loggableFields(fields: Record<string, unknown>): Record<string, unknown> {
  return loggable(fields, 0) as Record<string, unknown>;
}

/** `value` with every Error in it (plain objects and arrays, a few levels down) serialized; the same object when there is none. */
function loggable(value: unknown, depth: number): unknown {
  if (value instanceof Error) {
    return serializeError(value, 0);
  }
  if (typeof value !== 'object' || value === null || depth >= 4) {
    return value;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const out = loggable(item, depth + 1);
      if (out !== item) {
        copy ??= [...value];
        copy[i] = out;
      }
    });
    return copy ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    return value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const out = loggable(item, depth + 1);
    if (out !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = out;
    }
  }
  return copy ?? value;
}

/** An error as a log field: name, message, stack and its cause chain (bounded), so 5xx can be traced. */
function serializeError(error: Error, depth: number): Record<string, unknown> {
  const fields: Record<string, unknown> = { name: error.name, message: error.message };
  if (error.stack) {
    fields.stack = error.stack;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') {
    fields.code = code;
  }
  if (error.cause !== undefined) {
    fields.cause = error.cause instanceof Error && depth < 5 ? serializeError(error.cause, depth + 1) : String(error.cause);
  }
  // fetch to a name with several addresses fails with one AggregateError per address tried.
  if (error instanceof AggregateError && depth < 5) {
    fields.errors = (error.errors as unknown[]).slice(0, 5).map(e => (e instanceof Error ? serializeError(e, depth + 1) : String(e)));
  }
  return fields;
}
