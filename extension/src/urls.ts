/**
 * Where the sparkgate API lives, derived from the Jupyter server's base URL.
 *
 * jupyter-server-proxy forwards `<baseUrl>sparkgate/...` to the gateway (adding the user's gateway
 * token), so everything the extension calls is same-origin under that prefix. Pure: callers pass
 * `ServerConnection.ISettings.baseUrl` (never `PageConfig.getBaseUrl()`, STYLE.md §14).
 */

import { STATUS_NAMESPACE } from '@sparkgate/contract';

import type { IClusterModel } from './api';

/** Path segment jupyter-server-proxy serves the gateway under. */
export const SPARKGATE_PREFIX = 'sparkgate/';

/** `<baseUrl>sparkgate/` with exactly one slash between the parts. */
export function sparkgateRoot(baseUrl: string): string {
  return baseUrl.endsWith('/') ? `${baseUrl}${SPARKGATE_PREFIX}` : `${baseUrl}/${SPARKGATE_PREFIX}`;
}

/**
 * `<baseUrl>sparkgate/api/<segments...>`, each segment URI-encoded (cluster ids come from the
 * server, but they still must not be able to change the path).
 */
export function apiUrl(baseUrl: string, ...segments: string[]): string {
  const tail = segments.map(s => encodeURIComponent(s)).join('/');
  return `${sparkgateRoot(baseUrl)}api${tail ? `/${tail}` : ''}`;
}

/** Where to point `io()` for live status. */
export interface ISocketTarget {
  /** Origin plus the `/status` namespace: socket.io reads the namespace from the URL path. */
  url: string;
  /** Engine.io path: the Jupyter base path plus `sparkgate/socket.io`. */
  path: string;
}

/**
 * socket.io target for the `/status` namespace.
 *
 * #### Notes
 * socket.io treats the URL's path as the *namespace*, so the Jupyter base path must go into the
 * `path` option instead, or a server under `/user/alice/` would see namespace `/user/alice/status`.
 */
export function statusSocketTarget(baseUrl: string): ISocketTarget {
  const u = new URL(baseUrl);
  const basePath = u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`;
  return { url: `${u.origin}${STATUS_NAMESPACE}`, path: `${basePath}${SPARKGATE_PREFIX}socket.io` };
}

/** Absolute Spark UI link for a cluster, or `null` while it has none. */
export function sparkUiUrl(baseUrl: string, cluster: Pick<IClusterModel, 'sparkUi'>): string | null {
  if (!cluster.sparkUi) {
    return null;
  }
  // The gateway gives a path relative to the sparkgate root; refuse anything that tries to leave it.
  const rel = cluster.sparkUi.replace(/^\/+/, '');
  if (rel.split('/').some(part => part === '..') || /^[a-z][a-z0-9+.-]*:/i.test(rel)) {
    return null;
  }
  return `${sparkgateRoot(baseUrl)}${rel}`;
}
