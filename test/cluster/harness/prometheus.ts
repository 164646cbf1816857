import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrometheus } from '../prombin/build.mjs';
import { startComponent, type Component } from './component.js';
import { ComponentStartError } from './errors.js';
import { get } from './http.js';
import { freePort } from './ports.js';

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  /** `host:port` targets scraped at `/metrics` (e.g. `cluster.gpuExporterTarget`). */
  scrapeTargets: string[];
  /** Scrape (and evaluation) interval. Default 1 s, so a test sees a change within about a second. */
  scrapeIntervalSeconds?: number;
  /** Folder for its config, TSDB and log (`<dir>/prometheus/`), e.g. `cluster.dir` (removed by `cluster.stop()`). */
  dir: string;
  /** Job name of the scrape config. Default `dcgm-exporter`. */
  jobName?: string;
  /** Prebuilt binary. Default: the cached build, built now if missing. */
  binary?: string;
  /** Bound on each start, in ms. Default 60 s. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** One sample of an instant vector (`/api/v1/query`, resultType `vector`). */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A running Prometheus server on 127.0.0.1. */
export interface PrometheusServer {
  /** http://127.0.0.1:<port> (the same across stop/start). */
  url: string;
  port: number;
  logFile: string;
  /** True between a start and a stop. */
  readonly running: boolean;
  /** Stops it (SIGTERM; it flushes its head block); its URL then refuses connections. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same TSDB; resolves once `/-/ready` answers 200. */
  start(): Promise<void>;
  /** Runs an instant query and returns the vector; throws with Prometheus' error on anything else. */
  query(expr: string): Promise<PromSample[]>;
}

/**
 * Starts a real Prometheus (prombin/, built from the Go module proxy) on 127.0.0.1 with a free port, scraping
 * `scrapeTargets` every `scrapeIntervalSeconds`, and resolves once `/-/ready` answers 200. The process gets the
 * parent-death signal, so a crashed test runner leaves none behind.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const log = options.log ?? (() => undefined);
  const binary = options.binary ?? (await ensurePrometheus({ log }));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const home = path.join(options.dir, 'prometheus');
  await mkdir(path.join(home, 'data'), { recursive: true });
  const configFile = path.join(home, 'prometheus.yml');
  // JSON is YAML: no YAML writer needed.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [{ job_name: options.jobName ?? 'dcgm-exporter', metrics_path: '/metrics', static_configs: [{ targets: options.scrapeTargets }] }]
  };
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const logFile = path.join(home, 'prometheus.log');
  const timeoutMs = options.timeoutMs ?? 60_000;
  let port = 0;
  let component: Component | undefined;
  const launch = async (): Promise<void> => {
    const url = `http://127.0.0.1:${port}`;
    component = await startComponent({
      name: 'prometheus',
      command: binary,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(home, 'data')}`,
        '--storage.tsdb.retention.time=1h',
        `--web.listen-address=127.0.0.1:${port}`
      ],
      logFile,
      probe: async () => (await get(`${url}/-/ready`)).status === 200,
      timeoutMs
    });
  };
  // A port another process takes between pick and bind: try new ones, at most 3 times (as the control plane does).
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 3 || !(err instanceof ComponentStartError && /address already in use/.test(err.logTail))) {
        throw err;
      }
    }
  }
  const url = `http://127.0.0.1:${port}`;
  log(`prometheus: ready at ${url}, scraping ${options.scrapeTargets.join(', ')} every ${interval}`);
  return {
    url,
    port,
    logFile,
    get running() {
      return component !== undefined;
    },
    async stop() {
      const c = component;
      component = undefined;
      await c?.stop();
    },
    async start() {
      if (!component) {
        await launch();
      }
    },
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as { status: string; data?: { resultType: string; result: PromSample[] }; error?: string };
      if (body.status !== 'success' || body.data?.resultType !== 'vector') {
        throw new Error(`prometheus query ${expr}: ${res.status} ${body.error ?? JSON.stringify(body)}`);
      }
      return body.data.result;
    }
  };
}
