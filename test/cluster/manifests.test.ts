// images/deploy/ on a real control plane: gateway.yaml and tenant.yaml (generated from the Helm chart
// charts/sparkgate, images/deploy/generate.mjs) apply server-side (twice, to show idempotence), and
// the RBAC, quota and LimitRange they declare behave as promised when the service accounts use real
// tokens (TokenRequest) against the API server. helmChart.test.ts checks the files equal the chart's output.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import {
  AppsV1Api,
  CoreV1Api,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type KubernetesObject,
  type V1Pod,
  type V1ResourceQuota
} from '@kubernetes/client-node';
import { applyGateway, applyManifests, applyTenant, renderManifest, tenantVars, TENANT_MANIFEST } from './harness/apply.js';
import { kubeConfigFor, statusOf } from './support/serviceAccount.js';
import { useCluster } from './support/useCluster.js';

const A = 'tenant-a';
const B = 'tenant-b';

/** Message of a rejected API call (the API server's Status message). */
async function rejection(call: () => Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call();
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string } | undefined);
    return { code: e.code ?? 0, message: body?.message ?? String(err) };
  }
  throw new Error('the call succeeded; expected a rejection');
}

// Tenant namespaces enforce Pod Security "restricted", so the test pods follow it.
const pausePod = (name: string, resources: Record<string, Record<string, string>> = {}, extra: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'sparkgate' } },
  spec: {
    restartPolicy: 'Never',
    securityContext: { runAsNonRoot: true, runAsUser: 185, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'main',
        image: 'sparkgate/none:test',
        command: ['/bin/sh', '-c', 'exec sleep 600'],
        resources,
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }
      }
    ],
    ...extra
  }
});

