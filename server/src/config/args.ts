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

Environment: SPARKGATE_TOKEN (single-user token), SPARKGATE_PYTHON (python that runs local kernels).`;

/** Parses argv (without node and script) into flags; rejects unknown flags with a clear message. */
export function parseArgs(argv: readonly string[]): CliFlags {
  const flags: CliFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      flags.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) {
      throw new ConfigError(`${name} needs a value\n${USAGE}`);
    }
    switch (name) {
      case '--host':
        flags.host = value;
        break;
      case '--port': {
        const port = Number(value);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new ConfigError(`--port must be an integer between 0 and 65535 (got ${value})`);
        }
        flags.port = port;
        break;
      }
      case '--backend':
        flags.backend = value;
        break;
      case '--config':
        flags.config = value;
        break;
      default:
        throw new ConfigError(`unknown option ${name}\n${USAGE}`);
    }
  }
  return flags;
}
