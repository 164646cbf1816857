// images/deploy/*.yaml without a cluster: they render with exactly the documented variables, parse,
// every pod template is locked down, RBAC stays least-privilege, and the config example is a valid
// gateway config (loaded by the gateway's own loader). test/cluster/manifests.test.ts applies them
// to a real API server.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject, V1ClusterRole, V1Deployment, V1PodSpec, V1Role } from '@kubernetes/client-node';
import { parseManifests, renderManifest, tenantVars } from '../../cluster/harness/apply.js';
import { loadConfig } from '../../../server/src/config/load.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(root, 'images/deploy', file), 'utf8');
const variablesOf = (text: string): string[] =>
  [...new Set([...text.replace(/^\s*#.*$/gm, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string))].sort();

const tenant = parseManifests(renderManifest(read('tenant.yaml'), tenantVars({ namespace: 'team-a' })));
const gateway = parseManifests(renderManifest(read('gateway.yaml'), { GATEWAY_IMAGE: 'sparkgate/gateway:test' }));
const byKind = <T extends KubernetesObject>(docs: KubernetesObject[], kind: string): T[] => docs.filter((d) => d.kind === kind) as T[];

/** Pod specs of everything that runs pods (Deployments, Pods, …) in the manifests. */
function podSpecs(docs: KubernetesObject[]): Array<{ name: string; spec: V1PodSpec }> {
  return docs.flatMap((d) => {
    const name = `${d.kind}/${d.metadata?.name}`;
    if (d.kind === 'Pod') {
      return [{ name, spec: (d as { spec: V1PodSpec }).spec }];
    }
    const template = (d as { spec?: { template?: { spec?: V1PodSpec } } }).spec?.template?.spec;
    return template ? [{ name, spec: template }] : [];
  });
}

describe('images/deploy', () => {
  it('should use exactly the documented placeholders', () => {
    expect(variablesOf(read('tenant.yaml'))).toEqual(['CPU_QUOTA', 'GATEWAY_NAMESPACE', 'GPU_QUOTA', 'MEMORY_QUOTA', 'NAMESPACE']);
    expect(variablesOf(read('gateway.yaml'))).toEqual(['GATEWAY_IMAGE']);
    expect(() => renderManifest(read('gateway.yaml'), {})).toThrow('${GATEWAY_IMAGE}');
  });

  it('should run every pod template non-root, read-only, without privileges and with resources', () => {
    const pods = podSpecs([...gateway, ...tenant]);
    expect(pods.map((p) => p.name)).toEqual(['Deployment/sparkgate-gateway']);
    for (const { spec } of pods) {
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.securityContext?.runAsUser).toBeGreaterThan(0);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] }
        });
        expect(c.securityContext?.privileged).not.toBe(true);
        expect(c.securityContext?.capabilities?.add ?? []).toEqual([]);
        expect(c.resources?.requests).toBeDefined();
        expect(c.resources?.limits?.memory).toBeDefined();
      }
      expect(spec.hostNetwork ?? false).toBe(false);
      expect(spec.hostPID ?? false).toBe(false);
      expect((spec.volumes ?? []).filter((v) => v.hostPath)).toEqual([]);
    }
  });

  it('should wire the gateway Deployment as the operator contract says', () => {
    const [dep] = byKind<V1Deployment>(gateway, 'Deployment');
    const spec = dep?.spec?.template.spec;
    expect(dep?.metadata?.namespace).toBe('sparkgate');
    expect(dep?.spec?.template.metadata?.labels?.['app.kubernetes.io/name']).toBe('sparkgate-gateway');
    expect(spec?.serviceAccountName).toBe('sparkgate');
    const c = spec?.containers[0];
    expect(c?.args).toEqual(['--backend', 'kubernetes', '--config', '/etc/sparkgate/config.yaml', '--host', '0.0.0.0', '--port', '8889']);
    expect(c?.ports?.[0]?.containerPort).toBe(8889);
    expect(c?.readinessProbe?.httpGet?.path).toBe('/healthz');
    expect(c?.volumeMounts?.find((m) => m.mountPath === '/etc/sparkgate')).toMatchObject({ name: 'config', readOnly: true });
    expect(spec?.volumes?.find((v) => v.name === 'config')?.secret?.secretName).toBe('sparkgate-config');
    const secret = gateway.find((d) => d.kind === 'Secret') as { stringData?: Record<string, string> } | undefined;
    expect(Object.keys(secret?.stringData ?? {})).toEqual(['config.yaml']);
  });

  // Issue 13, item 4: active-active replicas.
  it('should run 2 replicas, spread over nodes, with one kept through voluntary disruptions', () => {
    const [dep] = byKind<V1Deployment>(gateway, 'Deployment');
    expect(dep?.spec?.replicas).toBe(2);
    expect(dep?.spec?.strategy?.type).toBe('RollingUpdate');
    const spread = dep?.spec?.template.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm;
    expect(spread).toMatchObject({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'sparkgate-gateway' } } });
    const [pdb] = byKind<KubernetesObject & { spec: Record<string, unknown> }>(gateway, 'PodDisruptionBudget');
    expect(pdb?.spec).toEqual({ minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'sparkgate-gateway' } } });
  });

  it('should let the gateway hold only its leader Lease, in its own namespace', () => {
    const roles = byKind<V1Role>(gateway, 'Role');
    expect(roles.map(r => [r.metadata?.name, r.metadata?.namespace])).toEqual([['sparkgate-gateway-lease', 'sparkgate']]);
    expect(roles[0]?.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['sparkgate-gateway'], verbs: ['get', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] }
    ]);
    const [binding] = byKind<KubernetesObject & { roleRef: { kind: string; name: string }; subjects: Array<Record<string, string>> }>(gateway, 'RoleBinding');
    expect([binding?.metadata?.namespace, binding?.roleRef, binding?.subjects]).toEqual([
      'sparkgate',
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'sparkgate-gateway-lease' },
      [{ kind: 'ServiceAccount', name: 'sparkgate', namespace: 'sparkgate' }]
    ]);
  });

  it('should keep the gateway ClusterRole to namespaced kernel objects, bound per tenant only', () => {
    const [role] = byKind<V1ClusterRole>(gateway, 'ClusterRole');
    const rules = role?.rules ?? [];
    const grants = rules.flatMap((r) => (r.resources ?? []).map((res) => `${r.apiGroups?.[0] || 'core'}/${res}: ${(r.verbs ?? []).join(',')}`));
    expect(grants.sort()).toEqual([
      'core/events: get,list,watch',
      'core/persistentvolumeclaims: create',
      'core/pods: get,list,watch,create,patch,delete',
      'core/secrets: get,list,watch,create,delete',
      'core/services: get,list,create,delete',
      'networking.k8s.io/networkpolicies: get,list,create,delete'
    ]);
    const flat = JSON.stringify(rules);
    for (const forbidden of ['"*"', 'nodes', 'namespaces', 'escalate', 'bind', 'impersonate', 'roles', 'rolebindings', 'serviceaccounts']) {
      expect(flat).not.toContain(forbidden);
    }
    expect(byKind(gateway, 'ClusterRoleBinding')).toEqual([]);
    expect(byKind(tenant, 'ClusterRoleBinding')).toEqual([]);
  });

  it('should give the kernel Role pods/services/configmaps/PVCs of its namespace and nothing else', () => {
    const [role] = byKind<V1Role>(tenant, 'Role');
    expect(role?.metadata?.namespace).toBe('team-a');
    expect(role?.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['pods', 'services', 'configmaps', 'persistentvolumeclaims'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']
      }
    ]);
    const executor = tenant.find((d) => d.kind === 'ServiceAccount' && d.metadata?.name === 'sparkgate-executor') as { automountServiceAccountToken?: boolean };
    expect(executor.automountServiceAccountToken).toBe(false);
  });

  it('should let only the gateway reach kernel ports and deny the rest by default', () => {
    const policies = byKind<KubernetesObject & { spec: Record<string, unknown> }>(tenant, 'NetworkPolicy');
    expect(policies.map((p) => p.metadata?.name)).toEqual(['sparkgate-default-deny', 'sparkgate-from-gateway']);
    expect(policies[0]?.spec).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/managed-by': 'sparkgate' } }, policyTypes: ['Ingress'] });
    expect(policies[1]?.spec).toMatchObject({
      podSelector: { matchLabels: { 'app.kubernetes.io/managed-by': 'sparkgate', 'app.kubernetes.io/component': 'driver' } },
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'sparkgate' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'sparkgate-gateway' } }
            }
          ],
          ports: [
            { protocol: 'TCP', port: 52700, endPort: 52704 },
            { protocol: 'TCP', port: 4040 }
          ]
        }
      ]
    });
  });

  it('should ship a config example that the gateway loads, with the kubernetes section the images expect', () => {
    const config = loadConfig({
      flags: { config: 'config.example.yaml' },
      env: {},
      readFile: () => read('config.example.yaml'),
      defaults: { python: '/py', launcher: '/l.py', workingDir: '/w', version: '0.1.0' }
    });
    expect(config.backend).toBe('kubernetes');
    expect(config.kubernetes).toMatchObject({
      kernelServiceAccount: 'sparkgate-kernel',
      executorServiceAccount: 'sparkgate-executor',
      runAsUser: 185,
      gpuDiscoveryScript: '/opt/sparkgate/bin/gpu-discovery.sh',
      imagePullPolicy: 'IfNotPresent'
    });
    expect(config.kubernetes.driverImage).toMatch(/\/sparkgate\/driver:/);
    expect(config.kubernetes.executorImage).toMatch(/\/sparkgate\/executor:/);
    expect(Object.values(config.tenants).map((t) => t.namespace)).toEqual(['team-a', 'team-b']);
    expect(config.profiles['pyspark-gpu']?.sizing.executors.gpus).toBe(1);
  });
});
