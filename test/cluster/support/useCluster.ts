/**
 * One cluster per test file: `useCluster()` starts the control plane and node agent (and, when
 * asked, a sparkgate gateway with the Kubernetes backend) in `beforeAll` and stops them in
 * `afterAll`, gateway first. Call it in the file's top `describe`; read the handles inside tests.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from '../../../server/src/log.js';
import { startCluster, type Cluster, type ClusterOptions } from '../harness/index.js';
import { sparkgateClusterOptions, startK8sGateway, type K8sGateway } from './sparkgate.js';

/** The gateway a file runs against the cluster. */
export interface GatewaySetup {
  /** Its YAML config. */
  config: string;
  /** Tenant namespaces applied (manifests) before it starts, with their quotas. */
  tenants: Record<string, { gpuQuota?: number }>;
  /** Receives its log (default: silent unless SPARKGATE_TEST_LOG is set). */
  logger?: Logger;
  /** Grant the gateway read-only Nodes first, as the chart's `gateway.readNodes` does. */
  readNodes?: boolean;
}

export interface UseClusterOptions extends ClusterOptions {
  /** Start sparkgate too; the cluster then maps its driver and executor images (sparkgateClusterOptions). */
  gateway?: GatewaySetup;
  /** Map sparkgate's images without starting a gateway here (a file that runs gateway processes itself). */
  sparkgateImages?: boolean;
}

/** A JSON answer of the gateway; `body` is loose on purpose (tests read what they assert). */
export interface CallResult {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests index answers of many shapes
  body: Record<string, any>;
}

/** The file's running cluster; reading a handle before `beforeAll` has run throws. */
export interface ClusterFixture {
  readonly cluster: Cluster;
  readonly core: CoreV1Api;
  /** The gateway (only with `options.gateway`). */
  readonly gw: K8sGateway;
  /** Stops the gateway (its pods outlive it); `startGateway()` starts a new one from the same setup. */
  stopGateway(): Promise<void>;
  startGateway(): Promise<void>;
  /** One request to the gateway as `token`, JSON in and out. */
  call(token: string, method: string, route: string, body?: unknown): Promise<CallResult>;
}

const START_TIMEOUT_MS = 300_000;

export function useCluster(options: UseClusterOptions = {}): ClusterFixture {
  const { gateway: setup, sparkgateImages, ...clusterOptions } = options;
  let cluster: Cluster | undefined;
  let core: CoreV1Api | undefined;
  let gw: K8sGateway | undefined;
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) {
      throw new Error(`useCluster: no ${what} (read before beforeAll, or not asked for)`);
    }
    return value;
  };
  const startGateway = async (): Promise<K8sGateway> => {
    const { config, tenants, logger, readNodes } = started(setup, 'gateway setup');
    return startK8sGateway(started(cluster, 'cluster'), config, tenants, { ...(logger ? { logger } : {}), readNodes: readNodes === true });
  };

  beforeAll(async () => {
    cluster = await startCluster({ ...(setup || sparkgateImages ? await sparkgateClusterOptions() : {}), ...clusterOptions });
    core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    if (setup) {
      gw = await startGateway();
    }
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await gw?.stop();
    await cluster?.stop();
  }, setup ? 120_000 : 60_000);

  return {
    get cluster() {
      return started(cluster, 'cluster');
    },
    get core() {
      return started(core, 'cluster');
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
        throw new Error('useCluster: the gateway is already running');
      }
      gw = await startGateway();
    },
    async call(token, method, route, body) {
      const response = await fetch(started(gw, 'gateway').url + route, {
        method,
        headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as CallResult['body'] };
    }
  };
}
