/**
 * Browser tests on the Kubernetes backend: the stack of `npm start -- --demo-cluster` for one test
 * file — the cluster tests' control plane and node agent (test/cluster/support/useCluster), the
 * demo's nodes, tenant and gateway config (server/scripts/lib/demoConfig.mjs) with a gateway on the
 * Kubernetes backend, a JupyterLab in gateway mode in front of it (./lab.ts) and headless Chromium.
 * Call it once in the file's top `describe`; everything starts in `beforeAll` and stops in `afterAll`
 * (browser, JupyterLab, gateway, cluster, in that order).
 */
import { afterAll, beforeAll } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { DEMO_GPU_QUOTA, DEMO_NAMESPACE, demoGatewayYaml, demoNodes } from '../../../server/scripts/lib/demoConfig.mjs';
import { KUBERNETES_SECTION } from '../../cluster/support/sparkgate.js';
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
  readonly k8s: ClusterFixture;
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
  // browser and JupyterLab go before the gateway and the cluster.
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await lab?.stop();
    if (dir) {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  let t0 = 0;
  beforeAll(() => {
    t0 = Date.now();
  });
  const k8s = useCluster({
    nodes: demoNodes(options.gpus ?? 2),
    gateway: {
      config: demoGatewayYaml({ kubernetesSection: KUBERNETES_SECTION, users: [`{ name: ${USER}, tenant: default, token: ${GATEWAY_TOKEN} }`] }),
      tenants: { [DEMO_NAMESPACE]: { gpuQuota: DEMO_GPU_QUOTA } }
    }
  });

  // After useCluster's beforeAll (declaration order): the gateway is up.
  beforeAll(async () => {
    timings['start cluster + gateway'] = Date.now() - t0;
    dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-e2e-cluster-'));
    lab = await timed('start jupyterlab', () => startLab({ url: k8s.gw.url, token: GATEWAY_TOKEN }, dir!, LAB_TOKEN));
    context = await timed('start chromium', () => launchChromium(dir!, options.viewport ?? { width: 1440, height: 900 }));
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(60_000);
    page.on('pageerror', err => console.warn(`browser page error: ${err.message}`));
  }, START_TIMEOUT_MS);

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) {
      throw new Error(`useClusterLab: no ${what} (read before beforeAll)`);
    }
    return value;
  };
  return {
    k8s,
    get lab() {
      return started(lab, 'JupyterLab');
    },
    get context() {
      return started(context, 'browser');
    },
    get page() {
      return started(page, 'page');
    },
    call: (method, route, body) => k8s.call(GATEWAY_TOKEN, method, route, body)
  };
}
