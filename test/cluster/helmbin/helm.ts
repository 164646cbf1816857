/**
 * The Helm CLI (built by ./build.mjs) for the cluster tests: run it against a test cluster, and
 * the chart's objects as a test reads them back (its rendered gateway config, its service accounts'
 * tokens, whatever it left behind).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AppsV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PolicyV1Api,
  RbacAuthorizationV1Api,
  type KubernetesObject
} from '@kubernetes/client-node';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { spawnGateway, type GatewayProcess } from '../../support/gatewayProcess.js';
import type { Cluster } from '../harness/cluster.js';
import { gatewayKubeConfig, GPU_DISCOVERY } from '../support/sparkgate.js';
import { ensureHelmBinary } from './build.mjs';

/** charts/sparkgate of this checkout. */
export const CHART_DIR = fileURLToPath(new URL('../../../charts/sparkgate', import.meta.url));
/** The two-tenant values file of the cluster tests. */
export const TWO_TENANTS_VALUES = fileURLToPath(new URL('../fixtures/helm-two-tenants.yaml', import.meta.url));

// Helm's cache, config and data (repositories, plugins) in a folder of this process, not in $HOME.
let helmHome: string | undefined;

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `helm args…` (against `cluster` when given); resolves with its exit code and output, never rejects on exit codes. */
export async function runHelm(args: string[], options: { cluster?: Cluster; timeoutMs?: number } = {}): Promise<HelmResult> {
  const helm = await ensureHelmBinary();
  helmHome ??= mkdtempSync(path.join(tmpdir(), 'sparkgate-helm-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: helmHome,
    HELM_CACHE_HOME: path.join(helmHome, 'cache'),
    HELM_CONFIG_HOME: path.join(helmHome, 'config'),
    HELM_DATA_HOME: path.join(helmHome, 'data'),
    ...(options.cluster ? { KUBECONFIG: options.cluster.kubeconfigPath } : { KUBECONFIG: path.join(helmHome, 'no-cluster') })
  };
  return new Promise((resolve, reject) => {
    execFile(helm, args, { env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      if (error && code === -1) {
        reject(new Error(`helm ${args.join(' ')}: ${error.message}\n${stderr}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like {@link runHelm} but throws with helm's stderr unless it exits 0; resolves stdout. */
export async function helm(args: string[], options: { cluster?: Cluster; timeoutMs?: number } = {}): Promise<string> {
  const r = await runHelm(args, options);
  if (r.code !== 0) {
    throw new Error(`helm ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/**
 * Every object the release `release` made that is still there (by its app.kubernetes.io/instance
 * label, across namespaces and cluster-wide kinds), plus Helm's own release Secrets; as "Kind ns/name".
 */
export async function releaseObjects(cluster: Cluster, release: string): Promise<string[]> {
  const kc = cluster.kubeConfig;
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const policy = kc.makeApiClient(PolicyV1Api);
  const labelSelector = `app.kubernetes.io/instance=${release}`;
  const lists: Array<[string, Promise<{ items: KubernetesObject[] }>]> = [
    ['Namespace', core.listNamespace({ labelSelector })],
    ['Secret', core.listSecretForAllNamespaces({ labelSelector })],
    ['Secret', core.listSecretForAllNamespaces({ labelSelector: `owner=helm,name=${release}` })],
    ['ServiceAccount', core.listServiceAccountForAllNamespaces({ labelSelector })],
    ['Service', core.listServiceForAllNamespaces({ labelSelector })],
    ['ResourceQuota', core.listResourceQuotaForAllNamespaces({ labelSelector })],
    ['LimitRange', core.listLimitRangeForAllNamespaces({ labelSelector })],
    ['Pod', core.listPodForAllNamespaces({ labelSelector })],
    ['Deployment', apps.listDeploymentForAllNamespaces({ labelSelector })],
    ['ReplicaSet', apps.listReplicaSetForAllNamespaces({ labelSelector })],
    ['PodDisruptionBudget', policy.listPodDisruptionBudgetForAllNamespaces({ labelSelector })],
    ['ClusterRole', rbac.listClusterRole({ labelSelector })],
    ['ClusterRoleBinding', rbac.listClusterRoleBinding({ labelSelector })],
    ['Role', rbac.listRoleForAllNamespaces({ labelSelector })],
    ['RoleBinding', rbac.listRoleBindingForAllNamespaces({ labelSelector })],
    ['NetworkPolicy', net.listNetworkPolicyForAllNamespaces({ labelSelector })]
  ];
  const found: string[] = [];
  for (const [kind, list] of lists) {
    for (const o of (await list).items) {
      found.push(`${kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`);
    }
  }
  return found.sort();
}

/** `helm install` flags for the test cluster: the two-tenant values and this checkout's GPU discovery script. */
export function installArgs(release: string, namespace: string, extra: string[] = []): string[] {
  return [
    'install', release, CHART_DIR, '--namespace', namespace, '--create-namespace',
    '--values', TWO_TENANTS_VALUES, '--set', `config.kubernetes.gpuDiscoveryScript=${GPU_DISCOVERY}`, ...extra
  ];
}

/** The gateway config file the chart rendered into its Secret `<fullname>-config`. */
export async function chartConfig(cluster: Cluster, namespace: string, secretName = 'sparkgate-config'): Promise<string> {
  const secret = await cluster.kubeConfig.makeApiClient(CoreV1Api).readNamespacedSecret({ name: secretName, namespace });
  const data = secret.data?.['config.yaml'];
  if (!data) {
    throw new Error(`secret ${namespace}/${secretName} has no config.yaml`);
  }
  return Buffer.from(data, 'base64').toString('utf8');
}

/**
 * What an installed gateway replica would be, as a host process (there is no gateway image on the
 * test node): the built server with the config the chart rendered and the chart's gateway service
 * account (a TokenRequest token). `dir` receives its kubeconfig.
 */
export async function startChartGateway(cluster: Cluster, options: { namespace: string; serviceAccount?: string; dir: string }): Promise<GatewayProcess> {
  const doc = parseYaml(await chartConfig(cluster, options.namespace)) as { kubernetes: Record<string, unknown> };
  const kubeconfig = path.join(options.dir, 'chart-gateway.kubeconfig');
  await writeFile(kubeconfig, (await gatewayKubeConfig(cluster, options.namespace, options.serviceAccount ?? 'sparkgate')).exportConfig(), { mode: 0o600 });
  doc.kubernetes.kubeconfig = kubeconfig;
  return spawnGateway({ yaml: stringifyYaml(doc), args: ['--backend', 'kubernetes'], timeoutMs: 120_000 });
}
