import type { RequestHandler } from 'express';
import type { Logger } from '../log.js';

/** Methods that only read: answered often (JupyterLab polls kernels and kernelspecs) and change nothing. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Logs each response: error for 5xx, warn for 4xx, and below 400 info for requests that change
 * something (a kernel started, interrupted, restarted, deleted: the trail an operator reads at the
 * default level) but debug for reads, whose polling would drown the log. Never logs headers or
 * query (tokens).
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const status = res.statusCode;
      const fields = {
        method: req.method,
        path: req.path,
        status,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        user: req.identity?.user
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
