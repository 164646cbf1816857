// Server-side apply of the deployment manifests in images/deploy/ (the same documents an operator
// renders with envsubst and pipes into `kubectl apply --server-side -f -`; generated from the Helm
// chart charts/sparkgate by images/deploy/generate.mjs), or of any rendered text such as `helm template`.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HttpMethod, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ClusterHarnessError } from './errors.js';

/** images/deploy/ of this checkout. */
export const DEPLOY_DIR = fileURLToPath(new URL('../../../images/deploy/', import.meta.url));
export const TENANT_MANIFEST = `${DEPLOY_DIR}tenant.yaml`;
export const GATEWAY_MANIFEST = `${DEPLOY_DIR}gateway.yaml`;

/** The field manager the harness applies with (what `kubectl apply --server-side` calls `kubectl`). */
export const FIELD_MANAGER = 'sparkgate-test';

const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/**
 * Substitutes `${NAME}` and `$NAME` like GNU envsubst does, but throws when a variable has no value
 * (envsubst would silently insert an empty string). `$(NAME)` (Kubernetes' own env expansion) and a
 * lone `$` are left alone, as envsubst leaves them.
 */
export function renderManifest(text: string, vars: Record<string, string | number | undefined>): string {
  const missing = new Set<string>();
  const out = text.replace(VARIABLE, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = vars[name];
    if (value === undefined) {
      missing.add(name);
      return whole;
    }
    return String(value);
  });
  if (missing.size > 0) {
    throw new ClusterHarnessError(`renderManifest: no value for ${[...missing].map((n) => `\${${n}}`).join(', ')}`);
  }
  return out;
}

/**
 * The documents of a multi-document YAML text as plain objects (wire field names, nothing dropped),
 * without empty documents (e.g. a comment-only one). Throws on a YAML syntax error.
 */
export function parseManifests(text: string): KubernetesObject[] {
  const docs: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    const error = doc.errors[0];
    if (error) {
      throw new ClusterHarnessError(`invalid YAML: ${error.message}`);
    }
    const value: unknown = doc.toJS();
    if (value !== null && typeof value === 'object') {
      docs.push(value as KubernetesObject);
    }
  }
  return docs;
}

/**
 * KubernetesObjectApi resolves a document's URL (discovery: group/version → resource, namespaced or
 * not); its own `patch()` re-serializes the body through the typed models, which drops fields whose
 * model name differs from the wire name (NetworkPolicy's `from` is `_from`) and silently ignores
 * unknown fields. So the body here is the document exactly as written, with `fieldValidation=Strict`
 * like `kubectl apply --server-side`, so a typo fails the apply instead of vanishing.
 */
class ApplyClient extends KubernetesObjectApi {
  static forConfig(kubeConfig: KubeConfig): ApplyClient {
    const api = kubeConfig.makeApiClient(ApplyClient);
    api.setDefaultNamespace(kubeConfig);
    return api;
  }

  async apply(doc: KubernetesObject, fieldManager: string, dryRun: boolean): Promise<KubernetesObject> {
    const path = await this.specUriPath(doc, 'patch');
    const ctx = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    ctx.setQueryParam('fieldManager', fieldManager);
    ctx.setQueryParam('force', 'true');
    ctx.setQueryParam('fieldValidation', 'Strict');
    if (dryRun) {
      ctx.setQueryParam('dryRun', 'All');
    }
    ctx.setBody(JSON.stringify(doc));
    return this.requestPromise(ctx);
  }
}

/** Options of {@link applyManifests}. */
export interface ApplyOptions {
  /** `dryRun=All`: the API server validates and admits each object (as `kubectl apply --dry-run=server`) but stores nothing. */
  dryRun?: boolean;
}

/**
 * Server-side applies every document of `text` in order (PATCH application/apply-patch+yaml,
 * force=true so the harness re-acquires fields another manager set, strict field validation), and
 * returns what the API server answered for each. Applying the same text again is a no-op.
 */
export async function applyManifests(
  kubeConfig: KubeConfig,
  text: string,
  fieldManager = FIELD_MANAGER,
  options: ApplyOptions = {}
): Promise<KubernetesObject[]> {
  const api = ApplyClient.forConfig(kubeConfig);
  const applied: KubernetesObject[] = [];
  for (const doc of parseManifests(text)) {
    const what = `${doc.kind ?? '?'} ${doc.metadata?.namespace ? `${doc.metadata.namespace}/` : ''}${doc.metadata?.name ?? '?'}`;
    try {
      applied.push(await api.apply(doc, fieldManager, options.dryRun ?? false));
    } catch (err) {
      const body = (err as { body?: unknown }).body;
      const detail = typeof body === 'string' ? body : err instanceof Error ? err.message : String(err);
      throw new ClusterHarnessError(`server-side apply of ${what} failed: ${detail}`, { cause: err });
    }
  }
  return applied;
}

