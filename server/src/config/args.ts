import { parseArgs as parseArgv, type ParseArgsConfig } from 'node:util';
import { ConfigError } from './errors.js';

/** Command-line flags of the `sparkgate` command; flags override the config file. */
export interface CliFlags {
  host?: string;
  port?: number;
  backend?: string;
  config?: string;
  help?: boolean;
}

export const USAGE = `Usage: sparkgate [--host HOST] [--port PORT] [--backend local|kubernetes] [--config FILE]

  --host      address to listen on (default 127.0.0.1)
  --port      port to listen on (default 8889; 0 picks a free port)
  --backend   where kernels run: local processes or Kubernetes pods (default local)
  --config    YAML file with users, tenants, profiles and limits
  -h, --help  this text

Environment: SPARKGATE_TOKEN (single-user token), SPARKGATE_PYTHON (python that runs local kernels),
SPARKGATE_LOG_LEVEL (debug, info, warn, error or silent).`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  backend: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const satisfies ParseArgsConfig['options'];

const KNOWN = '--host, --port, --backend, --config, --help';

/**
 * Parses argv (without node and script) into flags with `node:util`'s strict `parseArgs`: an
 * unknown flag, a missing value or a stray argument is a `ConfigError` of one line.
 */
export function parseArgs(argv: readonly string[]): CliFlags {
  let values: { host?: string; port?: string; backend?: string; config?: string; help?: boolean };
  try {
    ({ values } = parseArgv({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new ConfigError(explain(argv, error));
  }
  const flags: CliFlags = {};
  if (values.help) {
    flags.help = true;
  }
  for (const name of ['host', 'backend', 'config'] as const) {
    const value = values[name];
    if (value !== undefined) {
      flags[name] = value;
    }
  }
  if (values.port !== undefined) {
    const port = values.port.trim() === '' ? NaN : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError(`--port must be an integer between 0 and 65535 (got ${values.port})`);
    }
    flags.port = port;
  }
  return flags;
}

/**
 * `parseArgs` says what is wrong in several lines; this finds the offending argument (the same
 * parse, lenient, with tokens) and says it in one, naming the flags there are.
 */
function explain(argv: readonly string[], error: unknown): string {
  const { tokens } = parseArgv({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      return `unexpected argument '${token.value}'; options: ${KNOWN}`;
    }
    if (token.kind !== 'option') {
      continue;
    }
    const option = (OPTIONS as Record<string, { type: 'string' | 'boolean' } | undefined>)[token.name];
    if (!option) {
      return `unknown option ${token.rawName}; options: ${KNOWN}`;
    }
    if (option.type === 'boolean' && token.value !== undefined) {
      return `${token.rawName} takes no value`;
    }
    if (option.type === 'string' && token.value === undefined) {
      return `${token.rawName} needs a value`;
    }
    if (option.type === 'string' && !token.inlineValue && token.value?.startsWith('-')) {
      return `${token.rawName} needs a value (got the flag-like '${token.value}'; write ${token.rawName}=${token.value} if it is the value)`;
    }
  }
  return (error as Error).message.split('\n')[0] ?? String(error);
}
