/** Where a Kubernetes kernel's Spark secret is read from: the driver's and the executors' copy of one file. */
export interface SparkSecretFiles {
  driver: string;
  executor: string;
}

/**
 * Spark's RPC authentication and encryption for a driver with `master` (security.md "Authentication",
 * "Network Encryption"). Every connection to the driver's and block managers' ports must prove the
 * secret (auth engine v2) and is then encrypted with AES-GCM, which also detects tampering (the
 * default AES/CTR does not). Only the RPC layer: the UI is not covered.
 *
 * - `k8s://`: the secret is read from `files`. Without them Spark makes one and writes it into every
 *   executor pod spec as the plain env value `_SPARK_AUTH_SECRET`, readable by anyone who may list pods.
 * - `local…`: Spark makes the secret itself and keeps it in memory (there are no remote executors,
 *   but the driver's ports still listen). Secret files are refused outside Kubernetes mode.
 * - any other master: nothing — Spark would need the secret in its conf and the gateway cannot give
 *   it to executors it does not start.
 */
export function sparkAuthConf(master: string, files: SparkSecretFiles | null): Record<string, string> {
  const on = {
    'spark.authenticate': 'true',
    'spark.network.crypto.enabled': 'true',
    'spark.network.crypto.cipher': 'AES/GCM/NoPadding',
    'spark.network.crypto.authEngineVersion': '2'
  };
  if (/^local(\[|$)/.test(master)) {
    return on;
  }
  if (master.startsWith('k8s://') && files) {
    return { ...on, 'spark.authenticate.secret.driver.file': files.driver, 'spark.authenticate.secret.executor.file': files.executor };
  }
  return {};
}
