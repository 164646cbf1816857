/**
 * The gateway's typed error family. Every failure a caller can cause or see is one of these;
 * `api/errorHandler.ts` maps them to HTTP statuses in one place (`statusOf`).
 */
export class GatewayError extends Error {
  /** HTTP status this error maps to. */
  readonly statusCode: number = 500;
  /** What failed, as a stable word clients can tell cases apart by: the `reason` of error bodies. */
  readonly reason: string = 'InternalError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: a malformed or invalid request body, parameter or message. */
export class InputError extends GatewayError {
  override readonly statusCode = 400;
  override readonly reason: string = 'InvalidInput';
}

/** 401: missing or invalid token. */
export class AuthenticationError extends GatewayError {
  override readonly statusCode = 401;
  override readonly reason = 'AuthenticationFailed';
}

/** 403: authenticated, but not allowed to do this. */
export class NotAllowedError extends GatewayError {
  override readonly statusCode = 403;
  override readonly reason = 'NotAllowed';
}

/** 404: unknown resource, or one that belongs to someone else. */
export class NotFoundError extends GatewayError {
  override readonly statusCode = 404;
  override readonly reason = 'NotFound';
}

/** 409: the resource is busy (starting, restarting, shutting down). */
export class ConflictError extends GatewayError {
  override readonly statusCode = 409;
  override readonly reason = 'Conflict';
}

/** 413: request body over the configured limit. */
export class PayloadTooLargeError extends GatewayError {
  override readonly statusCode = 413;
  override readonly reason = 'PayloadTooLarge';
}

/** 403: the sizing asks for more than the tenant's limits or remaining quota allow. */
export class LimitExceededError extends GatewayError {
  override readonly statusCode = 403;
  override readonly reason: string = 'LimitExceeded';
}

/** 403: the namespace's ResourceQuota (the backstop behind the gateway's limits) refused the kernel. */
export class QuotaExceededError extends LimitExceededError {
  override readonly reason = 'QuotaExceeded';
}

/** 503: a dependency (the Kubernetes API, a kernel) cannot be reached. */
export class ServiceUnavailableError extends GatewayError {
  override readonly statusCode = 503;
  override readonly reason: string = 'ServiceUnavailable';
}

/** 503: no node can run the kernel's pod now; the message is the scheduler's reason. */
export class KernelUnschedulableError extends ServiceUnavailableError {
  override readonly reason = 'KernelUnschedulable';
}

/** 504: the kernel did not become ready in time. */
export class KernelStartTimeoutError extends GatewayError {
  override readonly statusCode = 504;
  override readonly reason = 'KernelStartTimeout';
}

/** 500: the kernel process failed to start or died during launch; the message carries its cause. */
export class KernelLaunchError extends GatewayError {
  override readonly statusCode = 500;
  override readonly reason = 'KernelLaunchFailed';
}

/** What a client is told about a failure: status, `reason` word and a message that says what to change. */
export interface ErrorDescription {
  status: number;
  reason: string;
  message: string;
}

/**
 * The one mapping from any thrown value to what the client sees, used by REST routes, websocket
 * upgrades and socket.io alike. Typed errors carry their own status and reason; errors from
 * express and body-parser carry a numeric `status` and a `type`; anything else is a 500 whose
 * message stays in the log (it may name internals).
 */
export function describeError(error: unknown): ErrorDescription {
  if (error instanceof GatewayError) {
    return { status: error.statusCode, reason: error.reason, message: error.message };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as { status?: unknown; type?: unknown; message?: unknown; limit?: unknown };
  switch (e.type) {
    case 'entity.too.large':
      return { status: 413, reason: 'PayloadTooLarge', message: `request body is larger than the ${String(e.limit)} byte limit; send a smaller body` };
    case 'entity.parse.failed':
      return { status: 400, reason: 'InvalidJson', message: `request body is not valid JSON: ${String(e.message)}` };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, reason: 'UnsupportedEncoding', message: 'request body must be UTF-8 JSON' };
    case 'request.aborted':
      return { status: 400, reason: 'RequestAborted', message: 'the client closed the request before its body arrived' };
    case 'request.size.invalid':
      return { status: 400, reason: 'InvalidInput', message: 'request body length does not match its Content-Length' };
  }
  if (error instanceof URIError) {
    return { status: 400, reason: 'InvalidInput', message: 'the URL has a malformed percent-escape; encode it with encodeURIComponent' };
  }
  const status = typeof e.status === 'number' && e.status >= 400 && e.status < 600 ? e.status : 500;
  if (status >= 500) {
    return { status, reason: 'InternalError', message: 'internal error; see the gateway log' };
  }
  return { status, reason: 'InvalidInput', message: typeof e.message === 'string' ? e.message : String(error) };
}

/** The HTTP status for any thrown value (see `describeError`). */
export function statusOf(error: unknown): number {
  return describeError(error).status;
}
