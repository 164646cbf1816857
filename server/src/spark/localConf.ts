import type { Sizing } from '../config/types.js';
import { sparkAuthConf } from './auth.js';
import { profileConfOver } from './ownedConf.js';

export interface LocalSparkConfInput {
  kernelId: string;
  user: string;
  sizing: Sizing;
  /** Port of this kernel's Spark UI on 127.0.0.1. */
  uiPort: number;
  /**
   * What the kernel's profile adds (issue 18): its sparkConf (never over a key the gateway owns)
   * and packages. Images, placement and volumes are Kubernetes-only; Ivy caches in the user's ~/.ivy2.
   */
  profile?: { sparkConf: Readonly<Record<string, string>>; packages: readonly string[] };
}

/**
 * Spark configuration of a local-backend driver: master `local[*]`, everything bound to loopback.
 * Pure: ids and ports come in as arguments.
 */
export function buildLocalSparkConf(input: LocalSparkConfInput): Record<string, string> {
  const master = 'local[*]';
  const conf: Record<string, string> = {
    'spark.master': master,
    'spark.app.name': `sparkgate-${input.user}-${input.kernelId.slice(0, 8)}`,
    'spark.driver.memory': `${input.sizing.driver.memoryMiB}m`,
    'spark.driver.host': '127.0.0.1',
    'spark.driver.bindAddress': '127.0.0.1',
    'spark.ui.port': String(input.uiPort),
    // A busy port must fail loudly instead of silently moving the UI elsewhere.
    'spark.port.maxRetries': '0',
    'spark.ui.showConsoleProgress': 'false',
    'spark.sql.execution.arrow.pyspark.enabled': 'true',
    // Other local users' processes can reach 127.0.0.1 too: the driver's ports want Spark's own secret.
    ...sparkAuthConf(master, null)
  };
  if (!input.profile) {
    return conf;
  }
  if (input.profile.packages.length > 0) {
    conf['spark.jars.packages'] = input.profile.packages.join(',');
  }
  return { ...conf, ...profileConfOver(input.profile.sparkConf) };
}
