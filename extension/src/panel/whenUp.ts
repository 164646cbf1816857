/**
 * Waiting for a launched cluster to come up, or to fail: the part of a launch between the
 * gateway accepting it and the notebook opening. No DOM and no JupyterLab runtime, so it is unit
 * tested with a real {@link ClusterStore} on a fake socket.
 */

import type { IClusterModel } from '../api';
import type { SparkgateClient } from '../client';
import type { ClusterStore } from '../store';

/**
 * The cluster failed, died or was shut down before it came up. `message` is the gateway's reason
 * (e.g. "0/2 nodes are available: 2 Insufficient nvidia.com/gpu").
 */
export class LaunchFailedError extends Error {
  constructor(message: string, cluster: IClusterModel) {
    super(message);
    this.name = 'LaunchFailedError';
    this.cluster = cluster;
  }

  /** The cluster as last seen (state `failed`/`dead`, or the last state before it vanished). */
  readonly cluster: IClusterModel;
}

/** Inputs of {@link whenUp}. */
export interface IWhenUpOptions {
  client: Pick<SparkgateClient, 'getCluster'>;
  store: Pick<ClusterStore, 'get' | 'upsert' | 'changed' | 'connection'>;
  id: string;
  /** Re-read interval over REST while live status is down. */
  pollIntervalMs: number;
}

/** Said when a launching cluster vanishes from the list (shut down from another tab, say). */
export const GONE_MESSAGE = 'the cluster was shut down before it was ready';

/**
 * Resolves with the cluster once it is `ready` or `busy`; rejects with {@link LaunchFailedError}
 * once it is `failed` or `dead`, or gone. Follows the store's live events, and re-reads the
 * cluster over REST while live status is down (the gateway's own launch timeout bounds the wait).
 */
export function whenUp(options: IWhenUpOptions): Promise<IClusterModel> {
  const { client, store, id } = options;
  let last = store.get(id);
  return new Promise<IClusterModel>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    let settled = false;
    const finish = (err: Error | null, c?: IClusterModel): void => {
      if (settled) {
        return;
      }
      settled = true;
      store.changed.disconnect(check);
      clearTimeout(timer);
      if (err) {
        reject(err);
      } else if (c) {
        resolve(c);
      }
    };
    const check = (): void => {
      const c = store.get(id);
      if (!c) {
        if (last) {
          finish(new LaunchFailedError(GONE_MESSAGE, last));
        }
        return;
      }
      last = c;
      if (c.state === 'ready' || c.state === 'busy') {
        finish(null, c);
      } else if (c.state === 'failed' || c.state === 'dead') {
        finish(new LaunchFailedError(c.reason ?? c.driver.reason ?? 'the cluster failed to start', c));
      }
    };
    const poll = (): void => {
      timer = setTimeout(() => {
        if (settled) {
          return;
        }
        if (store.connection === 'connected') {
          poll();
          return;
        }
        client.getCluster(id).then(
          c => {
            store.upsert([c]);
            poll();
          },
          (err: unknown) => {
            if ((err as { status?: unknown }).status === 404 && last) {
              finish(new LaunchFailedError(GONE_MESSAGE, last));
            } else {
              // Gateway unreachable: keep trying.
              poll();
            }
          }
        );
      }, options.pollIntervalMs);
    };
    store.changed.connect(check);
    check();
    poll();
  });
}
