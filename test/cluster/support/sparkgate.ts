/**
 * sparkgate on the test cluster: the images mapped to the very files they hold (images/bin,
 * images/kernel), the deployment manifests applied, and a gateway in this process that talks to
 * the API server as its own least-privilege service account.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { KubernetesBackend } from '../../../server/src/backends/kubernetes/backend.js';
import { loadConfig } from '../../../server/src/config/load.js';
import { createGateway, type Gateway } from '../../../server/src/gateway.js';
import { createZmqChannels } from '../../../server/src/channels/zmqChannels.js';
import { createLogger, type Logger } from '../../../server/src/log.js';
import { holdsWithin, waitUntil } from '../../support/waitFor.js';
import { applyManifests, applyTenant, GATEWAY_MANIFEST, parseManifests, type Cluster, type ClusterOptions } from '../harness/index.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const venv = process.env.SPARKGATE_PYTHON ? path.dirname(path.dirname(process.env.SPARKGATE_PYTHON)) : path.join(repoRoot, '.venv');
export const python = path.join(venv, 'bin', 'python');
export const ENTRYPOINT = path.join(repoRoot, 'images', 'bin', 'entrypoint.sh');
export const GPU_DISCOVERY = path.join(repoRoot, 'images', 'bin', 'gpu-discovery.sh');
export const DRIVER_IMAGE = 'sparkgate/driver:test';
export const EXECUTOR_IMAGE = 'sparkgate/executor:test';

/** What `startCluster` needs to run sparkgate's images as host processes. */
export async function sparkgateClusterOptions(): Promise<ClusterOptions> {
  const sparkHome = await findSparkHome();
  return {
    imageEntrypoints: { 'sparkgate/driver': [ENTRYPOINT], 'sparkgate/executor': [ENTRYPOINT] },
    baseEnv: {
      PATH: `${path.join(venv, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
      LANG: process.env.LANG ?? 'C.UTF-8',
      ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
      TMPDIR: '/tmp',
      SPARK_HOME: sparkHome,
      SPARKGATE_PYTHON: python,
      SPARKGATE_LAUNCHER: path.join(repoRoot, 'images', 'kernel', 'sparkgate_launcher.py')
    }
  };
}

function findSparkHome(): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(python, ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], (error, stdout) =>
      error ? reject(error) : resolve(stdout.trim())
    )
  );
}

/** Applies the gateway's Namespace, ServiceAccount, ClusterRole and its leader Lease's Role (not its Deployment: it runs here). */
export async function applyGatewayIdentity(cluster: Cluster): Promise<void> {
  const docs = parseManifests(await readFile(GATEWAY_MANIFEST, 'utf8')).filter(d => ['Namespace', 'ServiceAccount', 'ClusterRole', 'Role', 'RoleBinding'].includes(d.kind ?? ''));
  await applyManifests(cluster.kubeConfig, docs.map(d => JSON.stringify(d)).join('\n---\n'));
}

/**
 * What the chart's `gateway.readNodes` adds (charts/sparkgate/templates/gateway-rbac.yaml; helmChart.test
 * checks the chart's): read-only Nodes for the gateway. Resolves once the API server applies it, since the
 * gateway asks once at start whether it may read Nodes.
 */
export async function grantNodeReading(cluster: Cluster): Promise<void> {
  const name = 'sparkgate-gateway-nodes';
  const docs = [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: 'sparkgate', namespace: 'sparkgate' }]
    }
  ];
  await applyManifests(cluster.kubeConfig, docs.map(d => JSON.stringify(d)).join('\n---\n'));
  const asGateway = (await gatewayKubeConfig(cluster)).makeApiClient(CoreV1Api);
  await waitUntil(() => asGateway.listNode({ limit: 1 }).then(() => true, () => false), { timeoutMs: 30_000, intervalMs: 200, what: 'the gateway may read Nodes' });
}

/** A kubeconfig that authenticates as the gateway's service account (token from the TokenRequest API). */
export async function gatewayKubeConfig(cluster: Cluster, namespace = 'sparkgate', serviceAccount = 'sparkgate'): Promise<KubeConfig> {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } }
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caFile: cluster.caFile, skipTLSVerify: false }],
    users: [{ name: serviceAccount, token: request.status?.token ?? '' }],
    contexts: [{ name: 'gw', cluster: 'test', user: serviceAccount }],
    currentContext: 'gw'
  });
  return kc;
}

export interface K8sGateway {
  gateway: Gateway;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/**
 * Sets up tenants (manifests applied) and starts a gateway with the Kubernetes backend on 127.0.0.1.
 * `options.logger` receives the gateway's log (default: silent unless SPARKGATE_TEST_LOG is set).
 */
export async function startK8sGateway(
  cluster: Cluster,
  yaml: string,
  tenants: Record<string, { gpuQuota?: number }>,
  options: { logger?: Logger; readNodes?: boolean } = {}
): Promise<K8sGateway> {
  await applyGatewayIdentity(cluster);
  if (options.readNodes) {
    await grantNodeReading(cluster);
  }
  for (const [namespace, quota] of Object.entries(tenants)) {
    await applyTenant(cluster, { namespace, withGatewayRole: false, ...quota });
  }
  const config = loadConfig({
    flags: { host: '127.0.0.1', port: 0, backend: 'kubernetes', config: 'test.yaml' },
    env: {},
    readFile: () => yaml,
    defaults: { python, launcher: '', workingDir: repoRoot, version: 'test' }
  });
  const kubeConfig = await gatewayKubeConfig(cluster);
  const logger = options.logger ?? createLogger({ level: process.env.SPARKGATE_TEST_LOG ? 'debug' : 'silent' });
  const gateway = createGateway({
    config,
    backend: new KubernetesBackend({
      config: config.kubernetes,
      kubeConfig,
      core: kubeConfig.makeApiClient(CoreV1Api),
      networking: kubeConfig.makeApiClient(NetworkingV1Api),
      namespaceOf: tenant => config.tenants[tenant]?.namespace ?? tenant,
      logger
    }),
    channels: createZmqChannels,
    logger,
    version: 'test'
  });
  await gateway.kernels.adoptRunning();
  const address = await gateway.listen();
  const url = `http://127.0.0.1:${address.port}`;
  return { gateway, url, wsUrl: url.replace(/^http/, 'ws'), stop: () => gateway.stop() };
}

/** The `kubernetes:` config section pointing at the test images and the repo's discovery script. */
export const KUBERNETES_SECTION = `
kubernetes:
  driverImage: ${DRIVER_IMAGE}
  executorImage: ${EXECUTOR_IMAGE}
  imagePullPolicy: IfNotPresent
  runAsUser: 185
  gpuDiscoveryScript: ${GPU_DISCOVERY}
`;

/** Reads `probe` every 500 ms until it equals `want` or `timeoutMs` passes; returns the last value. */
export async function settle<T>(probe: () => Promise<T>, want: T, timeoutMs: number): Promise<T> {
  let value = await probe();
  if (JSON.stringify(value) !== JSON.stringify(want)) {
    await holdsWithin(async () => JSON.stringify((value = await probe())) === JSON.stringify(want), { timeoutMs, intervalMs: 500 });
  }
  return value;
}
