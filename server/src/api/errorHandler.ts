import type { ErrorRequestHandler, RequestHandler } from 'express';
import { describeError, NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import { requestContext } from './requestLog.js';

/** The JSON error body of every route: Jupyter's `{reason, message}` (GatewayClient shows `message`). */
export interface ErrorBody {
  reason: string;
  message: string;
}

/** Answers any error as its status and `{reason, message}` (`describeError`); logs only 5xx, with the stack and cause chain and the request's id, user, tenant and kernel. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, reason, message } = describeError(error);
    if (status >= 500) {
      logger.error('request failed', { ...requestContext(req), method: req.method, path: req.path, status, error });
    }
    const body: ErrorBody = { reason, message };
    res.status(status).json(body);
  };
}

/** 404 for routes that do not exist, in the same shape. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no route ${req.method} ${req.path}`));
};
