/**
 * The Helm chart charts/sparkgate on a real control plane: `helm lint --strict`; its schema refuses
 * unknown and mistyped values; `helm template` (default values and two tenants) passes the API
 * server's validation (server-side dry-run, strict field validation); images/deploy is generated
 * from it; and `helm install` → a kernel through the gateway the chart configured → `helm uninstall`
 * leaves nothing the chart made.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { AppsV1Api, CoreV1Api, RbacAuthorizationV1Api, type KubernetesObject, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { holdsWithin, waitUntil } from '../support/waitFor.js';
import { renderDeployManifests } from '../../images/deploy/generate.mjs';
import { loadConfig } from '../../server/src/config/load.js';
import { applyManifests, parseManifests } from './harness/apply.js';
import { helmPath } from './helmbin/build.mjs';
import { CHART_DIR, helm, installArgs, releaseObjects, runHelm, startChartGateway, TWO_TENANTS_VALUES } from './helmbin/helm.js';
import { kubeConfigFor, statusOf } from './support/serviceAccount.js';
import { useCluster } from './support/useCluster.js';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef';
const SCRAPER = 'scraper-token-0123456789abcdef';
const GATEWAY_NS = 'sparkgate';

const byKind = (docs: KubernetesObject[], kind: string): KubernetesObject[] => docs.filter(d => d.kind === kind);
const names = (docs: KubernetesObject[]): string[] => docs.map(d => `${d.kind} ${d.metadata?.namespace ? `${d.metadata.namespace}/` : ''}${d.metadata?.name}`).sort();

async function request(url: string, token: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** stderr of a `helm template` the schema refuses. */
async function refusalOf(...set: string[]): Promise<string> {
  const r = await runHelm(['template', 'sparkgate', CHART_DIR, ...set.flatMap(s => ['--set', s])]);
  expect(r.code).not.toBe(0);
  return r.stderr;
}

