#!/usr/bin/env node
/**
 * The `sparkgate` command: the composition root. The only module that reads process.env, argv
 * and the filesystem for configuration, and constructs real clients.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { KubernetesBackend } from './backends/kubernetes/backend.js';
import { LocalBackend } from './backends/local/backend.js';
import type { Backend } from './backends/types.js';
import { parseArgs, USAGE } from './config/args.js';
import { ConfigError } from './config/errors.js';
import { loadConfig } from './config/load.js';
import type { GatewayConfig } from './config/types.js';
import { installCrashGuard } from './crashGuard.js';
import { createGateway } from './gateway.js';
import { presenceRefreshMs } from './fleet/culler.js';
import { configureZmq, createZmqChannels } from './channels/zmqChannels.js';
import { createLogger, type Logger } from './log.js';
import { countedApiClient } from './metrics/kubernetes.js';
import { PrometheusMetrics } from './metrics/prometheus.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Environment variables a local kernel inherits; nothing else (the gateway's token stays here). */
const KERNEL_ENV_ALLOWLIST = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'JAVA_HOME', 'SPARK_HOME', 'HADOOP_CONF_DIR'];

async function main(): Promise<void> {
  const flags = parseArgs(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const config = loadConfig({
    flags,
    env: process.env,
    readFile: file => readFileSync(file, 'utf8'),
    defaults: {
      python: path.join(repoRoot, '.venv', 'bin', 'python'),
      launcher: path.join(repoRoot, 'images', 'kernel', 'sparkgate_launcher.py'),
      workingDir: process.cwd(),
      version: readVersion(),
      // Stable across logins (unlike $XDG_RUNTIME_DIR), so a gateway restarted from another shell finds the records.
      runtimeDir: path.join(process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'), 'sparkgate', 'kernels')
    }
  });
  const logger = rootLogger(config);
  // 4 sockets per kernel: room for thousands of kernels per gateway process.
  configureZmq({ maxSockets: 16384 });
  // Made first: the Kubernetes clients count their requests in it.
  const metrics = new PrometheusMetrics({ perUserLabels: config.metrics?.perUserLabels ?? false });
  const gateway = createGateway({
    config,
    metrics,
    backend: await createBackend(config, logger, metrics),
    channels: createZmqChannels,
    logger,
    version: readVersion()
  });
  // Nothing uncaught ends the gateway silently (crashGuard.ts says what happens instead).
  installCrashGuard({ source: process, logger, metrics, stop: how => gateway.stop(how), exit: code => process.exit(code) });
  // Pods, and local kernels after a crash, outlive the gateway: take over the ones an earlier gateway process left running.
  const adopted = await gateway.kernels.adoptRunning();
  if (adopted > 0) {
    logger.info('adopted running kernels', { count: adopted });
  }
  const address = await gateway.listen();
  logger.info('sparkgate listening', { url: `http://${address.address}:${address.port}${config.basePath}`, backend: config.backend });

  const stop = (signal: string): void => {
    logger.info('stopping', { signal });
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    void gateway.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

async function createBackend(config: GatewayConfig, logger: Logger, metrics: PrometheusMetrics): Promise<Backend> {
  switch (config.backend) {
    case 'local':
      return new LocalBackend({
        ...config.local,
        baseEnv: Object.fromEntries(KERNEL_ENV_ALLOWLIST.flatMap(k => (process.env[k] ? [[k, process.env[k]]] : []))),
        logger: logger.child({ component: 'backend.local' })
      });
    case 'kubernetes': {
      const kubeConfig = new KubeConfig();
      try {
        if (config.kubernetes.kubeconfig) {
          kubeConfig.loadFromFile(config.kubernetes.kubeconfig);
        } else {
          // In a pod: its service account; elsewhere $KUBECONFIG or ~/.kube/config.
          kubeConfig.loadFromDefault();
        }
      } catch (error) {
        throw new ConfigError(`cannot load the Kubernetes configuration: ${(error as Error).message}`);
      }
      if (!kubeConfig.getCurrentCluster()) {
        throw new ConfigError('no Kubernetes cluster configured: set kubernetes.kubeconfig, KUBECONFIG, or run in a pod');
      }
      return new KubernetesBackend({
        config: config.kubernetes,
        kubeConfig,
        core: countedApiClient(kubeConfig, CoreV1Api, metrics),
        networking: countedApiClient(kubeConfig, NetworkingV1Api, metrics),
        metrics,
        namespaceOf: tenant => config.tenants[tenant]?.namespace ?? tenant,
        // Replicas need a kernel's open tabs only where its tenant culls idle kernels but spares connected ones.
        presenceRefreshMs: namespace => {
          const refresh = Object.values(config.tenants)
            .filter(t => t.namespace === namespace)
            .map(t => presenceRefreshMs(t.cull))
            .filter((ms): ms is number => ms !== null);
          return refresh.length > 0 ? Math.min(...refresh) : null;
        },
        logger: logger.child({ component: 'backend.kubernetes' })
      });
    }
  }
}

/** JSON lines on stderr, with `log.redact`'s paths redacted beside the built-in ones; a malformed path is a config error. */
function rootLogger(config: GatewayConfig): Logger {
  try {
    return createLogger({ level: config.logLevel, fields: { component: 'sparkgate' }, redact: config.logRedact ?? [] });
  } catch (error) {
    throw new ConfigError(`log.redact: ${(error as Error).message} (paths look like req.headers.cookie or a["b-c"].d)`);
  }
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(repoRoot, 'server', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `sparkgate failed to start: ${(error as Error).stack ?? String(error)}`;
  process.stderr.write(`sparkgate: ${message}\n`);
  process.exit(1);
});
