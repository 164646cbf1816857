import type { RequestHandler } from 'express';
import type { Logger } from '../log.js';

/** Logs each response: debug below 400 (not to drown the log), warn for 4xx, error for 5xx. Never logs headers or query (tokens). */
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
      } else {
        logger.debug('request', fields);
      }
    });
    next();
  };
}
