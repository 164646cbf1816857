/** Where a Kubernetes kernel's Spark secret is read from: the driver's and the executors' copy of one file. */
export interface SparkSecretFiles {
  driver: string;
  executor: string;
}

/**
 * Spark's RPC authentication and encryption for a driver with `master` (security.md "Authentication",
 * "Network Encryption"). Every connection to the driver's and block managers' ports must prove the
 * secret (auth engine v2, which also derives the session keys) and is then encrypted with AES/GCM,
 * which also rejects tampered or replayed frames (AES/CTR would not). GCM needs Spark ≥ 4.0.2: before
 * SPARK-56227 its decrypter dropped every message after the first on a connection, so executors never
 * got the driver's answer. Only the RPC layer: the UI is not covered.
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
    'spark.network.crypto.authEngineVersion': '2',
    // A peer that fails this protocol may not retry with SASL (DIGEST-MD5, which encrypts nothing here).
    'spark.network.crypto.saslFallback': 'false'
  };
  if (/^local(\[|$)/.test(master)) {
    return on;
  }
  if (master.startsWith('k8s://') && files) {
    return { ...on, 'spark.authenticate.secret.driver.file': files.driver, 'spark.authenticate.secret.executor.file': files.executor };
  }
  return {};
}

/**
 * What an executor JVM needs before it has the driver's conf (`JAVA_TOOL_OPTIONS` of its pod), or
 * null when the secret is not read from files. Spark 4.0's executors first fetch the driver's conf
 * over an authenticated connection, with a SecurityManager that reads only
 * `spark.authenticate.secret.file` and only when `spark.master` is `k8s://…` — neither of which
 * Spark passes to executor pods — so without these they fail with "A secret key must be specified".
 * The master is read only for that check; the driver's conf replaces it once fetched.
 */
export function executorBootstrapJavaOptions(master: string, files: SparkSecretFiles): string | null {
  if (Object.keys(sparkAuthConf(master, files)).every(k => !k.endsWith('.file'))) {
    return null;
  }
  return `-Dspark.master=${master} -Dspark.authenticate.secret.file=${files.executor}`;
}
