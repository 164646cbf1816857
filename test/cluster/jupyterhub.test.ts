/**
 * sparkgate as a JupyterHub service on the test cluster (issue 14, item 2): the same real Hub as
 * test/integration/jupyterhub.test.ts (two users in two groups mapped to two tenants, each one's
 * single-user server in gateway mode with its own Hub token), but the gateway runs the Kubernetes
 * backend, so each user's PySpark kernel is a driver pod and lands in their tenant's namespace
 * (Pod Security restricted, applied from the chart-made manifests); each is refused the other's
 * kernel, and a shutdown through the single-user server leaves no pod behind.
 *
 * Sizing (CI on 2 cores): PySpark in a driver-only pod (executors: 0, Spark's local mode in the
 * driver), the cheapest kernel that runs a real Spark job; executor pods are covered by
 * kernels.test.ts and notebook.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { api } from '../integration/support/gateway.js';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { pickHubPorts, startJupyterHub, type HubUserToken, type JupyterHubProcess } from '../support/jupyterhubProcess.js';
import { waitUntil } from '../support/waitFor.js';
import { KUBERNETES_SECTION, startK8sGateway, type K8sGateway } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const KERNEL_ID = 'sparkgate.io/kernel-id';
/** A PySpark driver's first job on a loaded 2-core machine (about 20 s when two start at once). */
const CELL_TIMEOUT_MS = 120_000;
const USERS = {
  alice: { group: 'hub-team-a', tenant: 'team-a', namespace: 'tenant-team-a' },
  bob: { group: 'hub-team-b', tenant: 'team-b', namespace: 'tenant-team-b' }
} as const;
type User = keyof typeof USERS;
const NAMES = Object.keys(USERS) as User[];
const OTHER: Record<User, User> = { alice: 'bob', bob: 'alice' };

const config = (hubApiUrl: string): string => `
tenants:
${NAMES.map(u => `  ${USERS[u].tenant}: { namespace: ${USERS[u].namespace}, limits: { cores: 4, memory: 8g } }`).join('\n')}
profiles:
  pyspark:
    displayName: PySpark, driver only
    driver: { cores: 0.5, memory: 768m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
kernels: { startTimeoutSeconds: 240, shutdownGraceSeconds: 2 }
jupyterhub:
  apiUrl: ${hubApiUrl}
  cacheSeconds: 30
  groups: { ${NAMES.map(u => `${USERS[u].group}: ${USERS[u].tenant}`).join(', ')} }
${KUBERNETES_SECTION}`;