/** Options of {@link applyTenant}. */
export interface TenantOptions {
  namespace: string;
  /** Namespace of the gateway's ServiceAccount `sparkgate`. Default `sparkgate`. */
  gatewayNamespace?: string;
  /** `requests.nvidia.com/gpu` of the ResourceQuota. Default 4. */
  gpuQuota?: number | string;
  /** `requests.cpu`. Default 32. */
  cpuQuota?: number | string;
  /** `requests.memory` and `limits.memory`. Default 128Gi. */
  memoryQuota?: string;
}

/** The variables images/deploy/tenant.yaml is rendered with. */
export function tenantVars(options: TenantOptions): Record<string, string> {
  return {
    NAMESPACE: options.namespace,
    GATEWAY_NAMESPACE: options.gatewayNamespace ?? 'sparkgate',
    GPU_QUOTA: String(options.gpuQuota ?? 4),
    CPU_QUOTA: String(options.cpuQuota ?? 32),
    MEMORY_QUOTA: options.memoryQuota ?? '128Gi'
  };
}

/**
 * Renders and server-side applies images/deploy/tenant.yaml: the tenant Namespace, ResourceQuota,
 * LimitRange, ServiceAccounts sparkgate-kernel / sparkgate-executor, the kernel Role + RoleBinding,
 * the gateway RoleBinding and the NetworkPolicies. Also applies the ClusterRole `sparkgate-gateway`
 * from gateway.yaml (the tenant's gateway RoleBinding refers to it) unless `withGatewayRole: false`.
 */
export async function applyTenant(
  cluster: { kubeConfig: KubeConfig },
  options: TenantOptions & { withGatewayRole?: boolean }
): Promise<KubernetesObject[]> {
  const applied: KubernetesObject[] = [];
  if (options.withGatewayRole !== false) {
    applied.push(...(await applyGatewayRole(cluster)));
  }
  const text = renderManifest(await readFile(TENANT_MANIFEST, 'utf8'), tenantVars(options));
  applied.push(...(await applyManifests(cluster.kubeConfig, text)));
  return applied;
}

/** Applies only the ClusterRole `sparkgate-gateway` of images/deploy/gateway.yaml. */
export async function applyGatewayRole(cluster: { kubeConfig: KubeConfig }): Promise<KubernetesObject[]> {
  const docs = parseManifests(await readFile(GATEWAY_MANIFEST, 'utf8')).filter((d) => d.kind === 'ClusterRole');
  return applyManifests(cluster.kubeConfig, docs.map((d) => JSON.stringify(d)).join('\n---\n'));
}

/** Options of {@link applyGateway}. */
export interface GatewayOptions {
  /** Image of the gateway Deployment. Default `sparkgate/gateway:test`. */
  gatewayImage?: string;
}

/** Renders and server-side applies all of images/deploy/gateway.yaml (namespace `sparkgate`). */
export async function applyGateway(cluster: { kubeConfig: KubeConfig }, options: GatewayOptions = {}): Promise<KubernetesObject[]> {
  const text = renderManifest(await readFile(GATEWAY_MANIFEST, 'utf8'), { GATEWAY_IMAGE: options.gatewayImage ?? 'sparkgate/gateway:test' });
  return applyManifests(cluster.kubeConfig, text);
}

/**
 * `pod` made to pass Pod Security "restricted", which tenant namespaces enforce (the chart's
 * `podSecurity`): non-root uid 185 (the images' user), RuntimeDefault seccomp, and on every
 * container no privilege escalation and no capabilities — what sparkgate's own pods set. For tests
 * that create pods by hand in a tenant namespace (as a crashed gateway or Spark would leave them).
 */
export function restrictedPod<T extends { spec?: { securityContext?: object; containers: Array<{ securityContext?: object }>; initContainers?: Array<{ securityContext?: object }> } }>(pod: T): T {
  const spec = pod.spec;
  if (!spec) {
    return pod;
  }
  const container = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
  return {
    ...pod,
    spec: {
      ...spec,
      securityContext: { runAsNonRoot: true, runAsUser: 185, runAsGroup: 185, seccompProfile: { type: 'RuntimeDefault' }, ...spec.securityContext },
      containers: spec.containers.map(c => ({ ...c, securityContext: { ...container, ...c.securityContext } })),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(c => ({ ...c, securityContext: { ...container, ...c.securityContext } })) } : {})
    }
  };
}
