/**
 * The Spark conf keys a profile's `sparkConf` may not set (issue 18): what the gateway sets and the
 * tenancy and security model depend on — where Spark runs and connects, which pods it makes and
 * under which identity, RPC secrets, sizing the tenant's limits check — and keys that have a
 * profile field of their own. Pure: config/profile.ts refuses them at start-up with the reason, the
 * conf builders drop them again before merging, so a profile can never override them.
 */

/** One owned key (`key`) or family (`key` ending in `*`: every key starting with what precedes it). */
interface OwnedKey {
  key: string;
  /** Why, after "set by the gateway". */
  why: string;
  /** The profile field to use instead (`packages`, `image.executor`…); absent: remove the key. */
  use?: string;
}

const CLUSTER = 'it points Spark at the cluster and runs the driver in client mode';
const ADDRESS = "the driver's address and ports are fixed: its Service and NetworkPolicy name them and the gateway proxies the Spark UI";
const OWNER = 'executors are named after and owned by the driver pod, so they go with it';
const TEMPLATE = "the gateway's executor pod template carries the executors' security context and Spark's secret";
const IDENTITY = "service accounts and API credentials are the gateway's";
const RPC = "Spark's RPC authentication and encryption are always on, with a secret per kernel";
const UI = 'the gateway reaches the Spark UI and its REST API over plain HTTP inside the cluster';
const LABELS = 'the gateway finds executors by these labels';
const SIZING = "sizing comes from the profile's driver and executors sections (and the launch), which the tenant's limits check";
// Spark's secret keys reach only the executors: the client-mode driver's pod is the gateway's.
const SECRETS = "the gateway mounts a profile's Secrets in the driver pod it builds and gives the executors the same";