describe('cluster/jupyterhub', () => {
  let hub: JupyterHubProcess | undefined;
  let gw: K8sGateway | undefined;
  const tokens = {} as Record<User, HubUserToken>;
  const kernels = {} as Record<User, string>;
  // Declared before useCluster's hooks, so it runs first: the Hub and the gateway stop before the cluster.
  afterAll(async () => {
    await hub?.stop();
    await gw?.stop();
  }, 120_000);
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }], sparkgateImages: true });

  /** `user`'s single-user server, through the Hub's proxy, as their browser reaches it. */
  const server = (user: User) => ({ url: `${hub!.url}/user/${user}`, token: tokens[user].token });
  const direct = (user: User) => ({ url: gw!.url, token: tokens[user].token });
  /** Every pod of a kernel, in whatever namespace, read through the API by its kernel-id label. */
  const podsOf = async (kernelId: string): Promise<V1Pod[]> => (await k8s.core.listPodForAllNamespaces({ labelSelector: `${KERNEL_ID}=${kernelId}` })).items;

  /** The end of each of a kernel's pod logs (the node agent's files), to show why a cell failed. */
  const podLogs = async (kernelId: string): Promise<string> => {
    const logs = await Promise.all(
      (await podsOf(kernelId)).map(async p => {
        const { namespace = '', name = '' } = p.metadata ?? {};
        const container = p.spec?.containers[0]?.name ?? '';
        const text = await readFile(k8s.cluster.agent.logFile(namespace, name, container), 'utf8').catch(() => '');
        return `--- ${name}/${container}\n${text.split('\n').slice(-30).join('\n')}`;
      })
    );
    return logs.join('\n');
  };

  beforeAll(async () => {
    const ports = await pickHubPorts();
    const tenants = Object.fromEntries(NAMES.map(u => [USERS[u].namespace, {}]));
    gw = await startK8sGateway(k8s.cluster, config(ports.apiUrl), tenants);
    hub = await startJupyterHub({
      ports,
      groups: Object.fromEntries(NAMES.map(u => [USERS[u].group, [u]])),
      service: 'sparkgate',
      userScopes: ['access:services!service=sparkgate'],
      serverTokenScopes: ['users:activity!user', 'access:servers!server', 'access:services!service=sparkgate'],
      spawnerEnvironment: {
        JUPYTER_GATEWAY_URL: JSON.stringify(gw.url),
        // A driver pod's launch on a loaded machine: well past jupyter_server's default 42 s.
        JUPYTER_GATEWAY_REQUEST_TIMEOUT: '"240"',
        // The server's own Hub token, as z2jh's singleuser.extraEnv "$(JUPYTERHUB_API_TOKEN)" gives it.
        JUPYTER_GATEWAY_AUTH_TOKEN: 'lambda spawner: spawner.api_token'
      }
    });
    for (const user of NAMES) {
      tokens[user] = await hub.newToken(user);
    }
    await Promise.all(NAMES.map(user => hub!.startServer(user)));
  }, 240_000);

  it("should run a PySpark cell in each user's own driver pod through their own single-user server", async () => {
    // Both at once, as two people would: the launches overlap on the cluster.
    const runs = await Promise.all(
      NAMES.map(async user => {
        const created = await api(server(user), 'POST', '/api/kernels', { name: 'pyspark' });
        if (created.status !== 201) {
          return { user, created: created.status, run: created.body };
        }
        const id = (created.body as { id: string }).id;
        kernels[user] = id;
        const ws = await KernelSocket.open(server(user).url.replace(/^http/, 'ws'), id, server(user).token);
        try {
          const run = await ws.execute('spark.range(10).count()', CELL_TIMEOUT_MS);
          return { user, created: created.status, run: [run.error, run.result] };
        } catch (error) {
          return { user, created: created.status, run: [String(error), await podLogs(id)] };
        } finally {
          ws.close();
        }
      })
    );
    expect(runs).toEqual(NAMES.map(user => ({ user, created: 201, run: [undefined, '10'] })));
  }, 300_000);

  it("should put each kernel's driver pod, and only it, in its user's tenant namespace", async () => {
    for (const user of NAMES) {
      const pods = await podsOf(kernels[user]);
      expect(
        pods.map(p => ({
          namespace: p.metadata?.namespace,
          component: p.metadata?.labels?.['app.kubernetes.io/component'],
          user: p.metadata?.annotations?.['sparkgate.io/user'],
          tenant: p.metadata?.annotations?.['sparkgate.io/tenant'],
          phase: p.status?.phase
        }))
      ).toEqual([{ namespace: USERS[user].namespace, component: 'driver', user, tenant: USERS[user].tenant, phase: 'Running' }]);
    }
  });

  it("should refuse each user the other's kernel through the gateway", async () => {
    for (const user of NAMES) {
      const theirs = kernels[OTHER[user]];
      const { status, body } = await api(direct(user), 'GET', `/api/kernels/${theirs}`);
      expect([status, body]).toEqual([404, { reason: 'NotFound', message: `kernel ${theirs} does not exist` }]);
      expect((await api(direct(user), 'DELETE', `/api/kernels/${theirs}`)).status).toBe(404);
      await expect(KernelSocket.open(gw!.wsUrl, theirs, direct(user).token)).rejects.toMatchObject({ status: 404 });
      // Their own single-user server (which asks the gateway with their token) neither shows nor
      // reaches it, and lists only their own kernel; the other one's pod is untouched.
      expect((await api(server(user), 'GET', `/api/kernels/${theirs}`)).status).toBe(404);
      const listed = (await api(server(user), 'GET', '/api/kernels')).body as { id: string }[];
      expect(listed.map(k => k.id)).toEqual([kernels[user]]);
      expect((await podsOf(theirs)).map(p => p.status?.phase)).toEqual(['Running']);
    }
  });

  it('should delete the pods of a kernel shut down through the single-user server', async () => {
    for (const user of NAMES) {
      expect((await api(server(user), 'DELETE', `/api/kernels/${kernels[user]}`)).status).toBe(204);
    }
    for (const user of NAMES) {
      await waitUntil(async () => (await podsOf(kernels[user])).length === 0, { timeoutMs: 60_000, intervalMs: 250, what: `${user}'s kernel pods to be gone` });
      expect((await api(direct(user), 'GET', '/api/kernels')).body).toEqual([]);
    }
  });
});
