// The demo cluster's shape, shared by `npm start -- --demo-cluster` (demoClusterHost.mjs) and the
// browser tests on the Kubernetes backend (test/e2e/support/clusterLab.ts): the nodes, the tenant
// and the gateway config. Plain ESM (types in demoConfig.d.mts) so both can import it.

/** The user's tenant namespace and its ResourceQuota's `requests.nvidia.com/gpu`. */
export const DEMO_NAMESPACE = 'sparkgate-demo';
export const DEMO_GPU_QUOTA = 2;

/**
 * Live GPU numbers of the demo: Prometheus scrapes the fake DCGM exporter every second and the
 * gateway asks it every 2 s, so a task's write to its GPU's state file shows in ~2-4 s.
 */
export const DEMO_SCRAPE_INTERVAL_SECONDS = 1;
export const DEMO_GPU_METRICS_INTERVAL_SECONDS = 2;

/** A CPU node and a node with `gpus` fake devices (nvidia.com/gpu capacity, no hardware). */
export function demoNodes(gpus = 2) {
  return [
    { name: 'cpu-1', cpu: '8', memory: '32Gi' },
    { name: 'gpu-1', cpu: '8', memory: '32Gi', gpus }
  ];
}

/**
 * The gateway's YAML: tenant `default` in DEMO_NAMESPACE, a CPU profile and a GPU profile whose two
 * executors hold one GPU each. `kubernetesSection` is the cluster tests' `kubernetes:` section
 * (test/cluster/support/sparkgate.ts KUBERNETES_SECTION), `kubeconfig` the gateway's own (optional:
 * an in-process gateway gets its KubeConfig directly); `users` (YAML list items) turn single-user
 * mode (SPARKGATE_TOKEN) into multi-user mode with the same tenant. `prometheusUrl` (a Prometheus
 * scraping the cluster's fake DCGM exporter) turns on live GPU numbers (`gpuMetrics`).
 */
export function demoGatewayYaml({ kubernetesSection, kubeconfig, users = [], prometheusUrl }) {
  return [
    '# sparkgate --demo-cluster: the test control plane, GPUs simulated',
    'simulatedGpus: true',
    ...(users.length > 0 ? ['users:', ...users.map(u => `  - ${u}`)] : []),
    'tenants:',
    `  default: { namespace: ${DEMO_NAMESPACE}, limits: { gpus: ${DEMO_GPU_QUOTA}, cores: 8, memory: 12g } }`,
    'profiles:',
    '  pyspark:',
    '    displayName: PySpark (CPU)',
    '    driver: { cores: 0.5, memory: 768m, gpus: 0 }',
    '    executors: { count: 1, cores: 1, memory: 512m, gpus: 0 }',
    '  pyspark-gpu:',
    '    displayName: PySpark on GPUs',
    '    driver: { cores: 0.5, memory: 768m, gpus: 0 }',
    '    executors: { count: 2, cores: 1, memory: 512m, gpus: 1 }',
    'kernels: { startTimeoutSeconds: 240, shutdownGraceSeconds: 10 }',
    ...(prometheusUrl ? [`gpuMetrics: { prometheusUrl: '${prometheusUrl}', intervalSeconds: ${DEMO_GPU_METRICS_INTERVAL_SECONDS} }`] : []),
    kubernetesSection.trim(),
    ...(kubeconfig ? [`  kubeconfig: ${kubeconfig}`] : []),
    ''
  ].join('\n');
}
