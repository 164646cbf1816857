/**
 * A real JupyterHub on 127.0.0.1 for tests: PyPI `jupyterhub` from the project's venv,
 * configurable-http-proxy from node_modules, the dummy authenticator, and
 * `SimpleLocalProcessSpawner` (no system users: each Hub user gets a home folder in a temp dir,
 * which also works as root). An admin service token drives it through the Hub's REST API.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../server/src/backends/local/ports.js';
import { startJupyterProcess } from './jupyterProcess.js';
import { waitUntil } from './waitFor.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const venvBin = path.join(repoRoot, '.venv', 'bin');

/** The Hub's ports, picked before it starts so that a gateway can be configured with its API URL first. */
export interface HubPorts {
  proxy: number;
  hub: number;
  proxyApi: number;
  /** http://127.0.0.1:<hub>/hub/api */
  apiUrl: string;
}

export async function pickHubPorts(): Promise<HubPorts> {
  const [proxy, hub, proxyApi] = (await freePorts(3)) as [number, number, number];
  return { proxy, hub, proxyApi, apiUrl: `http://127.0.0.1:${hub}/hub/api` };
}

export interface JupyterHubOptions {
  ports: HubPorts;
  /** Hub groups and their members (users are created with them). */
  groups: Record<string, string[]>;
  /** Users in no group. */
  users?: string[];
  /** A service registered without a URL (nothing is proxied to it), e.g. sparkgate. */
  service: string;
  /** Scopes every user holds besides `self` (the `user` role). */
  userScopes: string[];
  /** Scopes of the `JUPYTERHUB_API_TOKEN` each single-user server is given (`Spawner.server_token_scopes`). */
  serverTokenScopes: string[];
  /**
   * `c.Spawner.environment` entries as Python expressions (a callable receives the spawner), e.g.
   * `{ JUPYTER_GATEWAY_URL: '"http://…"' }`.
   */
  spawnerEnvironment: Record<string, string>;
}

export interface HubUserToken {
  id: string;
  token: string;
}

export interface JupyterHubProcess {
  /** The proxy's public URL: http://127.0.0.1:<port> (`/hub/`, `/user/<name>/`). */
  url: string;
  /** The Hub's REST API as services reach it: http://127.0.0.1:<port>/hub/api */
  apiUrl: string;
  /** The admin service's token (users, groups, tokens, servers). */
  adminToken: string;
  /** The registered service's own API token. */
  serviceToken: string;
  /** The Hub's REST API with the admin token (or `token`). */
  api(method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }>;
  /** A new API token owned by `user` (with the user's own permissions unless `scopes`). */
  newToken(user: string, scopes?: string[]): Promise<HubUserToken>;
  /** Starts `user`'s single-user server and resolves once the Hub says it is ready. */
  startServer(user: string): Promise<void>;
  output(): string;
  /** Stops the users' servers, then the Hub (which stops the proxy). Idempotent. */
  stop(): Promise<void>;
}

const py = (s: string): string => JSON.stringify(s);

