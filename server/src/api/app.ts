import express, { Router, type Express } from 'express';
import { requireAuth } from '../auth/middleware.js';
import type { Authenticator } from '../auth/types.js';
import type { GatewayConfig } from '../config/types.js';
import type { KernelManager } from '../kernels/types.js';
import type { Logger } from '../log.js';
import type { PrometheusMetrics } from '../metrics/prometheus.js';
import { countErrors, metricsHandler } from '../metrics/route.js';
import { errorHandler, notFound } from './errorHandler.js';
import { kernelsRouter } from './rest/kernels.js';
import { kernelspecsRouter } from './rest/kernelspecs.js';
import { requestLog } from './requestLog.js';

export interface AppOptions {
  kernels: KernelManager;
  auth: Authenticator;
  config: Pick<GatewayConfig, 'basePath' | 'defaultProfile' | 'input' | 'backend' | 'metrics'> & Partial<Pick<GatewayConfig, 'tenants' | 'jupyterhub'>>;
  logger: Logger;
  version: string;
  /** Extra routers (sparkgate API, Spark UI proxy) mounted behind auth. */
  routers?: Router[];
  /** `GET /metrics` (README "Metrics") and errors counted by name; absent = no such route. */
  metrics?: PrometheusMetrics;
}

/** The gateway's HTTP API: Jupyter's gateway endpoints behind token auth, errors as `{reason, message}`. */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  const metrics = options.metrics;
  if (metrics) {
    // At the root whatever basePath is (scrapers ask /metrics), with its own token rule (metrics/route.ts).
    const multiTenant = Object.keys(options.config.tenants ?? {}).length > 1 || Boolean(options.config.jupyterhub);
    app.get('/metrics', metricsHandler({ metrics, auth: options.auth, multiTenant, ...(options.config.metrics ? { config: options.config.metrics } : {}) }));
  }

  const api = Router();
  // Kubernetes probes carry no token: a liveness answer that says nothing about kernels or users.
  api.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  api.use(requestLog(options.logger.child({ component: 'http' })));
  api.use(requireAuth(options.auth));
  // Parse every body as JSON whatever its Content-Type: clumsy clients get a clear 400, not a silent {}.
  api.use(express.json({ limit: options.config.input.maxBodyBytes, type: () => true, strict: true }));
  api.get('/api', (_req, res) => {
    res.json({ version: options.version, gateway: 'sparkgate', backend: options.config.backend });
  });
  api.use(kernelspecsRouter(options.kernels, options.config.defaultProfile));
  api.use(kernelsRouter(options.kernels));
  for (const router of options.routers ?? []) {
    api.use(router);
  }
  api.use(notFound);
  if (metrics) {
    api.use(countErrors(metrics));
  }
  api.use(errorHandler(options.logger.child({ component: 'errorHandler' })));

  app.use(options.config.basePath || '/', api);
  app.use(notFound);
  if (metrics) {
    app.use(countErrors(metrics));
  }
  app.use(errorHandler(options.logger.child({ component: 'errorHandler' })));
  return app;
}
