/**
 * The socket.io `/status` namespace, both directions, as socket.io typed-event maps: the gateway's
 * `Server<ClientToServerEvents, ServerToClientEvents, …>` and the extension's
 * `Socket<ServerToClientEvents, ClientToServerEvents>` use the same maps, so an event one side
 * listens for and the other never sends is a type error.
 */

import type { ClusterModel } from './cluster.js';
import type { GpuMetrics } from './gpu.js';
import type { CellProgress } from './progress.js';

/** The namespace of live cluster status. */
export const STATUS_NAMESPACE = '/status';

/** `cluster:removed` payload. */
export interface ClusterRemoved {
  id: string;
}

/** What the gateway emits on `/status`: only the connected user's clusters. */
export interface ServerToClientEvents {
  /** The user's clusters, sent once on every connect (so a reconnect needs no repair). */
  clusters: (clusters: ClusterModel[]) => void;
  /** One cluster changed (state, launch phase, executors, job progress). */
  cluster: (cluster: ClusterModel) => void;
  /** A cluster was shut down. */
  'cluster:removed': (payload: ClusterRemoved) => void;
  /** The Spark jobs of one running cell changed, or the cell finished (`running: false`, final). */
  'cell:progress': (progress: CellProgress) => void;
  /** Live GPU use of one cluster, each poll interval while the user is connected; or why there is none. */
  'gpu:metrics': (metrics: GpuMetrics) => void;
}

/** Clients send nothing: what they see is decided by their token. */
export type ClientToServerEvents = Record<string, never>;
