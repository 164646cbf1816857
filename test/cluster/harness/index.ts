// The cluster test harness in one import, for tests of the Kubernetes backend:
//   import { startCluster, waitForPodReady } from '../cluster/harness/index.js';
export { startCluster, DEFAULT_NODES, type Cluster, type ClusterOptions } from './cluster.js';
export { startStorageProvisioner, volumeFor, IMMEDIATE_STORAGE_CLASS, PROVISIONER, STORAGE_CLASS, type StorageProvisioner } from './storage.js';
export { startPrometheus, type PrometheusOptions, type PrometheusServer, type PromSample } from './prometheus.js';
export { ComponentStartError, ClusterHarnessError, WaitTimeoutError } from './errors.js';
export { createPod, gpuPod, markedGpuPod, markedPod, readLog, shellPod, GPU_TOLERATION } from './pods.js';
export { describePod, waitFor, waitForNodeReady, waitForPod, waitForPodDone, waitForPodReady, type WaitOptions } from './wait.js';
export type { ImageEntrypoints, NodeSpec, PodRecord } from '../agent/types.js';
export { GPU_TAINT } from '../agent/nodes.js';
export {
  applyGateway,
  applyGatewayRole,
  applyManifests,
  applyTenant,
  parseManifests,
  renderManifest,
  tenantVars,
  DEPLOY_DIR,
  FIELD_MANAGER,
  GATEWAY_MANIFEST,
  TENANT_MANIFEST,
  type GatewayOptions,
  type TenantOptions
} from './apply.js';