export async function startJupyterHub(options: JupyterHubOptions): Promise<JupyterHubProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-hub-'));
  const { proxy: proxyPort, hub: hubPort, proxyApi: proxyApiPort, apiUrl } = options.ports;
  const adminToken = randomBytes(24).toString('hex');
  const serviceToken = randomBytes(24).toString('hex');
  const url = `http://127.0.0.1:${proxyPort}`;
  const chp = path.join(repoRoot, 'node_modules', 'configurable-http-proxy', 'bin', 'configurable-http-proxy');
  const environment = Object.entries(options.spawnerEnvironment)
    .map(([k, v]) => `    ${py(k)}: ${v},`)
    .join('\n');
  const loadGroups = Object.entries(options.groups)
    .map(([group, users]) => `    ${py(group)}: {"users": ${JSON.stringify(users)}},`)
    .join('\n');
  const config = `
c = get_config()  # noqa
c.JupyterHub.bind_url = ${py(`${url}/`)}
c.JupyterHub.hub_bind_url = ${py(`http://127.0.0.1:${hubPort}`)}
c.ConfigurableHTTPProxy.api_url = ${py(`http://127.0.0.1:${proxyApiPort}`)}
c.ConfigurableHTTPProxy.command = [${py(process.execPath)}, ${py(chp)}]
c.JupyterHub.db_url = ${py(`sqlite:///${path.join(dir, 'jupyterhub.sqlite')}`)}
c.JupyterHub.cookie_secret_file = ${py(path.join(dir, 'cookie_secret'))}
c.JupyterHub.pid_file = ${py(path.join(dir, 'jupyterhub.pid'))}
c.ConfigurableHTTPProxy.pid_file = ${py(path.join(dir, 'proxy.pid'))}
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = ${py(path.join(dir, 'home', '{username}'))}
c.Spawner.cmd = [${py(path.join(venvBin, 'jupyterhub-singleuser'))}]
# jupyter_server refuses to run as root unless told (CI runs tests as root).
c.Spawner.args = ${JSON.stringify(process.getuid?.() === 0 ? ['--allow-root'] : [])}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.server_token_scopes = ${JSON.stringify(options.serverTokenScopes)}
c.Spawner.environment = {
${environment}
}
c.JupyterHub.services = [
    {"name": ${py(options.service)}, "api_token": ${py(serviceToken)}},
    {"name": "test-admin", "api_token": ${py(adminToken)}},
]
c.JupyterHub.load_roles = [
    {"name": "user", "scopes": ${JSON.stringify(['self', ...options.userScopes])}},
    {"name": "test-admin", "scopes": ["admin:users", "admin:groups", "admin:servers", "tokens", "servers"], "services": ["test-admin"]},
]
c.JupyterHub.load_groups = {
${loadGroups}
}
c.Authenticator.allowed_users = ${JSON.stringify([...Object.values(options.groups).flat(), ...(options.users ?? [])])}
`;
  await writeFile(path.join(dir, 'jupyterhub_config.py'), config, { mode: 0o600 });

  const hub = await startJupyterProcess({
    name: 'jupyterhub',
    python: path.join(venvBin, 'python'),
    args: ['-m', 'jupyterhub', '-f', path.join(dir, 'jupyterhub_config.py')],
    cwd: dir,
    env: { PATH: `${venvBin}:${process.env.PATH ?? ''}`, HOME: dir, LANG: process.env.LANG ?? 'C.UTF-8', ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}) },
    port: proxyPort,
    token: adminToken,
    // Through the proxy: ready once both the proxy and the Hub answer.
    readyPath: '/hub/api/',
    readyTimeoutMs: 60_000
  }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });

  const api = async (method: string, route: string, body?: unknown, token = adminToken): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${apiUrl}${route}`, {
      method,
      headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
  const started = new Set<string>();
  let stopped = false;
  return {
    url,
    apiUrl,
    adminToken,
    serviceToken,
    api,
    output: hub.output,
    newToken: async (user, scopes) => {
      const { status, body } = await api('POST', `/users/${user}/tokens`, { note: 'sparkgate test', ...(scopes ? { scopes } : {}) });
      if (status !== 201) {
        throw new Error(`creating a token for ${user}: ${status} ${JSON.stringify(body)}`);
      }
      return body as HubUserToken;
    },
    startServer: async user => {
      const { status, body } = await api('POST', `/users/${user}/server`);
      if (status !== 201 && status !== 202) {
        throw new Error(`starting ${user}'s server: ${status} ${JSON.stringify(body)}\n${hub.output().slice(-3000)}`);
      }
      started.add(user);
      await waitUntil(
        async () => {
          const model = (await api('GET', `/users/${user}`)).body as { servers?: Record<string, { ready?: boolean }> };
          return model.servers?.['']?.ready === true;
        },
        { timeoutMs: 120_000, intervalMs: 250, what: `${user}'s single-user server to be ready` }
      );
    },
    stop: async () => {
      if (stopped) {
        return;
      }
      stopped = true;
      // The spawner starts servers in their own sessions: stop them through the Hub, not by signal.
      for (const user of started) {
        await api('DELETE', `/users/${user}/server`).catch(() => undefined);
      }
      await waitUntil(
        async () => {
          const models = await Promise.all([...started].map(async u => (await api('GET', `/users/${u}`)).body as { servers?: object }));
          return models.every(m => Object.keys(m.servers ?? {}).length === 0);
        },
        { timeoutMs: 30_000, intervalMs: 250, what: 'the single-user servers to stop' }
      ).catch(() => undefined);
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    }
  };
}
