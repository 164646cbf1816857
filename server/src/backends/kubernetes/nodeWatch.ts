/**
 * `NodeWatch`: the cluster's schedulable nodes, from one informer over Nodes, when the gateway's
 * service account may list and watch them (the chart's optional ClusterRole). Without that
 * permission it says so once and stays empty: launches are then checked against quotas only, and
 * an impossible size waits as an unschedulable pod that names the cause.
 */
import { type CoreV1Api, ERROR, type KubeConfig, ListWatch, type V1Node, Watch } from '@kubernetes/client-node';
import type { Logger } from '../../log.js';
import { countedWatch } from '../../metrics/kubernetes.js';
import { type GatewayMetrics, NO_METRICS } from '../../metrics/types.js';
import { apiReason } from './apiErrors.js';
import { nodeShape, type NodeShape } from './nodes.js';

/** The calls behind the watch: the real client's, or fakes in tests. */
export interface NodeListWatchApi {
  /** One cheap list (limit 1) that says whether Nodes may be read at all. */
  probe(): Promise<void>;
  /** The informer over all Nodes, not yet started. */
  informer(): Pick<ListWatch<V1Node>, 'start' | 'stop' | 'list' | 'on'>;
}

/** The real calls on `kc`. */
export function kubeNodeApi(kc: KubeConfig, core: CoreV1Api, metrics: GatewayMetrics = NO_METRICS): NodeListWatchApi {
  return {
    probe: async () => {
      await core.listNode({ limit: 1 });
    },
    // ListWatch types the parameter as the class but calls nothing but `watch()`.
    informer: () => new ListWatch<V1Node>('/api/v1/nodes', countedWatch(new Watch(kc), metrics) as Watch, () => core.listNode(), false)
  };
}

export class NodeWatch {
  constructor(api: NodeListWatchApi, logger: Logger, metrics: Pick<GatewayMetrics, 'watchRestarted'> = NO_METRICS) {
    this._api = api;
    this._logger = logger;
    this._metrics = metrics;
  }

  /** Starts the informer if Nodes may be read; never rejects. */
  async start(): Promise<void> {
    try {
      await this._api.probe();
    } catch (error) {
      this._logger.info('nodes cannot be read: launch sizes are checked against tenant quotas only (grant the gateway list/watch on nodes to check them against the largest node)', {
        cause: apiReason(error)
      });
      return;
    }
    if (this._stopped) {
      return;
    }
    const informer = this._api.informer();
    // The informer re-lists and re-watches by itself; a failure only makes the view stale meanwhile.
    informer.on(ERROR, (error: unknown) => {
      this._logger.debug('node watch error', { cause: apiReason(error) });
      this._metrics.watchRestarted('nodes');
    });
    this._informer = informer;
    await informer.start().catch((error: unknown) => this._logger.warn('node watch did not start', { cause: apiReason(error) }));
  }

  /** Schedulable nodes now; null when the gateway cannot see nodes (no permission, not started). */
  shapes(): NodeShape[] | null {
    if (!this._informer) {
      return null;
    }
    return this._informer
      .list()
      .map(nodeShape)
      .filter((s): s is NodeShape => s !== null);
  }

  async stop(): Promise<void> {
    this._stopped = true;
    await this._informer?.stop();
  }

  private readonly _api: NodeListWatchApi;
  private readonly _logger: Logger;
  private readonly _metrics: Pick<GatewayMetrics, 'watchRestarted'>;
  private _informer: Pick<ListWatch<V1Node>, 'start' | 'stop' | 'list' | 'on'> | undefined;
  private _stopped = false;
}
