/**
 * Counting Kubernetes API requests (`sparkgate_kubernetes_requests_total`): API clients are made
 * with an HTTP library that counts every request by verb, resource and status code, and watches
 * are counted when they open. Verb and resource come from the method and URL, as the API server's
 * own audit names them (`list pods`, `watch pods`, `update leases`), so the label sets stay bounded.
 */
import {
  type Configuration,
  createConfiguration,
  type HttpLibrary,
  type KubeConfig,
  Observable,
  type RequestContext,
  ServerConfiguration,
  setHeaderMiddleware,
  type Watch
} from '@kubernetes/client-node';
import type { GatewayMetrics } from './types.js';

type Count = Pick<GatewayMetrics, 'kubernetesRequest'>;

/** `pods`, `pods/log`, `leases`, `nodes`…: the resource (and subresource) a request path names; `other` for what does not parse. */
export function resourceOf(path: string): { resource: string; collection: boolean } {
  const segments = path.split('?')[0]!.split('/').filter(s => s !== '');
  // /api/v1/... or /apis/<group>/<version>/...
  let rest = segments[0] === 'api' ? segments.slice(2) : segments[0] === 'apis' ? segments.slice(3) : [];
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  if (resource === undefined || !/^[a-z0-9.-]{1,63}$/.test(resource) || (sub !== undefined && !/^[a-z0-9.-]{1,63}$/.test(sub))) {
    return { resource: 'other', collection: false };
  }
  return { resource: sub !== undefined ? `${resource}/${sub}` : resource, collection: name === undefined };
}

/** The Kubernetes verb of an HTTP request: get/list/watch, create, update, patch, delete/deletecollection. */
export function verbOf(method: string, url: string): string {
  const { collection } = resourceOf(new URL(url, 'http://api.invalid').pathname);
  const watch = /[?&]watch=(true|1)(&|$)/.test(url);
  switch (method.toUpperCase()) {
    case 'GET':
      return watch ? 'watch' : collection ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return collection ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase().replace(/[^a-z]/g, '') || 'other';
  }
}

/** Wraps an HTTP library so that each request it sends is counted once answered (or failed without an answer). */
export function countingHttpApi(inner: HttpLibrary, metrics: Count): HttpLibrary {
  return {
    send: (request: RequestContext) => {
      const url = request.getUrl();
      const verb = verbOf(request.getHttpMethod(), url);
      const { resource } = resourceOf(new URL(url, 'http://api.invalid').pathname);
      return new Observable(
        inner
          .send(request)
          .toPromise()
          .then(
            response => {
              metrics.kubernetesRequest(verb, resource, String(response.httpStatusCode));
              return response;
            },
            (error: unknown) => {
              metrics.kubernetesRequest(verb, resource, 'error');
              throw error;
            }
          )
      );
    }
  };
}

/** Like `kc.makeApiClient(Api)`, but every request the client makes is counted. */
export function countedApiClient<T>(kc: KubeConfig, api: new (configuration: Configuration) => T, metrics: Count): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new Error('No active cluster!');
  }
  const base = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    middleware: [setHeaderMiddleware('User-Agent', 'sparkgate')]
  });
  return new api({ ...base, httpApi: countingHttpApi(base.httpApi, metrics) });
}

/** A `Watch` whose opens are counted (verb `watch`; code 200, the error's `statusCode`/`code`, or `error`). */
export function countedWatch(watch: Pick<Watch, 'watch'>, metrics: Count): Pick<Watch, 'watch'> {
  return {
    watch: async (path, params, callback, done) => {
      const { resource } = resourceOf(path);
      try {
        const controller = await watch.watch(path, params, callback, done);
        metrics.kubernetesRequest('watch', resource, '200');
        return controller;
      } catch (error) {
        const e = (typeof error === 'object' && error !== null ? error : {}) as { statusCode?: unknown; code?: unknown };
        const code = typeof e.statusCode === 'number' ? e.statusCode : typeof e.code === 'number' ? e.code : 'error';
        metrics.kubernetesRequest('watch', resource, String(code));
        throw error;
      }
    }
  };
}
