/**
 * One structured logger for the gateway: JSON lines on stderr, a child per component.
 * Never pass tokens or Authorization values in `fields`.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
  /** Fields added to every line. */
  fields?: Record<string, unknown>;
}

/** Creates the root logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = options.fields ?? {};
  const emit = (at: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void => {
    if (RANK[at] < RANK[level]) {
      return;
    }
    write(JSON.stringify({ time: new Date().toISOString(), level: at, message, ...base, ...fields }, errorReplacer));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: fields => createLogger({ level, write, fields: { ...base, ...fields } })
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger({ level: 'silent' });

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? serializeError(value, 0) : value;
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
  return fields;
}
