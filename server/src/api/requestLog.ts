import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { redactUrl, type Logger } from '../log.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `requestLog`: the caller's `X-Request-Id` when well-formed, else a new one; echoed in the answer. */
    requestId?: string;
  }
}

/** Methods that only read: answered often (JupyterLab polls kernels and kernelspecs) and change nothing. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** An incoming request id is kept only if it is short and plain (it is copied into every line of the request). */
const REQUEST_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Routes that name a kernel: `/api/kernels/<id>…` and `/api/clusters/<id>…` (kernel ids are UUIDs). */
const KERNEL_IN_URL_RE = /\/api\/(?:kernels|clusters)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:[/?#]|$)/;

/** What every line about one request carries, as far as it is known: request id, user, tenant, kernel. */
export function requestContext(req: Pick<Request, 'requestId' | 'identity' | 'originalUrl'>): Record<string, string> {
  const context: Record<string, string> = {};
  if (req.requestId) {
    context.reqId = req.requestId;
  }
  if (req.identity) {
    context.user = req.identity.user;
    context.tenant = req.identity.tenant;
  }
  const kernel = KERNEL_IN_URL_RE.exec(req.originalUrl ?? '')?.[1];
  if (kernel) {
    context.kernel = kernel;
  }
  return context;
}

/**
 * Gives each request an id (`X-Request-Id`, echoed) and logs each response: error for 5xx, warn
 * for 4xx, and below 400 info for requests that change something (a kernel started, interrupted,
 * restarted, deleted: the trail an operator reads at the default level) but debug for reads, whose
 * polling would drown the log. Never logs headers; the URL's `token` query value is redacted.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const incoming = req.get('x-request-id');
    req.requestId = incoming !== undefined && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.requestId);
    // As sent: routers below rewrite req.url while they route.
    const url = redactUrl(req.originalUrl);
    res.on('finish', () => {
      const status = res.statusCode;
      const fields = {
        ...requestContext(req),
        method: req.method,
        path: req.path,
        url,
        status,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000
      };
      if (status >= 500) {
        logger.error('request', fields);
      } else if (status >= 400) {
        logger.warn('request', fields);
      } else if (READS.has(req.method)) {
        logger.debug('request', fields);
      } else {
        logger.info('request', fields);
      }
    });
    next();
  };
}
