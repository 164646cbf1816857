import { CoreV1Api, ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { WaitTimeoutError } from './errors.js';

/** What to watch for in {@link waitFor}. */
export interface WaitOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** Collection path to watch, e.g. `/api/v1/namespaces/ns/pods`. */
  path: string;
  /** List call with the same field selector as `fieldSelector`. */
  list: () => Promise<KubernetesListObject<T>>;
  fieldSelector: string;
  /**
   * Called with each listed object and after every change, or with undefined when nothing matches
   * (any more). Name-selected watches see one object; others (e.g. events) may see several.
   */
  until: (obj: T | undefined) => boolean;
  timeoutMs: number;
  /** Says what was awaited, for the timeout message. */
  what: string;
  /** Summarizes the last seen object in the timeout message. */
  describe?: (obj: T | undefined) => string;
}

/**
 * Waits, bounded, until a watched object satisfies a condition: list + watch (an informer), no
 * polling. Rejects with {@link WaitTimeoutError} showing the last state seen.
 */
export async function waitFor<T extends KubernetesObject>(o: WaitOptions<T>): Promise<T | undefined> {
  const informer = new ListWatch<T>(o.path, new Watch(o.kubeConfig), o.list, false, undefined, o.fieldSelector);
  let last: T | undefined;
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        const seen = o.describe ? o.describe(last) : JSON.stringify(last?.metadata?.name ?? 'nothing');
        reject(new WaitTimeoutError(`timed out after ${o.timeoutMs} ms waiting for ${o.what}; last seen: ${seen}`));
      }, o.timeoutMs);
      const check = (obj: T | undefined): void => {
        last = obj;
        if (o.until(obj)) {
          clearTimeout(timer);
          resolve(obj);
        }
      };
      informer.on('add', check);
      informer.on('update', check);
      informer.on('delete', () => check(undefined));
      informer.on('error', (err) => {
        // A dropped watch is restarted; the overall timeout still bounds the wait.
        setTimeout(() => void informer.start().catch(() => undefined), 200).unref();
        void err;
      });
      informer
        .start()
        .then(() => {
          const items = informer.list();
          for (const obj of items.length > 0 ? items : [undefined]) {
            check(obj);
          }
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        });
    });
  } finally {
    await informer.stop();
  }
}

/** Short pod summary for timeout messages: phase, conditions, container states. */
export function describePod(pod: V1Pod | undefined): string {
  if (!pod) {
    return 'pod does not exist';
  }
  const s = pod.status;
  const conds = (s?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? `(${c.reason}: ${c.message ?? ''})` : ''}`).join(', ');
  const cs = (s?.containerStatuses ?? []).map((c) => `${c.name}: ${JSON.stringify(c.state)}`).join('; ');
  return `phase=${s?.phase} node=${pod.spec?.nodeName ?? '-'} deleting=${pod.metadata?.deletionTimestamp ? 'yes' : 'no'} conditions=[${conds}] containers=[${cs}]`;
}

/** Waits for a pod to satisfy `until` (undefined = the pod is gone). */
export function waitForPod(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
  until: (pod: V1Pod | undefined) => boolean,
  timeoutMs = 30_000,
  what = `pod ${namespace}/${name}`
): Promise<V1Pod | undefined> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const fieldSelector = `metadata.name=${name}`;
  return waitFor<V1Pod>({
    kubeConfig,
    path: `/api/v1/namespaces/${namespace}/pods`,
    list: () => core.listNamespacedPod({ namespace, fieldSelector }),
    fieldSelector,
    until,
    timeoutMs,
    what,
    describe: describePod
  });
}

/** Waits until a pod reached a terminal phase; returns it. */
export async function waitForPodDone(kubeConfig: KubeConfig, namespace: string, name: string, timeoutMs = 30_000): Promise<V1Pod> {
  const pod = await waitForPod(kubeConfig, namespace, name, (p) => p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed', timeoutMs, `pod ${namespace}/${name} to finish`);
  return pod as V1Pod;
}

/** Waits until a pod is Running with all containers ready; returns it. */
export async function waitForPodReady(kubeConfig: KubeConfig, namespace: string, name: string, timeoutMs = 30_000): Promise<V1Pod> {
  const pod = await waitForPod(
    kubeConfig,
    namespace,
    name,
    (p) => p?.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    timeoutMs,
    `pod ${namespace}/${name} to be Ready`
  );
  return pod as V1Pod;
}

/** Waits until a node is Ready and carries no `node.kubernetes.io/*` taint (not-ready, unreachable). */
export async function waitForNodeReady(kubeConfig: KubeConfig, name: string, timeoutMs = 60_000): Promise<V1Node> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const fieldSelector = `metadata.name=${name}`;
  const node = await waitFor<V1Node>({
    kubeConfig,
    path: '/api/v1/nodes',
    list: () => core.listNode({ fieldSelector }),
    fieldSelector,
    until: (n) =>
      (n?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') &&
      !(n?.spec?.taints ?? []).some((t) => t.key.startsWith('node.kubernetes.io/')),
    timeoutMs,
    what: `node ${name} to be Ready and untainted`,
    describe: (n) => JSON.stringify({ conditions: n?.status?.conditions?.map((c) => [c.type, c.status]), taints: n?.spec?.taints })
  });
  return node as V1Node;
}
