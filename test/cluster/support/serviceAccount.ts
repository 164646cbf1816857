/** Calling the API server as a service account (real bound tokens), to check what RBAC grants. */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Cluster } from '../harness/cluster.js';

/** A KubeConfig that authenticates as `system:serviceaccount:<ns>:<sa>` with a fresh bound token. */
export async function kubeConfigFor(cluster: Cluster, namespace: string, serviceAccount: string): Promise<KubeConfig> {
  const auth = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const tr = await auth.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 600 } }
  });
  const token = tr.status?.token;
  if (!token) {
    throw new Error(`no token for ${namespace}/${serviceAccount}`);
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caFile: cluster.caFile }],
    users: [{ name: serviceAccount, token }],
    contexts: [{ name: 'sa', cluster: 'test', user: serviceAccount, namespace }],
    currentContext: 'sa'
  });
  return kc;
}

/** The HTTP status an API call ended with (200 when it succeeded). */
export async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') {
      return code;
    }
    throw err;
  }
}
