/**
 * The gateway's typed error family. Every failure a caller can cause or see is one of these;
 * `api/errorHandler.ts` maps them to HTTP statuses in one place (`statusOf`).
 */
export class GatewayError extends Error {
  /** HTTP status this error maps to. */
  readonly statusCode: number = 500;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: a malformed or invalid request body, parameter or message. */
export class InputError extends GatewayError {
  override readonly statusCode = 400;
}

/** 401: missing or invalid token. */
export class AuthenticationError extends GatewayError {
  override readonly statusCode = 401;
}

/** 403: authenticated, but not allowed to do this. */
export class NotAllowedError extends GatewayError {
  override readonly statusCode = 403;
}

/** 404: unknown resource, or one that belongs to someone else. */
export class NotFoundError extends GatewayError {
  override readonly statusCode = 404;
}

/** 409: the resource is busy (starting, restarting, shutting down). */
export class ConflictError extends GatewayError {
  override readonly statusCode = 409;
}

/** 413: request body over the configured limit. */
export class PayloadTooLargeError extends GatewayError {
  override readonly statusCode = 413;
}

/** 403: the sizing asks for more than the tenant's limits or remaining quota allow. */
export class LimitExceededError extends GatewayError {
  override readonly statusCode = 403;
}

/** 503: a dependency (the Kubernetes API, a kernel) cannot be reached. */
export class ServiceUnavailableError extends GatewayError {
  override readonly statusCode = 503;
}

/** 503: no node can run the kernel's pod now; the message is the scheduler's reason. */
export class KernelUnschedulableError extends ServiceUnavailableError {}

/** 504: the kernel did not become ready in time. */
export class KernelStartTimeoutError extends GatewayError {
  override readonly statusCode = 504;
}

/** 500: the kernel process failed to start or died during launch; the message carries its cause. */
export class KernelLaunchError extends GatewayError {
  override readonly statusCode = 500;
}

const STATUS_BY_NAME: Readonly<Record<string, number>> = {
  InputError: 400,
  AuthenticationError: 401,
  NotAllowedError: 403,
  LimitExceededError: 403,
  NotFoundError: 404,
  ConflictError: 409,
  PayloadTooLargeError: 413,
  ServiceUnavailableError: 503,
  KernelStartTimeoutError: 504
};

/**
 * The HTTP status for any thrown value: a numeric `statusCode`/`status` first (express and
 * body-parser errors carry `status`), then the error's name, else 500.
 */
export function statusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const record = error as { statusCode?: unknown; status?: unknown; name?: unknown };
    for (const candidate of [record.statusCode, record.status]) {
      if (typeof candidate === 'number' && candidate >= 400 && candidate < 600) {
        return candidate;
      }
    }
    if (typeof record.name === 'string' && record.name in STATUS_BY_NAME) {
      return STATUS_BY_NAME[record.name] ?? 500;
    }
  }
  return 500;
}
