import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, Router } from 'express';
import { createApp } from './api/app.js';
import { sparkgateRouter } from './api/sparkgate/routes.js';
import { sparkUiRouter } from './api/sparkgate/sparkUi.js';
import { attachStatusStream } from './api/sparkgate/status.js';
import { attachKernelWebsockets } from './api/ws/channels.js';
import { authenticatorFromConfig } from './auth/fromConfig.js';
import type { Authenticator } from './auth/types.js';
import type { Backend } from './backends/types.js';
import type { GatewayConfig } from './config/types.js';
import type { KernelChannelsFactory } from './channels/types.js';
import { Culler } from './fleet/culler.js';
import { Reaper } from './fleet/reaper.js';
import { gpuFeedOff, GpuPoller, type GpuFeed } from './gpu/feed.js';
import { prometheusClient } from './gpu/prometheus.js';
import { GatewayKernelManager } from './kernels/manager.js';
import type { Logger } from './log.js';
import { PrometheusMetrics } from './metrics/prometheus.js';

export interface GatewayDeps {
  config: GatewayConfig;
  backend: Backend;
  channels: KernelChannelsFactory;
  logger: Logger;
  version: string;
  /** Who may call, for REST, kernel websockets and socket.io alike; default: the config's tokens and, if configured, JupyterHub's. */
  authenticator?: Authenticator;
  /** What `GET /metrics` shows; default a new registry per gateway (main.ts makes it first, for the Kubernetes clients). */
  metrics?: PrometheusMetrics;
}

/** A running gateway: its HTTP server, kernels and an idempotent `stop()`. */
export interface Gateway {
  readonly server: Server;
  readonly kernels: GatewayKernelManager;
  readonly metrics: PrometheusMetrics;
  /** Listens on the configured host/port (port 0 picks one); resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /**
   * Stops accepting, closes websockets, shuts every kernel down (pods are let go), disposes the
   * backend. `keepKernels` (a crash; the process exits next) leaves every kernel running as it is,
   * for the next gateway to adopt (local ones with a runtime record, pods).
   */
  stop(options?: StopOptions): Promise<void>;
}

export interface StopOptions {
  keepKernels?: boolean;
}

