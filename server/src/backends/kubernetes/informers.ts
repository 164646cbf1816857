import { type CoreV1Api, type KubeConfig, type KubernetesListObject, ListWatch, type V1Pod, Watch } from '@kubernetes/client-node';
import { countedWatch } from '../../metrics/kubernetes.js';
import { type GatewayMetrics, NO_METRICS } from '../../metrics/types.js';
import { MANAGED_SELECTOR } from './labels.js';
import type { PodInformer } from './types.js';

/** The API calls behind the informers: the real client's, or fakes in tests. */
export interface ListWatchApi {
  /** Lists the pods of `namespace` matching `labelSelector` (the informer's first list and every re-list). */
  listFn: (namespace: string, labelSelector: string) => Promise<KubernetesListObject<V1Pod>>;
  /** Opens watch requests; the k8s client's `Watch` is one (only its `watch` method is used). */
  watch: Pick<Watch, 'watch'>;
  /** ListWatch's own wait before re-opening a watch that ended after progress. Default its timer. */
  delayFn?: (ms: number) => Promise<void>;
}

/** The real calls: `listNamespacedPod` and a `Watch` on `kc` (its opens counted in `metrics`). */
export function kubeListWatchApi(kc: KubeConfig, core: CoreV1Api, metrics: GatewayMetrics = NO_METRICS): ListWatchApi {
  return {
    listFn: (namespace, labelSelector) => core.listNamespacedPod({ namespace, labelSelector }),
    watch: countedWatch(new Watch(kc), metrics)
  };
}

/** Informers (the k8s client's `ListWatch`) over sparkgate's pods, one per namespace, not yet started. */
export function listWatchInformers(api: ListWatchApi): (namespace: string) => PodInformer {
  return namespace =>
    new ListWatch<V1Pod>(
      `/api/v1/namespaces/${namespace}/pods`,
      // ListWatch types the parameter as the class but calls nothing but `watch()`.
      api.watch as Watch,
      () => api.listFn(namespace, MANAGED_SELECTOR),
      false,
      MANAGED_SELECTOR,
      undefined,
      api.delayFn ? { delayFn: api.delayFn } : undefined
    );
}