const OWNED: readonly OwnedKey[] = [
  { key: 'spark.master', why: CLUSTER },
  { key: 'spark.submit.deployMode', why: CLUSTER },
  { key: 'spark.kubernetes.driver.master', why: CLUSTER },
  { key: 'spark.kubernetes.context', why: CLUSTER },
  { key: 'spark.kubernetes.namespace', why: "executors run in the tenant's namespace" },
  { key: 'spark.driver.host', why: ADDRESS },
  { key: 'spark.driver.bindAddress', why: ADDRESS },
  { key: 'spark.driver.port', why: ADDRESS },
  { key: 'spark.driver.blockManager.port', why: ADDRESS },
  { key: 'spark.blockManager.port', why: ADDRESS },
  { key: 'spark.ui.port', why: ADDRESS },
  { key: 'spark.port.maxRetries', why: ADDRESS },
  { key: 'spark.kubernetes.driver.pod.name', why: OWNER },
  { key: 'spark.kubernetes.executor.podNamePrefix', why: OWNER },
  { key: 'spark.kubernetes.executor.deleteOnTermination', why: OWNER },
  { key: 'spark.kubernetes.executor.podTemplateFile', why: TEMPLATE },
  { key: 'spark.kubernetes.executor.podTemplateContainerName', why: TEMPLATE },
  { key: 'spark.kubernetes.executor.pod.featureSteps', why: TEMPLATE },
  { key: 'spark.kubernetes.executor.pod.excludedFeatureSteps', why: TEMPLATE },
  { key: 'spark.kubernetes.authenticate.*', why: IDENTITY },
  { key: 'spark.authenticate*', why: RPC },
  { key: 'spark.network.crypto.*', why: RPC },
  { key: 'spark.ssl.*', why: UI },
  { key: 'spark.kubernetes.executor.label.app.kubernetes.io/*', why: LABELS },
  { key: 'spark.kubernetes.executor.label.sparkgate.io/*', why: LABELS },
  { key: 'spark.driver.memory', why: SIZING },
  { key: 'spark.driver.memoryOverhead*', why: SIZING },
  { key: 'spark.driver.cores', why: SIZING },
  { key: 'spark.driver.resource.*', why: SIZING },
  { key: 'spark.executor.memory', why: SIZING },
  { key: 'spark.executor.memoryOverhead*', why: SIZING },
  { key: 'spark.executor.pyspark.memory', why: SIZING },
  { key: 'spark.memory.offHeap.size', why: SIZING },
  { key: 'spark.kubernetes.memoryOverheadFactor', why: SIZING },
  { key: 'spark.executor.cores', why: SIZING },
  { key: 'spark.kubernetes.executor.request.cores', why: SIZING },
  { key: 'spark.kubernetes.executor.limit.cores', why: SIZING },
  { key: 'spark.executor.instances', why: SIZING },
  { key: 'spark.executor.resource.*', why: SIZING },
  { key: 'spark.task.resource.*', why: SIZING },
  { key: 'spark.dynamicAllocation.enabled', why: SIZING },
  { key: 'spark.dynamicAllocation.minExecutors', why: SIZING },
  { key: 'spark.dynamicAllocation.maxExecutors', why: SIZING },
  { key: 'spark.dynamicAllocation.initialExecutors', why: SIZING },
  { key: 'spark.kubernetes.executor.secrets.*', why: SECRETS, use: 'secrets' },
  { key: 'spark.kubernetes.executor.secretKeyRef.*', why: SECRETS, use: 'secrets' },
  { key: 'spark.kubernetes.driver.secrets.*', why: SECRETS, use: 'secrets' },
  { key: 'spark.kubernetes.driver.secretKeyRef.*', why: SECRETS, use: 'secrets' },
  { key: 'spark.kubernetes.container.image', why: "it is the profile's executor image", use: 'image.executor' },
  { key: 'spark.kubernetes.executor.container.image', why: "it is the profile's executor image", use: 'image.executor' },
  { key: 'spark.kubernetes.driver.container.image', why: "it is the profile's driver image", use: 'image.driver' },
  { key: 'spark.kubernetes.node.selector.*', why: "it is the executors' placement", use: 'executors.nodeSelector' },
  { key: 'spark.kubernetes.executor.node.selector.*', why: "it is the executors' placement", use: 'executors.nodeSelector' },
  { key: 'spark.kubernetes.driver.node.selector.*', why: "it is the driver's placement", use: 'driver.nodeSelector' },
  { key: 'spark.kubernetes.executor.volumes.*', why: "they are the profile's volumes", use: 'volumes' },
  { key: 'spark.kubernetes.driver.volumes.*', why: "they are the profile's volumes", use: 'volumes' },
  { key: 'spark.executorEnv.*', why: 'it reaches the driver and the executors', use: 'env' },
  { key: 'spark.jars.packages', why: 'Maven coordinates are checked there', use: 'packages' },
  { key: 'spark.jars.ivy', why: "the Ivy cache is the work dir or the profile's cache volume", use: 'ivyCacheVolume' }
];

/** The owned entry `key` falls under, or undefined when a profile may set it. */
function ownerOf(key: string): OwnedKey | undefined {
  return OWNED.find(o => (o.key.endsWith('*') ? key.startsWith(o.key.slice(0, -1)) : key === o.key));
}

/**
 * Why a profile may not set Spark conf `key`, worded to follow its path
 * (`…sparkConf.spark.master: set by the gateway (…); remove it`), naming the profile field to
 * use instead where there is one; null when a profile may set it.
 */
export function gatewayOwnedConfReason(key: string): string | null {
  const owned = ownerOf(key);
  if (!owned) {
    return null;
  }
  return owned.use ? `set by the gateway from the profile's ${owned.use} (${owned.why}); set that instead` : `set by the gateway (${owned.why}); remove it`;
}

/** Whether `key` is the gateway's (the conf builders drop such keys from a profile's conf). */
export function isGatewayOwnedConf(key: string): boolean {
  return ownerOf(key) !== undefined;
}

/** `conf` without the keys the gateway owns: what a profile's sparkConf may put over the gateway's. */
export function profileConfOver(conf: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(conf ?? {}).filter(([key]) => !isGatewayOwnedConf(key)));
}
