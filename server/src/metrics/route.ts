/**
 * `GET /metrics` (README "Metrics"): Prometheus text for a scraper holding `metrics.token`, or for
 * a gateway token while the gateway serves one tenant; open without a token only when
 * `metrics.auth` is false. With several tenants a user's token is refused: the series count every
 * tenant's kernels and launches, and tenants see nothing of each other.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { tokenFrom } from '../auth/middleware.js';
import type { Authenticator } from '../auth/types.js';
import type { MetricsConfig } from '../config/types.js';
import { AuthenticationError, NotAllowedError } from '../errors.js';

/** What the route needs of the metrics: the exposition. */
export interface MetricsSource {
  expose(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsRouteOptions {
  metrics: MetricsSource;
  /** The gateway's authenticator: its tokens are accepted too. */
  auth: Authenticator;
  /** Absent = auth on, no scraper token. */
  config?: MetricsConfig;
  /** The gateway serves several tenants (config tenants or JupyterHub groups): users' tokens may not read it. */
  multiTenant?: boolean;
}

/** Whether `token` is the scraper's `metrics.token` (compared as SHA-256 digests, in constant time). */
export function isScraperToken(token: string, tokenSha256: Buffer | null): boolean {
  if (!tokenSha256) {
    return false;
  }
  return timingSafeEqual(createHash('sha256').update(token, 'utf8').digest(), tokenSha256);
}

/** The handler; a refusal is an `AuthenticationError` (401) for the error handler. */
export function metricsHandler(options: MetricsRouteOptions): RequestHandler {
  const config = options.config ?? { auth: true, tokenSha256: null, perUserLabels: false };
  return async (req, res) => {
    if (config.auth) {
      const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '');
      const token = tokenFrom(req.headers.authorization, query);
      if (!token) {
        throw new AuthenticationError(
          "missing token: /metrics needs 'Authorization: Bearer <token>' with metrics.token or a gateway token (or metrics.auth: false in the config)"
        );
      }
      if (!isScraperToken(token, config.tokenSha256)) {
        // Not the scraper's: a gateway token (a user's, or the single-user token) will do; else 401.
        await options.auth.authenticate(token);
        if (options.multiTenant) {
          throw new NotAllowedError(
            '/metrics counts the kernels and launches of every tenant, so user tokens may not read it on a gateway with several tenants: scrape it with metrics.token'
          );
        }
      }
    }
    const { contentType, body } = await options.metrics.expose();
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(body);
  };
}

/** Error middleware ahead of the error handler: counts each answered error by name, then passes it on. */
export function countErrors(metrics: { error(error: unknown): void }): ErrorRequestHandler {
  return (error: unknown, _req, _res, next) => {
    metrics.error(error);
    next(error);
  };
}
