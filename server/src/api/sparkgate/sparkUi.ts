import { request as httpRequest } from 'node:http';
import { posix } from 'node:path';
import { Router } from 'express';
import { identityOf } from '../../auth/middleware.js';
import { NotFoundError, ServiceUnavailableError } from '../../errors.js';
import type { KernelManager } from '../../kernels/types.js';
import { assertKernelId } from '../rest/validate.js';

/** Request headers never forwarded to Spark: the user's credentials stay at the gateway. */
const DROPPED = new Set(['authorization', 'cookie', 'host', 'connection', 'x-forwarded-context', 'x-proxycontextpath', 'x-forwarded-prefix']);

/**
 * The Spark UI and its REST API of the caller's cluster under `ui/{kernel}/`. Spark builds its
 * links from `X-Forwarded-Context` (Spark's UIUtils.uiRoot), so the proxy sets it to the
 * browser-visible prefix: what jupyter-server-proxy says it is, plus `/ui/{kernel}`.
 */
export function sparkUiRouter(kernels: KernelManager, basePath: string): Router {
  const router = Router();
  router.get(['/ui/:id', '/ui/:id/*rest'], (req, res, next) => {
    const id = String(req.params.id);
    assertKernelId(id);
    const kernel = kernels.get(identityOf(req), id);
    const target = kernel.launched?.sparkUi;
    if (!target) {
      throw new NotFoundError(`kernel ${kernel.id} has no Spark UI (${kernel.profile.spark ? 'Spark is not running' : 'not a Spark kernel'})`);
    }
    if (req.params.rest === undefined && !req.path.endsWith('/')) {
      // `ui/{id}` → `ui/{id}/`, relative, so relative links inside the UI resolve under it.
      res.redirect(302, `${id}/`);
      return;
    }
    const outer = String(req.headers['x-forwarded-context'] ?? basePath).replace(/\/+$/, '');
    const prefix = `${outer}/ui/${kernel.id}`;
    const rest = req.originalUrl.slice(req.originalUrl.indexOf(`/ui/${kernel.id}`) + `/ui/${kernel.id}`.length) || '/';
    const sparkPath = new URL(rest, 'http://spark.invalid').pathname;
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !DROPPED.has(k.toLowerCase())));
    const upstream = httpRequest(
      `http://${target}${rest.startsWith('/') ? rest : `/${rest}`}`,
      { method: req.method, headers: { ...headers, 'x-forwarded-context': prefix }, timeout: 30_000 },
      response => {
        const location = response.headers.location;
        if (location) {
          // Spark redirects to its own root (http://host:port/jobs/). A Location relative to the
          // request stays under whatever prefix the browser used, behind any number of proxies
          // (jupyter-server-proxy would prefix an absolute path a second time).
          const url = new URL(location, `http://${target}`);
          if (url.host === target) {
            response.headers.location = relativeLocation(sparkPath, url.pathname) + url.search;
          }
        }
        res.status(response.statusCode ?? 502);
        for (const [key, value] of Object.entries(response.headers)) {
          if (value !== undefined && key !== 'connection' && key !== 'transfer-encoding') {
            res.setHeader(key, value);
          }
        }
        response.pipe(res);
      }
    );
    upstream.on('timeout', () => upstream.destroy(new Error('Spark UI did not answer in 30 s')));
    upstream.on('error', error => next(new ServiceUnavailableError(`Spark UI of kernel ${kernel.id} is unreachable: ${error.message}`)));
    upstream.end();
  });
  return router;
}

/** Exported for testing: `target` (a Spark path) relative to the directory of `from` (a Spark path). */
export function relativeLocation(from: string, target: string): string {
  const dir = from.endsWith('/') ? from : posix.dirname(from) + '/';
  const relative = posix.relative(dir, target) || '.';
  return target.endsWith('/') && !relative.endsWith('/') ? `${relative}/` : relative;
}
