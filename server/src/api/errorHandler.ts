import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { NotFoundError, statusOf } from '../errors.js';
import type { Logger } from '../log.js';

/** The JSON error body of every route: Jupyter's `{reason, message}` (GatewayClient shows `message`). */
export interface ErrorBody {
  reason: string;
  message: string;
}

/** Maps any error to its status and `{reason, message}`; logs only 5xx. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = statusOf(error);
    const message = messageOf(error, status);
    if (status >= 500) {
      logger.error('request failed', { method: req.method, path: req.path, status, error });
    }
    const body: ErrorBody = { reason: STATUS_CODES[status] ?? 'Error', message };
    res.status(status).json(body);
  };
}

/** 404 for routes that do not exist, in the same shape. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no route ${req.method} ${req.path}`));
};

function messageOf(error: unknown, status: number): string {
  const e = error as { type?: unknown; message?: unknown; limit?: unknown };
  // body-parser's errors carry a `type`; turn them into messages that say what to change.
  switch (e?.type) {
    case 'entity.too.large':
      return `request body is larger than the ${String(e.limit)} byte limit; send a smaller body`;
    case 'entity.parse.failed':
      return `request body is not valid JSON: ${String(e.message)}`;
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return 'request body must be UTF-8 JSON';
  }
  if (status >= 500 && !(error instanceof Error && error.name !== 'Error')) {
    return 'internal error; see the gateway log';
  }
  return error instanceof Error ? error.message : String(error);
}