describe('cluster/helm chart', () => {
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }], sparkgateImages: true });
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-helm-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should pass helm lint --strict with the default values and with two tenants', async () => {
    for (const extra of [[], ['--values', TWO_TENANTS_VALUES]]) {
      const out = await helm(['lint', '--strict', CHART_DIR, ...extra]);
      expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  }, 60_000);

  it("should take the README's real profile set (CPU, GPU, RAPIDS) as values and refuse a typo in a profile", async () => {
    const example = parseYaml(await readFile(path.join(CHART_DIR, '../../images/deploy/config.example.yaml'), 'utf8')) as { profiles: Record<string, unknown> };
    const file = path.join(dir, 'profiles-values.yaml');
    await writeFile(file, JSON.stringify({ config: { profiles: example.profiles } }));
    expect(await helm(['lint', '--strict', CHART_DIR, '--values', file])).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(await refusalOf('config.profiles.p.executors.gpuTyp=L4')).toContain("additional properties 'gpuTyp' not allowed");
    expect(await refusalOf('config.profiles.p.options.executors.count.maximum=8')).toContain("additional properties 'maximum' not allowed");
  }, 60_000);

  it('should refuse unknown and mistyped values, naming the key', async () => {
    const refusal = async (...set: string[]): Promise<string> => {
      const r = await runHelm(['template', 'sparkgate', CHART_DIR, ...set.flatMap(s => ['--set', s])]);
      expect(r.code).not.toBe(0);
      return r.stderr;
    };
    expect(await refusal('gateway.replcas=3')).toContain("additional properties 'replcas' not allowed");
    expect(await refusal('config.kubernetes.runAsUser=0')).toMatch(/\/config\/kubernetes\/runAsUser.*minimum/s);
    expect(await refusal('tenants.team-a.quota.gpus=lots')).toContain('/tenants/team-a/quota/gpus');
    expect(await refusal('podSecurity.enforce=strict')).toContain('/podSecurity/enforce');
    expect(await refusal('tenants.Team_A.quota.gpus=1')).toContain("invalid propertyName 'Team_A'");
    expect(await refusal('tenants.team-a.pools.python.size=25')).toContain('/tenants/team-a/pools/python/size');
  }, 60_000);

  it('should be the source of images/deploy: the committed gateway.yaml and tenant.yaml equal what the chart renders', async () => {
    const rendered = await renderDeployManifests(helmPath());
    for (const [file, text] of Object.entries(rendered)) {
      // Regenerate with `node images/deploy/generate.mjs` after changing the chart.
      expect({ file, text: await readFile(path.join(CHART_DIR, '..', '..', 'images', 'deploy', file), 'utf8') }).toEqual({ file, text });
    }
  }, 60_000);

  it("should accept the values README \"Deploy with Helm\" shows a platform team", async () => {
    const readme = await readFile(path.join(CHART_DIR, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Deploy with Helm'));
    const values = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(values).toContain('tenants:');
    const file = path.join(dir, 'readme-values.yaml');
    await writeFile(file, values ?? '');
    const docs = parseManifests(await helm(['template', 'sparkgate', CHART_DIR, '--namespace', GATEWAY_NS, '--values', file]));
    expect(byKind(docs, 'Namespace').map(d => d.metadata?.name).sort()).toEqual(['ml-team-b', 'team-a']);
  }, 60_000);

  it('should render the optional ServiceMonitor and scrape annotations only when asked', async () => {
    const plain = parseManifests(await helm(['template', 'sparkgate', CHART_DIR, '--namespace', GATEWAY_NS]));
    expect(byKind(plain, 'ServiceMonitor')).toEqual([]);
    expect((byKind(plain, 'Deployment')[0] as V1Deployment).spec?.template.metadata?.annotations?.['prometheus.io/scrape']).toBeUndefined();
    expect(names(byKind(plain, 'Secret'))).not.toContain('Secret sparkgate/sparkgate-gateway-metrics');
    // A ServiceMonitor sends the scraper's token (issue 17): one is part of asking for it.
    const asked = parseManifests(
      await helm([
        'template', 'sparkgate', CHART_DIR, '--namespace', GATEWAY_NS,
        '--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.scrapeAnnotations=true', '--set', 'config.metrics.token=scraper-token-0123456789'
      ])
    );
    expect(names(byKind(asked, 'ServiceMonitor'))).toEqual(['ServiceMonitor sparkgate/sparkgate-gateway']);
    expect((byKind(asked, 'Deployment')[0] as V1Deployment).spec?.template.metadata?.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8889',
      'prometheus.io/path': '/metrics'
    });
    expect(byKind(asked, 'Service')[0]?.metadata?.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8889', 'prometheus.io/path': '/metrics' });
    expect((byKind(asked, 'ServiceMonitor')[0] as KubernetesObject & { spec: { endpoints: unknown[] } }).spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '30s', authorization: { type: 'Bearer', credentials: { name: 'sparkgate-gateway-metrics', key: 'token' } } }
    ]);
    const secrets = byKind(asked, 'Secret') as Array<KubernetesObject & { stringData: Record<string, string> }>;
    expect(secrets.find(s => s.metadata?.name === 'sparkgate-gateway-metrics')?.stringData).toEqual({ token: 'scraper-token-0123456789' });
    // The gateway reads the same token from its config file (the config Secret), as metrics.token.
    const configYaml = secrets.find(s => s.metadata?.name === 'sparkgate-config')?.stringData['config.yaml'] ?? '';
    expect((parseYaml(configYaml) as { metrics?: unknown }).metrics).toEqual({ token: 'scraper-token-0123456789' });
    // The plain manifests (images/deploy/gateway.yaml) carry the annotations.
    const deploy = parseManifests(await readFile(path.join(CHART_DIR, '..', '..', 'images', 'deploy', 'gateway.yaml'), 'utf8'));
    expect((byKind(deploy, 'Deployment')[0] as V1Deployment).spec?.template.metadata?.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics' });
  }, 60_000);

  it('should refuse a ServiceMonitor without the scraper token, unless /metrics is open (metrics.auth: false)', async () => {
    const refused = await runHelm(['template', 'sparkgate', CHART_DIR, '--set', 'metrics.serviceMonitor.enabled=true']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('metrics.serviceMonitor.enabled: /metrics needs a token; set config.metrics.token');
    const open = parseManifests(
      await helm(['template', 'sparkgate', CHART_DIR, '--namespace', GATEWAY_NS, '--set', 'metrics.serviceMonitor.enabled=true', '--set', 'config.metrics.auth=false'])
    );
    expect((byKind(open, 'ServiceMonitor')[0] as KubernetesObject & { spec: { endpoints: unknown[] } }).spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '30s' }
    ]);
    expect(await refusalOf('config.metrics.perUserLabels=maybe')).toContain('/config/metrics/perUserLabels');
    expect(await helm(['lint', '--strict', CHART_DIR, '--set', 'metrics.serviceMonitor.enabled=true', '--set', 'config.metrics.token=scraper-token-0123456789'])).toContain(
      '1 chart(s) linted, 0 chart(s) failed'
    );
  }, 60_000);

  it('should render what the API server accepts (server-side dry-run, strict field validation), with default values and with two tenants', async () => {
    // The release namespace exists before an install (helm --create-namespace).
    await applyManifests(k8s.cluster.kubeConfig, JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: GATEWAY_NS } }));
    const defaults = parseManifests(await helm(['template', 'sparkgate', CHART_DIR, '--namespace', GATEWAY_NS]));
    expect(names(defaults)).toEqual([
      'ClusterRole sparkgate-gateway',
      'Deployment sparkgate/sparkgate-gateway',
      'PodDisruptionBudget sparkgate/sparkgate-gateway',
      'Role sparkgate/sparkgate-gateway-lease',
      'RoleBinding sparkgate/sparkgate-gateway-lease',
      'Secret sparkgate/sparkgate-config',
      'Service sparkgate/sparkgate-gateway',
      'ServiceAccount sparkgate/sparkgate'
    ]);
    const dry = await applyManifests(k8s.cluster.kubeConfig, defaults.map(d => JSON.stringify(d)).join('\n---\n'), 'helm-test', { dryRun: true });
    expect(names(dry)).toEqual(names(defaults));
    // Nothing was stored.
    await expect(k8s.cluster.kubeConfig.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'sparkgate-gateway', namespace: GATEWAY_NS })).rejects.toMatchObject({ code: 404 });

    const two = parseManifests(
      await helm(['template', 'sparkgate', CHART_DIR, '--namespace', GATEWAY_NS, '--values', TWO_TENANTS_VALUES, '--set', 'tenants.team-a.pools.python.size=1'])
    );
    const tenantKinds = ['LimitRange', 'Namespace', 'NetworkPolicy', 'NetworkPolicy', 'ResourceQuota', 'Role', 'RoleBinding', 'RoleBinding', 'ServiceAccount', 'ServiceAccount'];
    for (const ns of ['team-a', 'team-b-ns']) {
      expect(two.filter(d => d.metadata?.namespace === ns || (d.kind === 'Namespace' && d.metadata?.name === ns)).map(d => d.kind).sort()).toEqual(tenantKinds);
    }
    // Namespaced objects can only be dry-run into namespaces that exist: the tenant namespaces are
    // created for real (as the install would first), everything is dry-run, then they are deleted.
    const namespaces = byKind(two, 'Namespace');
    await applyManifests(k8s.cluster.kubeConfig, namespaces.map(d => JSON.stringify(d)).join('\n---\n'), 'helm-test');
    const dryTwo = await applyManifests(k8s.cluster.kubeConfig, two.map(d => JSON.stringify(d)).join('\n---\n'), 'helm-test', { dryRun: true });
    expect(names(dryTwo)).toEqual(names(two));
    expect((await k8s.core.listNamespacedResourceQuota({ namespace: 'team-a' })).items).toEqual([]);
    for (const ns of namespaces) {
      await k8s.core.deleteNamespace({ name: ns.metadata!.name! });
    }
    await waitUntil(async () => (await k8s.core.listNamespace({ labelSelector: 'app.kubernetes.io/instance=sparkgate' })).items.length === 0, {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: 'the tenant namespaces deleted'
    });

    // The config Secret is a config the gateway loads: tenants from `tenants:`, the chart's own names.
    const secret = two.find(d => d.kind === 'Secret') as { stringData?: Record<string, string> } | undefined;
    const config = loadConfig({
      flags: { config: 'config.yaml', backend: 'kubernetes' },
      env: {},
      readFile: () => secret?.stringData?.['config.yaml'] ?? '',
      defaults: { python: '/py', launcher: '/l.py', workingDir: '/w', version: 'test' }
    });
    expect(Object.fromEntries(Object.entries(config.tenants).map(([name, t]) => [name, t.namespace]))).toEqual({ 'team-a': 'team-a', 'team-b': 'team-b-ns' });
    // A tenant's warm pool (issue 15) reaches the gateway's config.
    expect(config.tenants['team-a']?.pools).toEqual({ python: { size: 1, maxIdleMs: 0 } });
    expect(config.kubernetes).toMatchObject({
      kernelServiceAccount: 'sparkgate-kernel',
      executorServiceAccount: 'sparkgate-executor',
      leaseName: 'sparkgate-gateway',
      leaseNamespace: GATEWAY_NS
    });
  }, 180_000);

  it('should let the gateway read Nodes, and nothing more cluster-wide, only with gateway.readNodes (issue 16)', async () => {
    const plain = parseManifests(await helm(['template', 'sparkgate', CHART_DIR, '--namespace', GATEWAY_NS]));
    expect(names(plain).filter(n => n.includes('nodes'))).toEqual([]);
    const docs = parseManifests(await helm(['template', 'nodes-test', CHART_DIR, '--namespace', GATEWAY_NS, '--set', 'gateway.readNodes=true']));
    const rbac = docs.filter(d => ['ClusterRole', 'ClusterRoleBinding', 'ServiceAccount'].includes(d.kind ?? ''));
    expect(names(rbac)).toEqual([
      'ClusterRole nodes-test-sparkgate-gateway',
      'ClusterRole nodes-test-sparkgate-gateway-nodes',
      'ClusterRoleBinding nodes-test-sparkgate-gateway-nodes',
      'ServiceAccount sparkgate/nodes-test-sparkgate'
    ]);
    await applyManifests(k8s.cluster.kubeConfig, JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: GATEWAY_NS } }));
    await applyManifests(k8s.cluster.kubeConfig, rbac.map(d => JSON.stringify(d)).join('\n---\n'), 'helm-test');
    const asGateway = (await kubeConfigFor(k8s.cluster, GATEWAY_NS, 'nodes-test-sparkgate')).makeApiClient(CoreV1Api);
    // RBAC is applied asynchronously by the API server's authorizer cache: wait for the grant.
    await waitUntil(async () => (await statusOf(() => asGateway.listNode())) === 200, { timeoutMs: 30_000, intervalMs: 200, what: 'the gateway may list nodes' });
    expect(await statusOf(() => asGateway.readNode({ name: 'cpu-1' }))).toBe(200);
    expect(await statusOf(() => asGateway.patchNode({ name: 'cpu-1', body: { metadata: { labels: { x: 'y' } } } }))).toBe(403);
    expect(await statusOf(() => asGateway.deleteNode({ name: 'cpu-1' }))).toBe(403);
    expect(await statusOf(() => asGateway.listPodForAllNamespaces())).toBe(403);
    expect(await statusOf(() => asGateway.listSecretForAllNamespaces())).toBe(403);
    const rbacApi = k8s.cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbacApi.deleteClusterRoleBinding({ name: 'nodes-test-sparkgate-gateway-nodes' });
    await rbacApi.deleteClusterRole({ name: 'nodes-test-sparkgate-gateway-nodes' });
    await rbacApi.deleteClusterRole({ name: 'nodes-test-sparkgate-gateway' });
    await k8s.core.deleteNamespacedServiceAccount({ name: 'nodes-test-sparkgate', namespace: GATEWAY_NS });
  }, 120_000);

  it('should install, run a kernel through the gateway the chart configured, and uninstall leaving nothing behind', async () => {
    await helm(installArgs('sparkgate', GATEWAY_NS, ['--set', `config.metrics.token=${SCRAPER}`]), { cluster: k8s.cluster });
    const dep = await k8s.cluster.kubeConfig.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'sparkgate-gateway', namespace: GATEWAY_NS });
    expect(dep.spec?.replicas).toBe(2);
    const ns = await k8s.core.readNamespace({ name: 'team-b-ns' });
    expect(ns.metadata?.labels).toMatchObject({ 'sparkgate.io/tenant': 'team-b', 'pod-security.kubernetes.io/enforce': 'restricted' });
    // The Deployment's controller made its pods; they wait for a node (no gateway image here).
    await waitUntil(async () => (await k8s.core.listNamespacedPod({ namespace: GATEWAY_NS, labelSelector: 'app.kubernetes.io/name=sparkgate-gateway' })).items.length === 2, {
      timeoutMs: 30_000,
      intervalMs: 500,
      what: 'the two gateway pods created'
    });

    const gw = await startChartGateway(k8s.cluster, { namespace: GATEWAY_NS, dir });
    let kernelId = '';
    try {
      const started = await request(gw.url, ALICE, 'POST', '/api/kernels', { name: 'python' });
      expect({ status: started.status, body: started.status === 201 ? 'ok' : started.body }).toEqual({ status: 201, body: 'ok' });
      kernelId = String(started.body.id);
      const [driver] = (await k8s.core.listNamespacedPod({ namespace: 'team-a', labelSelector: `sparkgate.io/kernel-id=${kernelId}` })).items as V1Pod[];
      expect(driver?.spec?.serviceAccountName).toBe('sparkgate-kernel');
      const socket = await KernelSocket.open(gw.url.replace(/^http/, 'ws'), kernelId, ALICE);
      try {
        const run = await socket.execute('1+1', 120_000);
        expect(run.result).toBe('2');
      } finally {
        socket.close();
      }
      // /metrics (issue 17): the Kubernetes API requests the launch made, counted by verb, resource and code, and its pod phases.
      // Two tenants: a user's token may not read what counts both tenants' kernels; the scraper's may.
      const asAlice = await fetch(`${gw.url}/metrics`, { headers: { Authorization: `Bearer ${ALICE}` } });
      expect({ status: asAlice.status, body: await asAlice.json() }).toMatchObject({ status: 403, body: { reason: 'NotAllowed' } });
      const metrics = await fetch(`${gw.url}/metrics`, { headers: { Authorization: `Bearer ${SCRAPER}` } });
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      const count = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? 0);
      expect(count(/^sparkgate_kubernetes_requests_total\{verb="create",resource="pods",code="201"\} (\S+)$/m)).toBeGreaterThanOrEqual(1);
      expect(count(/^sparkgate_kubernetes_requests_total\{verb="list",resource="pods",code="200"\} (\S+)$/m)).toBeGreaterThanOrEqual(1);
      expect(count(/^sparkgate_kubernetes_requests_total\{verb="watch",resource="pods",code="200"\} (\S+)$/m)).toBeGreaterThanOrEqual(1);
      expect(count(/^sparkgate_launches_total\{tenant="team-a",profile="python",outcome="success",reason="new"\} (\S+)$/m)).toBe(1);
      expect(count(/^sparkgate_launch_phase_seconds_count\{phase="spark-ready",tenant="team-a",profile="python"\} (\S+)$/m)).toBe(1);
      expect(text).not.toContain(kernelId);
      // Bob (tenant team-b) neither sees nor reaches alice's kernel.
      expect((await request(gw.url, BOB, 'GET', '/api/kernels')).body).toEqual([]);
      expect((await request(gw.url, BOB, 'GET', `/api/kernels/${kernelId}`)).status).toBe(404);
      expect((await request(gw.url, ALICE, 'DELETE', `/api/kernels/${kernelId}`)).status).toBe(204);
      await waitUntil(async () => (await k8s.core.listNamespacedPod({ namespace: 'team-a' })).items.length === 0, { timeoutMs: 60_000, intervalMs: 500, what: 'the driver pod gone' });
    } finally {
      await gw.stop();
    }

    expect((await releaseObjects(k8s.cluster, 'sparkgate')).length).toBeGreaterThan(20);
    await helm(['uninstall', 'sparkgate', '--namespace', GATEWAY_NS, '--wait', '--timeout', '120s'], { cluster: k8s.cluster, timeoutMs: 150_000 });
    // Tenant namespaces go through Terminating; the namespace controller finalizes them.
    let left: string[] = [];
    await holdsWithin(async () => (left = await releaseObjects(k8s.cluster, 'sparkgate')).length === 0, { timeoutMs: 120_000, intervalMs: 1000 });
    expect(left).toEqual([]);
    expect((await k8s.core.listNamespace()).items.map(n => n.metadata?.name)).not.toEqual(expect.arrayContaining(['team-a']));
  }, 400_000);
});
