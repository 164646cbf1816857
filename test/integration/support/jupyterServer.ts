/** A real jupyter_server in gateway mode, pointed at a test gateway (what `jupyter lab --gateway-url` runs). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../../../server/src/backends/local/ports.js';
import { startJupyterProcess } from '../../support/jupyterProcess.js';
import { python } from './gateway.js';

export interface JupyterServer {
  url: string;
  wsUrl: string;
  token: string;
  rootDir: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** `-m jupyter_server` on 127.0.0.1:`port` only, serving `rootDir`, with a fixed token. */
export function jupyterServerArgs(port: number, rootDir: string, token: string): string[] {
  return [
    '-m', 'jupyter_server',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${port}`,
    '--ServerApp.port_retries=0',
    '--ServerApp.open_browser=False',
    `--ServerApp.root_dir=${rootDir}`,
    `--IdentityProvider.token=${token}`,
    // CI machines run tests as root; jupyter_server refuses that unless told.
    ...(process.getuid?.() === 0 ? ['--allow-root'] : [])
  ];
}

export async function startJupyterServer(gateway: { url: string; token: string }, options: { rootDir?: string } = {}): Promise<JupyterServer> {
  const [port] = await freePorts(1);
  const rootDir = options.rootDir ?? (await mkdtemp(path.join(tmpdir(), 'sparkgate-js-')));
  const token = 'jupyter-test-token';
  const removeRootDir = async (): Promise<void> => {
    if (!options.rootDir) {
      await rm(rootDir, { recursive: true, force: true });
    }
  };
  const server = await startJupyterProcess({
    name: 'jupyter_server',
    python,
    args: [
      ...jupyterServerArgs(port!, rootDir, token),
      `--gateway-url=${gateway.url}`,
      `--GatewayClient.auth_token=${gateway.token}`,
      '--GatewayClient.request_timeout=120'
    ],
    env: { ...process.env, JUPYTER_CONFIG_DIR: path.join(rootDir, '.jupyter-config'), JUPYTER_RUNTIME_DIR: path.join(rootDir, '.jupyter-runtime') },
    port: port!,
    token,
    readyPath: '/api/status',
    readyTimeoutMs: 60_000
  }).catch(async (error: unknown) => {
    await removeRootDir();
    throw error;
  });
  return {
    ...server,
    token,
    rootDir,
    stop: async () => {
      await server.stop();
      await removeRootDir();
    }
  };
}
