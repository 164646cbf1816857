/**
 * Browser tests on the Kubernetes backend: the stack of `npm start -- --demo-cluster` for one test
 * file — the cluster tests' control plane and node agent (test/cluster/support/useCluster) with the
 * fake DCGM exporter, a real Prometheus scraping it (test/cluster/harness/prometheus.ts), the
 * demo's nodes, tenant and gateway config (server/scripts/lib/demoConfig.mjs) with a gateway on the
 * Kubernetes backend asking that Prometheus for live GPU numbers (`gpuMetrics`), a JupyterLab in
 * gateway mode in front of it (./lab.ts) and headless Chromium. Call it once in the file's top
 * `describe`; everything starts in `beforeAll` and stops in `afterAll` (browser, JupyterLab,
 * gateway, Prometheus, cluster, in that order).
 */
import { afterAll, beforeAll } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { DEMO_GPU_QUOTA, DEMO_NAMESPACE, DEMO_SCRAPE_INTERVAL_SECONDS, demoGatewayYaml, demoNodes } from '../../../server/scripts/lib/demoConfig.mjs';
import { startPrometheus, type PrometheusServer } from '../../cluster/harness/index.js';
import { KUBERNETES_SECTION, startK8sGateway, type K8sGateway } from '../../cluster/support/sparkgate.js';
import { useCluster, type CallResult, type ClusterFixture } from '../../cluster/support/useCluster.js';
import { launchChromium, startLab, type Lab } from './lab.js';

export const USER = 'ada';
export const GATEWAY_TOKEN = 'e2e-cluster-gateway-token-0123456789';
export const LAB_TOKEN = 'e2e-cluster-lab-token-0123456789';
export { DEMO_NAMESPACE };

export interface ClusterLabOptions {
  /** Fake GPUs of node gpu-1 (the demo has 2; fewer make the GPU profile's second executor wait). */
  gpus?: number;
  viewport?: { width: number; height: number };
  /** Step timings (ms) go here, read after the run. */
  timings?: Record<string, number>;
}

export interface ClusterLab {
  /** The cluster and the gateway (the fixture's `gw`, `call`, `stopGateway`/`startGateway` are this file's gateway). */
  readonly k8s: ClusterFixture;
  /** Prometheus scraping the cluster's fake DCGM exporter (`cluster.gpuExporterUrl`); the gateway's `gpuMetrics.prometheusUrl`. */
  readonly prometheus: PrometheusServer;
  readonly lab: Lab;
  readonly context: BrowserContext;
  readonly page: Page;
  /** One request to the gateway as the test's user. */
  call(method: string, route: string, body?: unknown): Promise<CallResult>;
}

const START_TIMEOUT_MS = 300_000;

export function useClusterLab(options: ClusterLabOptions = {}): ClusterLab {
  let lab: Lab | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let dir: string | undefined;
  let gw: K8sGateway | undefined;
  let prometheus: PrometheusServer | undefined;
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) {
      throw new Error(`useClusterLab: no ${what} (read before beforeAll)`);
    }
    return value;
  };
  const timings = options.timings ?? {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = Date.now() - t0;
    }
  };

  // Declared before useCluster's hooks: jest runs afterAll hooks in declaration order, so the
  // browser, JupyterLab, the gateway and Prometheus go before the cluster (whose dir holds
  // Prometheus' TSDB).
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await lab?.stop();
    await gw?.stop();
    gw = undefined;
    await prometheus?.stop();
    if (dir) {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  let t0 = 0;
  beforeAll(() => {
    t0 = Date.now();
  });
  // The gateway is started below, not by useCluster: its config names Prometheus' URL, known only
  // once Prometheus runs, and Prometheus needs the cluster's exporter address.
  const cluster = useCluster({ nodes: demoNodes(options.gpus ?? 2), gpuExporter: true, sparkgateImages: true });
  const setup = (): string =>
    demoGatewayYaml({
      kubernetesSection: KUBERNETES_SECTION,
      users: [`{ name: ${USER}, tenant: default, token: ${GATEWAY_TOKEN} }`],
      prometheusUrl: started(prometheus, 'Prometheus').url
    });
  const startGateway = (): Promise<K8sGateway> => startK8sGateway(cluster.cluster, setup(), { [DEMO_NAMESPACE]: { gpuQuota: DEMO_GPU_QUOTA } });

  // After useCluster's beforeAll (declaration order): the cluster is up.
  beforeAll(async () => {
    timings['start cluster'] = Date.now() - t0;
    // Chromium needs nothing of the rest: it starts meanwhile.
    dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-e2e-cluster-'));
    const browser = timed('start chromium', () => launchChromium(dir!, options.viewport ?? { width: 1440, height: 900 }));
    try {
      prometheus = await timed('start prometheus', () =>
        startPrometheus({ scrapeTargets: [cluster.cluster.gpuExporterTarget ?? ''], scrapeIntervalSeconds: DEMO_SCRAPE_INTERVAL_SECONDS, dir: cluster.cluster.dir })
      );
      gw = await timed('start gateway', startGateway);
      lab = await timed('start jupyterlab', () => startLab({ url: gw!.url, token: GATEWAY_TOKEN }, dir!, LAB_TOKEN));
    } finally {
      context = await browser;
    }
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(60_000);
    page.on('pageerror', err => console.warn(`browser page error: ${err.message}`));
  }, START_TIMEOUT_MS);

  const call = async (token: string, method: string, route: string, body?: unknown): Promise<CallResult> => {
    const response = await fetch(started(gw, 'gateway').url + route, {
      method,
      headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as CallResult['body'] };
  };
  const k8s: ClusterFixture = {
    get cluster() {
      return cluster.cluster;
    },
    get core() {
      return cluster.core;
    },
    get gw() {
      return started(gw, 'gateway');
    },
    async stopGateway() {
      await started(gw, 'gateway').stop();
      gw = undefined;
    },
    async startGateway() {
      if (gw) {
        throw new Error('useClusterLab: the gateway is already running');
      }
      gw = await startGateway();
    },
    call
  };
  return {
    k8s,
    get prometheus() {
      return started(prometheus, 'Prometheus');
    },
    get lab() {
      return started(lab, 'JupyterLab');
    },
    get context() {
      return started(context, 'browser');
    },
    get page() {
      return started(page, 'page');
    },
    call: (method, route, body) => call(GATEWAY_TOKEN, method, route, body)
  };
}
