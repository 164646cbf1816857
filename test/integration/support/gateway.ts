/** Starts a real gateway in-process on 127.0.0.1:0 with the real local backend and zmq channels. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalBackend } from '../../../server/src/backends/local/backend.js';
import { loadConfig } from '../../../server/src/config/load.js';
import { createGateway, type Gateway } from '../../../server/src/gateway.js';
import { createZmqChannels } from '../../../server/src/channels/zmqChannels.js';
import { createLogger } from '../../../server/src/log.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const python = process.env.SPARKGATE_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python');

export interface TestGateway {
  gateway: Gateway;
  /** http://127.0.0.1:<port> */
  url: string;
  /** ws://127.0.0.1:<port> */
  wsUrl: string;
  token: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** YAML config file contents (multi-user setups). */
  yaml?: string;
  /** Single-user token (default: a fixed test token). */
  token?: string;
}

export async function startGateway(options: StartOptions = {}): Promise<TestGateway> {
  const token = options.token ?? 'test-token-0123456789';
  const config = loadConfig({
    flags: { host: '127.0.0.1', port: 0, ...(options.yaml ? { config: 'test.yaml' } : {}) },
    env: { SPARKGATE_TOKEN: token, SPARKGATE_PYTHON: python },
    readFile: () => options.yaml ?? '',
    defaults: {
      python,
      launcher: process.env.SPARKGATE_TEST_LAUNCHER ?? path.join(repoRoot, 'images', 'kernel', 'sparkgate_launcher.py'),
      workingDir: repoRoot
    }
  });
  const logger = createLogger({ level: process.env.SPARKGATE_TEST_LOG ? 'debug' : 'silent' });
  const gateway = createGateway({
    config,
    backend: new LocalBackend({
      ...config.local,
      baseEnv: pick(process.env, ['PATH', 'HOME', 'LANG', 'JAVA_HOME', 'TMPDIR']),
      logger
    }),
    channels: createZmqChannels,
    logger,
    version: 'test'
  });
  const address = await gateway.listen();
  const url = `http://127.0.0.1:${address.port}`;
  return { gateway, url, wsUrl: url.replace(/^http/, 'ws'), token, stop: () => gateway.stop() };
}

/** fetch with the token header; JSON in, JSON out. */
export async function api(
  gw: Pick<TestGateway, 'url' | 'token'>,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(gw.url + route, {
    method,
    headers: { Authorization: `token ${gw.token}`, 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) })
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

function pick(env: NodeJS.ProcessEnv, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap(k => (env[k] ? [[k, env[k] as string]] : [])));
}