/** Wires the gateway's parts; `main.ts` supplies real dependencies, tests may supply others. */
export function createGateway(deps: GatewayDeps): Gateway {
  const { config, logger } = deps;
  const auth = deps.authenticator ?? authenticatorFromConfig(config, { logger: logger.child({ component: 'auth' }) });
  const metrics = deps.metrics ?? new PrometheusMetrics({ perUserLabels: config.metrics?.perUserLabels ?? false });
  const kernels = new GatewayKernelManager({
    backend: deps.backend,
    channels: deps.channels,
    config,
    metrics,
    logger: logger.child({ component: 'kernels' })
  });
  metrics.observeKernels(() => kernels.all());
  kernels.on('changed', kernel => metrics.kernelChanged(kernel));
  kernels.on('removed', kernel => metrics.kernelRemoved(kernel.id));
  // Among replicas (Kubernetes), the Lease holder alone sweeps orphans and culls; one gateway always leads.
  const leadership = deps.backend.leadership;
  const isLeader = (): boolean => leadership?.isLeader() ?? true;
  // Idle culling (off unless some policy has idleSeconds > 0): each tenant's policy, else the global one.
  const culler = new Culler({
    isLeader,
    kernels,
    policyFor: tenant => config.tenants[tenant]?.cull ?? config.kernels.cull,
    policies: [config.kernels.cull, ...Object.values(config.tenants).map(t => t.cull)],
    logger: logger.child({ component: 'fleet.culler' }),
    metrics
  });
  culler.start();
  // One owner per request path: express must be the server's only 'request' listener when
  // socket.io attaches; engine.io then answers its own path and hands every other request on.
  // (express added after socket.io answered /socket.io/ polling requests too, and the second
  // answer crashed the process with ERR_HTTP_HEADERS_SENT; issue 10.)
  let app: Express | undefined;
  // A client that declares a body and never sends it must not hold a socket forever (408). These
  // time the *request* only: a response that waits for a slow launch is not cut short.
  const requestTimeout = config.input.requestTimeoutMs;
  const server = createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(20_000, requestTimeout),
      // How often expired requests are swept (node's default, 30 s, would double the timeout).
      connectionsCheckingInterval: Math.min(5000, Math.max(250, requestTimeout / 4))
    },
    (req, res) => app?.(req, res)
  );
  const socketPath = `${config.basePath}/socket.io`;
  const gpu = gpuFeed(config, deps.backend, kernels, logger.child({ component: 'gpu' }));
  const status = attachStatusStream({ server, kernels, auth, path: socketPath, logger: logger.child({ component: 'status' }), gpu });
  const routers: Router[] = [sparkgateRouter(kernels, config, () => deps.backend.nodeCapacity?.() ?? null), sparkUiRouter(kernels, config.basePath)];
  app = createApp({ kernels, auth, config, logger, version: deps.version, routers, metrics });
  const wss = attachKernelWebsockets({
    server,
    kernels,
    auth,
    basePath: config.basePath,
    maxMessageBytes: config.input.maxWsMessageBytes,
    maxBacklogBytes: config.input.maxWsBacklogBytes,
    logger: logger.child({ component: 'ws' }),
    metrics,
    passThrough: path => path.startsWith(`${socketPath}/`)
  });

  // Orphan sweeps start with listen(): after adoptRunning(), so adopted kernels count as known.
  const reaper = new Reaper({
    backend: deps.backend,
    namespaces: () => Object.values(config.tenants).map(t => t.namespace),
    known: () => new Set(kernels.all().map(k => k.id)),
    intervalMs: config.kernels.reap?.intervalMs ?? 300_000,
    logger: logger.child({ component: 'reaper' }),
    isLeader,
    metrics
  });

  let stopping: Promise<void> | undefined;
  return {
    server,
    kernels,
    metrics,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          // Kernels other replicas start from now on are adopted too (after main's adoptRunning()).
          kernels.watchRunning();
          // Warm pools fill after adoption, so adopted kernels count toward the tenants' limits first.
          kernels.startPools();
          // The first sweep waits for the first Lease attempt, so the leader sweeps at once on start.
          void (leadership?.start() ?? Promise.resolve()).then(() => reaper.start());
          resolve(server.address() as AddressInfo);
        });
      }),
    stop: (options = {}) =>
      (stopping ??= (async () => {
        server.close();
        culler.stop();
        await reaper.stop();
        await leadership?.stop();
        gpu.stop();
        await status.close();
        for (const client of wss.clients) {
          client.close(1001, options.keepKernels ? 'gateway restarting; reconnect' : 'gateway shutting down');
        }
        if (!options.keepKernels) {
          await kernels.dispose();
        } else {
          // Kept kernels are users'; unclaimed warm drivers are nobody's and go with their gateway.
          await kernels.disposePools();
        }
        await deps.backend.dispose();
        server.closeAllConnections();
      })())
  };
}

/**
 * Live GPU numbers from Prometheus (`gpuMetrics`), asked about pods: none without the config, and
 * none on the local backend (kernels are processes, executors their threads).
 */
function gpuFeed(config: GatewayConfig, backend: Backend, kernels: GatewayKernelManager, logger: Logger): GpuFeed {
  const g = config.gpuMetrics;
  if (!g) {
    return gpuFeedOff('not-configured');
  }
  if (backend.name !== 'kubernetes') {
    return gpuFeedOff('no-pods');
  }
  return new GpuPoller({
    client: prometheusClient({ url: g.prometheusUrl, timeoutMs: g.timeoutMs }),
    kernels,
    namespaceOf: tenant => config.tenants[tenant]?.namespace ?? null,
    intervalMs: g.intervalMs,
    logger
  });
}
