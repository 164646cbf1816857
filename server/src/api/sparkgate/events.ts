import type { ClusterModel } from './model.js';

/** socket.io events of the `/status` namespace (server → client). Shared vocabulary with the extension. */
export interface ServerToClientEvents {
  /** The user's clusters, sent once on connect. */
  clusters: (clusters: ClusterModel[]) => void;
  /** One cluster changed (state, phase, executors, job progress). */
  cluster: (cluster: ClusterModel) => void;
  /** A cluster was shut down. */
  'cluster:removed': (payload: { id: string }) => void;
}

/** Clients send nothing: what they see is decided by their token. */
export type ClientToServerEvents = Record<string, never>;

export type InterServerEvents = Record<string, never>;

export interface SocketData {
  user: string;
  tenant: string;
}

/** The room of one user's events. */
export function roomOf(identity: { user: string; tenant: string }): string {
  return `user:${identity.tenant}/${identity.user}`;
}