describe('cluster/deploy manifests', () => {
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }] });

  it('should server-side apply gateway.yaml and two tenants, twice, with the same result', async () => {
    const first = [
      ...(await applyGateway(k8s.cluster)),
      ...(await applyTenant(k8s.cluster, { namespace: A, gpuQuota: 2, cpuQuota: 16, memoryQuota: '64Gi' })),
      ...(await applyTenant(k8s.cluster, { namespace: B, gpuQuota: 1 }))
    ];
    const second = [
      ...(await applyGateway(k8s.cluster)),
      ...(await applyTenant(k8s.cluster, { namespace: A, gpuQuota: 2, cpuQuota: 16, memoryQuota: '64Gi' })),
      ...(await applyTenant(k8s.cluster, { namespace: B, gpuQuota: 1 }))
    ];
    expect(second.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(first.map((o) => `${o.kind}/${o.metadata?.name}`));
    // A no-op apply does not write: resourceVersions are unchanged, except where a controller writes
    // status in between (Deployment: compare its generation; ResourceQuota: its status.used moves).
    const version = (o: KubernetesObject): string =>
      o.metadata?.generation !== undefined
        ? `${o.kind} generation ${o.metadata.generation}`
        : o.kind === 'ResourceQuota'
          ? `${o.kind} ${o.metadata?.namespace} ${JSON.stringify((o as V1ResourceQuota).spec?.hard)}`
          : `${o.kind} resourceVersion ${o.metadata?.resourceVersion}`;
    expect(second.map(version)).toEqual(first.map(version));
    // Every object is owned by the apply field manager.
    for (const o of second) {
      expect(o.metadata?.managedFields?.some((f) => f.manager === 'sparkgate-test' && f.operation === 'Apply')).toBe(true);
    }

    const apps = k8s.cluster.kubeConfig.makeApiClient(AppsV1Api);
    const rbac = k8s.cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const net = k8s.cluster.kubeConfig.makeApiClient(NetworkingV1Api);
    const dep = await apps.readNamespacedDeployment({ name: 'sparkgate-gateway', namespace: 'sparkgate' });
    const pod = dep.spec?.template.spec;
    expect(pod?.serviceAccountName).toBe('sparkgate');
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod?.containers[0]?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] }
    });
    expect(pod?.containers[0]?.ports?.[0]?.containerPort).toBe(8889);
    expect(pod?.containers[0]?.readinessProbe?.httpGet?.path).toBe('/healthz');
    const svc = await k8s.core.readNamespacedService({ name: 'sparkgate-gateway', namespace: 'sparkgate' });
    expect(svc.spec?.type).toBe('ClusterIP');
    expect(svc.spec?.ports?.[0]?.port).toBe(8889);
    const cfg = await k8s.core.readNamespacedSecret({ name: 'sparkgate-config', namespace: 'sparkgate' });
    expect(Object.keys(cfg.data ?? {})).toEqual(['config.yaml']);

    const ns = await k8s.core.readNamespace({ name: A });
    expect(ns.metadata?.labels?.['sparkgate.io/tenant']).toBe(A);
    expect(ns.metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted'
    });
    const quota = await k8s.core.readNamespacedResourceQuota({ name: 'sparkgate-tenant', namespace: A });
    expect(quota.spec?.hard).toMatchObject({ 'requests.nvidia.com/gpu': '2', 'requests.cpu': '16', 'requests.memory': '64Gi', 'limits.memory': '64Gi' });
    expect((await k8s.core.readNamespacedResourceQuota({ name: 'sparkgate-tenant', namespace: B })).spec?.hard?.['requests.nvidia.com/gpu']).toBe('1');
    const executorSa = await k8s.core.readNamespacedServiceAccount({ name: 'sparkgate-executor', namespace: B });
    expect(executorSa.automountServiceAccountToken).toBe(false);
    const role = await rbac.readNamespacedRole({ name: 'sparkgate-kernel', namespace: B });
    expect(role.rules?.flatMap((r) => r.resources ?? []).sort()).toEqual(['configmaps', 'persistentvolumeclaims', 'pods', 'services']);
    const gwBinding = await rbac.readNamespacedRoleBinding({ name: 'sparkgate-gateway', namespace: B });
    expect(gwBinding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'sparkgate-gateway' });
    expect(gwBinding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'sparkgate', namespace: 'sparkgate' }]);
    const policies = await net.listNamespacedNetworkPolicy({ namespace: B });
    expect(policies.items.map((p) => p.metadata?.name).sort()).toEqual(['sparkgate-default-deny', 'sparkgate-from-gateway']);
    const fromGateway = policies.items.find((p) => p.metadata?.name === 'sparkgate-from-gateway');
    expect(fromGateway?.spec?.ingress?.[0]?._from?.[0]).toEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'sparkgate' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'sparkgate-gateway' } }
    });
    expect(fromGateway?.spec?.ingress?.[0]?.ports).toEqual([
      { protocol: 'TCP', port: 52700, endPort: 52704 },
      { protocol: 'TCP', port: 4040 }
    ]);
  }, 120_000);

  it('should let a tenant kernel manage pods in its own namespace only, and never read secrets', async () => {
    const kc = await kubeConfigFor(k8s.cluster, B, 'sparkgate-kernel');
    const asKernel = kc.makeApiClient(CoreV1Api);
    expect(await statusOf(() => asKernel.listNamespacedPod({ namespace: B }))).toBe(200);
    expect(await statusOf(() => asKernel.createNamespacedPod({ namespace: B, body: pausePod('made-by-kernel') }))).toBe(200);
    expect(await statusOf(() => asKernel.createNamespacedConfigMap({ namespace: B, body: { metadata: { name: 'spark-exec-conf' } } }))).toBe(200);
    expect(await statusOf(() => asKernel.deleteNamespacedPod({ name: 'made-by-kernel', namespace: B, gracePeriodSeconds: 0 }))).toBe(200);
    // Another tenant's namespace: nothing.
    expect(await statusOf(() => asKernel.listNamespacedPod({ namespace: A }))).toBe(403);
    expect(await statusOf(() => asKernel.createNamespacedPod({ namespace: A, body: pausePod('intruder') }))).toBe(403);
    // Secrets (other kernels' connection keys), even in its own namespace: nothing.
    expect(await statusOf(() => asKernel.listNamespacedSecret({ namespace: B }))).toBe(403);
    expect(await statusOf(() => asKernel.readNamespacedSecret({ name: 'anything', namespace: B }))).toBe(403);
    // Nothing cluster-wide.
    expect(await statusOf(() => asKernel.listNode())).toBe(403);
    expect(await statusOf(() => asKernel.listPodForAllNamespaces())).toBe(403);
  }, 60_000);

  it('should give executors no API access at all', async () => {
    const asExecutor = (await kubeConfigFor(k8s.cluster, B, 'sparkgate-executor')).makeApiClient(CoreV1Api);
    expect(await statusOf(() => asExecutor.listNamespacedPod({ namespace: B }))).toBe(403);
    expect(await statusOf(() => asExecutor.readNamespacedPod({ name: 'x', namespace: B }))).toBe(403);
    expect(await statusOf(() => asExecutor.listNamespacedConfigMap({ namespace: B }))).toBe(403);
    expect(await statusOf(() => asExecutor.listNamespacedSecret({ namespace: B }))).toBe(403);
  }, 60_000);

  it('should let the gateway run kernels in tenant namespaces but not touch nodes or namespaces', async () => {
    const kc = await kubeConfigFor(k8s.cluster, 'sparkgate', 'sparkgate');
    const asGateway = kc.makeApiClient(CoreV1Api);
    const netAsGateway = kc.makeApiClient(NetworkingV1Api);
    for (const ns of [A, B]) {
      expect(await statusOf(() => asGateway.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'kernel-conn' }, stringData: { key: 'k' } } }))).toBe(200);
      expect(await statusOf(() => asGateway.createNamespacedPod({ namespace: ns, body: pausePod('kernel-driver') }))).toBe(200);
      expect(
        await statusOf(() =>
          asGateway.createNamespacedService({ namespace: ns, body: { metadata: { name: 'kernel-driver' }, spec: { clusterIP: 'None', selector: { a: 'b' }, ports: [{ port: 7078 }] } } })
        )
      ).toBe(200);
      expect(
        await statusOf(() =>
          netAsGateway.createNamespacedNetworkPolicy({ namespace: ns, body: { metadata: { name: 'kernel-driver-own' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } } })
        )
      ).toBe(200);
      expect(await statusOf(() => asGateway.listNamespacedPod({ namespace: ns }))).toBe(200);
      expect(await statusOf(() => asGateway.listNamespacedSecret({ namespace: ns }))).toBe(200);
      expect(await statusOf(() => asGateway.deleteNamespacedPod({ name: 'kernel-driver', namespace: ns, gracePeriodSeconds: 0 }))).toBe(200);
      expect(await statusOf(() => asGateway.deleteNamespacedSecret({ name: 'kernel-conn', namespace: ns }))).toBe(200);
      expect(await statusOf(() => asGateway.deleteNamespacedService({ name: 'kernel-driver', namespace: ns }))).toBe(200);
      expect(await statusOf(() => netAsGateway.deleteNamespacedNetworkPolicy({ name: 'kernel-driver-own', namespace: ns }))).toBe(200);
      // Not more than it needs inside a tenant namespace.
      expect(await statusOf(() => asGateway.listNamespacedConfigMap({ namespace: ns }))).toBe(403);
      expect(await statusOf(() => asGateway.deleteCollectionNamespacedPod({ namespace: ns }))).toBe(403);
    }
    // A namespace that is not a tenant's: nothing.
    expect(await statusOf(() => asGateway.listNamespacedPod({ namespace: 'default' }))).toBe(403);
    expect(await statusOf(() => asGateway.listNamespacedSecret({ namespace: 'kube-system' }))).toBe(403);
    // Nothing cluster-wide.
    expect(await statusOf(() => asGateway.listNode())).toBe(403);
    expect(await statusOf(() => asGateway.listPodForAllNamespaces())).toBe(403);
    expect(await statusOf(() => asGateway.createNamespace({ body: { metadata: { name: 'made-by-gateway' } } }))).toBe(403);
    expect(await statusOf(() => asGateway.deleteNamespace({ name: A }))).toBe(403);
    expect(await statusOf(() => asGateway.patchNamespace({ name: A, body: { metadata: { labels: { x: 'y' } } } }))).toBe(403);
  }, 60_000);

  it('should reject a pod over the GPU quota with a message naming the quota, and default requests for pods without any', async () => {
    // tenant-b: requests.nvidia.com/gpu = 1.
    const gpus = (n: number) => ({ requests: { 'nvidia.com/gpu': String(n) }, limits: { 'nvidia.com/gpu': String(n) } });
    const { code, message } = await rejection(() => k8s.core.createNamespacedPod({ namespace: B, body: pausePod('too-many-gpus', gpus(2)) }));
    expect(code).toBe(403);
    expect(message).toContain('exceeded quota: sparkgate-tenant');
    expect(message).toContain('requested: requests.nvidia.com/gpu=2');
    expect(message).toContain('limited: requests.nvidia.com/gpu=1');

    // A pod stating nothing gets the LimitRange defaults and passes the cpu/memory quota.
    const created = await k8s.core.createNamespacedPod({ namespace: B, body: pausePod('no-resources') });
    expect(created.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } });
    // A Spark-style executor (cpu request, no cpu limit, memory request = limit) is not given a cpu limit.
    const executor = await k8s.core.createNamespacedPod({
      namespace: B,
      body: pausePod('spark-style', { requests: { cpu: '4', memory: '5Gi' }, limits: { memory: '5Gi' } })
    });
    expect(executor.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '4', memory: '5Gi' }, limits: { memory: '5Gi' } });
    await k8s.core.deleteNamespacedPod({ name: 'no-resources', namespace: B, gracePeriodSeconds: 0 });
    await k8s.core.deleteNamespacedPod({ name: 'spark-style', namespace: B, gracePeriodSeconds: 0 });
  }, 60_000);

  it('should refuse to render a manifest with a variable left unset, naming it', async () => {
    const text = await readFile(TENANT_MANIFEST, 'utf8');
    const { GATEWAY_NAMESPACE: _omit, ...vars } = tenantVars({ namespace: 'x' });
    expect(() => renderManifest(text, vars)).toThrow('${GATEWAY_NAMESPACE}');
    expect(renderManifest('a: $(KEEP) $ ${X} $Y', { X: '1', Y: '2' })).toBe('a: $(KEEP) $ 1 2');
    // Rendering is all applyManifests needs: the same text applied again changes nothing.
    const again = await applyManifests(k8s.cluster.kubeConfig, renderManifest(text, tenantVars({ namespace: B, gpuQuota: 1 })));
    expect(again.find((o) => o.kind === 'ResourceQuota')?.metadata?.namespace).toBe(B);
  }, 60_000);
});
