import type { V1Container, V1EnvVar, V1ObjectFieldSelector, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { parseQuantity } from './quantity.js';

/** Reads a key of a Secret or ConfigMap; undefined when the object or key is missing. */
export type KeyReader = (kind: 'Secret' | 'ConfigMap', namespace: string, name: string) => Promise<Record<string, string> | undefined>;

/** Values the kubelet knows only at run time. */
export interface RuntimeFacts {
  podIP: string;
  hostIP: string;
  /** Node allocatable, used for resourceFieldRef when the container sets no limit. */
  allocatable: Record<string, string>;
}

/** A missing, non-optional Secret/ConfigMap (key): the container cannot start yet. */
export class EnvSourceError extends Error {
  override name = 'EnvSourceError';
}

/** Value of a downward-API field path (metadata.name, status.podIP, metadata.labels['k'], …). */
export function fieldValue(pod: V1Pod, ref: V1ObjectFieldSelector, facts: RuntimeFacts): string {
  const p = ref.fieldPath;
  const md = pod.metadata ?? {};
  const sub = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(p);
  if (sub) {
    return (sub[1] === 'labels' ? md.labels : md.annotations)?.[sub[2]] ?? '';
  }
  const map = (o: Record<string, string> | undefined): string =>
    Object.entries(o ?? {})
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n');
  switch (p) {
    case 'metadata.name':
      return md.name ?? '';
    case 'metadata.namespace':
      return md.namespace ?? '';
    case 'metadata.uid':
      return md.uid ?? '';
    case 'metadata.labels':
      return map(md.labels);
    case 'metadata.annotations':
      return map(md.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return facts.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIP;
    default:
      throw new EnvSourceError(`unsupported fieldRef ${p}`);
  }
}

/** Value of a resourceFieldRef (limits.cpu, requests.memory, …) divided by its divisor, rounded up like the kubelet. */
export function resourceValue(pod: V1Pod, container: V1Container | undefined, ref: V1ResourceFieldSelector, facts: RuntimeFacts): string {
  const c = ref.containerName ? pod.spec?.containers.find((x) => x.name === ref.containerName) : container;
  const [kind, resource] = ref.resource.split('.', 2) as ['limits' | 'requests', string];
  const set = kind === 'limits' ? c?.resources?.limits : c?.resources?.requests;
  const raw = set?.[resource] ?? facts.allocatable[resource] ?? '0';
  const divisor = parseQuantity(ref.divisor ?? '1') || 1;
  return String(Math.ceil(parseQuantity(raw) / divisor));
}

/** Expands `$(VAR)` references like the kubelet: `$$` escapes, unknown references stay as written. */
export function expand(s: string, vars: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') {
      return '$';
    }
    return name !== undefined && name in vars ? vars[name] : m;
  });
}

async function fromSource(
  read: KeyReader,
  kind: 'Secret' | 'ConfigMap',
  namespace: string,
  name: string,
  key: string,
  optional: boolean | undefined
): Promise<string | undefined> {
  const data = await read(kind, namespace, name);
  if (data?.[key] === undefined && !optional) {
    throw new EnvSourceError(`${kind.toLowerCase()} "${name}"${data ? ` has no key "${key}"` : ' not found'}`);
  }
  return data?.[key];
}

async function one(pod: V1Pod, c: V1Container, e: V1EnvVar, facts: RuntimeFacts, read: KeyReader, vars: Record<string, string>): Promise<string | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  const from = e.valueFrom;
  if (!from) {
    return expand(e.value ?? '', vars);
  }
  if (from.fieldRef) {
    return fieldValue(pod, from.fieldRef, facts);
  }
  if (from.resourceFieldRef) {
    return resourceValue(pod, c, from.resourceFieldRef, facts);
  }
  if (from.secretKeyRef) {
    return fromSource(read, 'Secret', ns, from.secretKeyRef.name ?? '', from.secretKeyRef.key, from.secretKeyRef.optional);
  }
  if (from.configMapKeyRef) {
    return fromSource(read, 'ConfigMap', ns, from.configMapKeyRef.name ?? '', from.configMapKeyRef.key, from.configMapKeyRef.optional);
  }
  throw new EnvSourceError(`env ${e.name}: unsupported valueFrom`);
}

/**
 * The container's environment as the kubelet builds it: base env, service variables for the
 * `kubernetes` Service (pointing at the real API server on loopback), `envFrom`, then `env` in
 * order with `$(VAR)` expansion over what came before.
 */
export async function containerEnv(
  pod: V1Pod,
  c: V1Container,
  facts: RuntimeFacts,
  read: KeyReader,
  base: Record<string, string>
): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const vars: Record<string, string> = { ...base };
  for (const src of c.envFrom ?? []) {
    const kind = src.secretRef ? 'Secret' : 'ConfigMap';
    const ref = src.secretRef ?? src.configMapRef;
    const data = await read(kind, ns, ref?.name ?? '');
    if (!data && !ref?.optional) {
      throw new EnvSourceError(`${kind.toLowerCase()} "${ref?.name}" not found`);
    }
    for (const [k, v] of Object.entries(data ?? {})) {
      vars[`${src.prefix ?? ''}${k}`] = v;
    }
  }
  for (const e of c.env ?? []) {
    const v = await one(pod, c, e, facts, read, vars);
    if (v !== undefined) {
      vars[e.name] = v;
    }
  }
  return vars;
}

/**
 * What the kubelet adds before the container's own env: host base env, HOSTNAME, the `kubernetes`
 * Service variables pointing at the real API server on loopback (no kube-proxy, so the ClusterIP
 * is never used) and NVIDIA_VISIBLE_DEVICES for the pod's fake GPUs.
 */
export function kubeletEnv(pod: V1Pod, base: Record<string, string>, api: { host: string; port: number }, gpus: string[]): Record<string, string> {
  const env: Record<string, string> = {
    ...base,
    HOSTNAME: pod.metadata?.name ?? '',
    KUBERNETES_SERVICE_HOST: api.host,
    KUBERNETES_SERVICE_PORT: String(api.port),
    KUBERNETES_SERVICE_PORT_HTTPS: String(api.port),
    KUBERNETES_PORT: `tcp://${api.host}:${api.port}`
  };
  if (gpus.length > 0) {
    env.NVIDIA_VISIBLE_DEVICES = gpus.join(',');
  }
  return env;
}
