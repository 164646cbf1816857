import { EventEmitter } from 'node:events';
import { type CoreV1Api, type KubeConfig, ListWatch, type V1Pod, Watch } from '@kubernetes/client-node';
import type { Logger } from '../../log.js';
import { LABELS, MANAGED_SELECTOR } from './objects.js';

export interface PodWatchEvents {
  /** A managed pod was added, changed or deleted (`deleted` true) in a watched namespace. */
  pod: [pod: V1Pod, deleted: boolean];
}

/**
 * One informer (list + watch) per tenant namespace, selecting the pods sparkgate manages: drivers
 * and the executors Spark creates for them. Everything the backend knows about pods comes from
 * here, so the API server sees one watch per namespace however many kernels sit idle.
 */
export class PodWatch extends EventEmitter<PodWatchEvents> {
  constructor(
    private readonly _kc: KubeConfig,
    private readonly _core: CoreV1Api,
    private readonly _logger: Logger
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Starts watching `namespace` (once) and resolves when its first list is in the cache. */
  watch(namespace: string): Promise<void> {
    let entry = this._informers.get(namespace);
    if (!entry) {
      const informer = new ListWatch<V1Pod>(
        `/api/v1/namespaces/${namespace}/pods`,
        new Watch(this._kc),
        () => this._core.listNamespacedPod({ namespace, labelSelector: MANAGED_SELECTOR }),
        false,
        MANAGED_SELECTOR
      );
      informer.on('add', pod => this.emit('pod', pod, false));
      informer.on('update', pod => this.emit('pod', pod, false));
      informer.on('delete', pod => this.emit('pod', pod, true));
      informer.on('error', (error: unknown) => {
        if (this._stopped) {
          return;
        }
        // ListWatch stops on errors (API server restart, expired resourceVersion): re-list after a pause.
        this._logger.warn('pod watch failed; restarting', { namespace, error: String(error) });
        setTimeout(() => void informer.start().catch(() => undefined), 1000).unref();
      });
      entry = { informer, started: informer.start() };
      entry.started.catch(() => this._informers.delete(namespace));
      this._informers.set(namespace, entry);
    }
    return entry.started;
  }

  pod(namespace: string, name: string): V1Pod | undefined {
    return this._informers.get(namespace)?.informer.get(name, namespace);
  }

  /** Managed pods of a namespace with the given component label (`driver` or `executor`). */
  list(namespace: string, component: 'driver' | 'executor', kernelId?: string): V1Pod[] {
    const informer = this._informers.get(namespace)?.informer;
    if (!informer) {
      return [];
    }
    return informer
      .list(namespace)
      .filter(p => p.metadata?.labels?.[LABELS.component] === component && (kernelId === undefined || p.metadata?.labels?.[LABELS.kernelId] === kernelId));
  }

  async dispose(): Promise<void> {
    this._stopped = true;
    await Promise.all([...this._informers.values()].map(e => e.informer.stop().catch(() => undefined)));
    this._informers.clear();
  }

  private readonly _informers = new Map<string, { informer: ListWatch<V1Pod>; started: Promise<void> }>();
  private _stopped = false;
}
