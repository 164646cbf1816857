/**
 * A real jupyter_server *not* in gateway mode, running its own local ipykernel kernels (the
 * `.venv` python3 kernelspec): the reference for what a Jupyter kernel websocket sends.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../../../server/src/backends/local/ports.js';
import { startJupyterProcess } from '../../support/jupyterProcess.js';
import { jupyterServerArgs, type JupyterServer } from './jupyterServer.js';
import { python } from './gateway.js';

export type ReferenceServer = Omit<JupyterServer, 'rootDir'>;

export async function startReferenceServer(): Promise<ReferenceServer> {
  const [port] = await freePorts(1);
  const dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-ref-'));
  const token = 'reference-test-token';
  const server = await startJupyterProcess({
    name: 'jupyter_server',
    python,
    args: jupyterServerArgs(port!, dir, token),
    // The kernel's cwd is root_dir; its Python is the one on PATH first (the kernelspec says `python`).
    env: {
      ...process.env,
      PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`,
      JUPYTER_CONFIG_DIR: path.join(dir, '.jupyter-config'),
      JUPYTER_RUNTIME_DIR: path.join(dir, '.jupyter-runtime')
    },
    port: port!,
    token,
    readyPath: '/api/status',
    readyTimeoutMs: 60_000
  }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    ...server,
    token,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  };
}
