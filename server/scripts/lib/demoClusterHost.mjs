#!/usr/bin/env node
// The demo cluster of `npm start -- --demo-cluster`, in a process of its own:
//
//   node server/scripts/lib/demoClusterHost.mjs <private dir> [gpus]
//
// Starts the cluster tests' control plane and node agent (test/cluster/harness: etcd,
// kube-apiserver, scheduler, controller-manager from the cached build; pods as host processes) with
// a CPU node and a fake-GPU node, the agent's fake DCGM exporter (GPU pods write their simulated use
// to $FAKE_GPU_STATE_DIR/<device id>) and a real Prometheus scraping it (harness/prometheus.ts, the
// cached build), applies the gateway's identity and the user's tenant, writes the gateway's
// kubeconfig and config (gpuMetrics on that Prometheus) into <dir>, and prints one line
// `sparkgate-demo-ready {json}`. SIGTERM/SIGINT, or its stdin closing (start.mjs gone, even by
// SIGKILL), stops Prometheus, then every cluster process, and removes the cluster's temp dir (which
// holds Prometheus' TSDB too).
//
// Why a process of its own: the control plane's processes are not in a group of their own, so in
// start.mjs's the terminal's Ctrl-C would kill the API server before the gateway could delete its
// pods; here (detached) it is stopped last, in order. Why a loader: the harness and agent are
// TypeScript run by jest's swc transform; test/bench/support/tsLoader.mjs (module.register) does the
// same transform on import with the installed @swc/core — no build step, no second copy of them.
import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { demoGatewayYaml, demoNodes, DEMO_GPU_QUOTA, DEMO_NAMESPACE, DEMO_SCRAPE_INTERVAL_SECONDS } from './demoConfig.mjs';

register('../../../test/bench/support/tsLoader.mjs', import.meta.url);

const [dir, gpusArg] = process.argv.slice(2);
if (!dir) {
  console.error('usage: demoClusterHost.mjs <dir> [gpus]');
  process.exit(2);
}
const gpus = gpusArg === undefined ? 2 : Number(gpusArg);
const TOKEN_SECONDS = 7 * 24 * 3600; // the gateway's service-account token outlives any demo session

const say = line => process.stdout.write(`${line}\n`);
const { startCluster, startPrometheus, applyTenant } = await import('../../../test/cluster/harness/index.ts');
const { sparkgateClusterOptions, applyGatewayIdentity, KUBERNETES_SECTION } = await import('../../../test/cluster/support/sparkgate.ts');
const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');

let cluster;
let prometheus;
let stopping;
function stop(code) {
  stopping ??= (async () => {
    try {
      // Before the cluster: its dir, which cluster.stop() removes, holds Prometheus' TSDB.
      await prometheus?.stop().catch(err => console.error(`sparkgate: stopping Prometheus: ${err instanceof Error ? err.message : String(err)}`));
      await cluster?.stop();
    } finally {
      process.exit(code);
    }
  })();
  return stopping;
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.stdin.on('end', () => void stop(0));
process.stdin.resume();

try {
  const started = Date.now();
  cluster = await startCluster({ ...(await sparkgateClusterOptions()), nodes: demoNodes(gpus), gpuExporter: true, log: say });
  prometheus = await startPrometheus({
    scrapeTargets: [cluster.gpuExporterTarget],
    scrapeIntervalSeconds: DEMO_SCRAPE_INTERVAL_SECONDS,
    dir: cluster.dir,
    log: say
  });
  await applyGatewayIdentity(cluster);
  await applyTenant(cluster, { namespace: DEMO_NAMESPACE, withGatewayRole: false, gpuQuota: DEMO_GPU_QUOTA, cpuQuota: 8, memoryQuota: '16Gi' });

  // The gateway talks to the API server as its own least-privilege service account, as deployed.
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: 'sparkgate',
    namespace: 'sparkgate',
    body: { spec: { audiences: [], expirationSeconds: TOKEN_SECONDS } }
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'demo', server: cluster.server, caFile: cluster.caFile, skipTLSVerify: false }],
    users: [{ name: 'sparkgate', token: request.status?.token ?? '' }],
    contexts: [{ name: 'gateway', cluster: 'demo', user: 'sparkgate' }],
    currentContext: 'gateway'
  });
  const kubeconfig = path.join(dir, 'gateway.kubeconfig');
  writeFileSync(kubeconfig, kc.exportConfig(), { mode: 0o600 }); // JSON is YAML
  const config = path.join(dir, 'gateway.yaml');
  writeFileSync(config, demoGatewayYaml({ kubernetesSection: KUBERNETES_SECTION, kubeconfig, prometheusUrl: prometheus.url }), { mode: 0o600 });
  const ready = {
    config,
    server: cluster.server,
    adminKubeconfig: cluster.kubeconfigPath,
    namespace: DEMO_NAMESPACE,
    gpus,
    prometheusUrl: prometheus.url,
    gpuExporterUrl: cluster.gpuExporterUrl,
    ms: Date.now() - started
  };
  say(`sparkgate-demo-ready ${JSON.stringify(ready)}`);
} catch (err) {
  console.error(`sparkgate: the demo cluster did not start: ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
}
