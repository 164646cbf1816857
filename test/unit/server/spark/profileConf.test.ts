import { describe, expect, it } from '@jest/globals';
import type { Sizing } from '../../../../server/src/config/types.js';
import { buildKubernetesSparkConf, type KubernetesSparkConfInput } from '../../../../server/src/spark/kubernetesConf.js';
import { buildLocalSparkConf } from '../../../../server/src/spark/localConf.js';
import { gatewayOwnedConfReason, isGatewayOwnedConf, profileConfOver } from '../../../../server/src/spark/ownedConf.js';

const sizing = (executors: Sizing['executors']): Sizing => ({ driver: { cores: 2, memoryMiB: 4096, gpus: 0 }, executors });
const k8s = (s: Sizing, profile?: KubernetesSparkConfInput['profile']) =>
  buildKubernetesSparkConf({
    kernelId: '0123abcd-0000-4000-8000-000000000000',
    user: 'alice',
    namespace: 'team-a',
    podName: 'sg-0123abcd-x',
    sizing: s,
    executorImage: 'sparkgate/executor:1',
    imagePullPolicy: 'IfNotPresent',
    executorServiceAccount: 'sparkgate-executor',
    gpuDiscoveryScript: '/gpu.sh',
    executorTemplateFile: '/etc/sparkgate/kernel/executor-template.json',
    executorLabels: { 'app.kubernetes.io/managed-by': 'sparkgate', 'sparkgate.io/kernel-id': '0123abcd' },
    master: 'k8s://https://api:6443',
    secretFiles: { driver: '/etc/sparkgate/kernel/spark-auth', executor: '/etc/sparkgate/spark/spark-auth' },
    ...(profile ? { profile } : {})
  });
const local = (profile?: { sparkConf: Record<string, string>; packages: string[] }) =>
  buildLocalSparkConf({ kernelId: 'k1234567', user: 'alice', sizing: sizing({ count: 0, cores: 1, memoryMiB: 1024, gpus: 0 }), uiPort: 4050, ...(profile ? { profile } : {}) });

/**
 * Keys the gateway sets that a profile's sparkConf may change: defaults, not the tenancy or
 * security model. A new gateway key lands in neither list and fails the test below, so whoever
 * adds it decides which it is.
 */
const TUNABLE = [
  'spark.app.name',
  'spark.kubernetes.container.image.pullPolicy',
  'spark.kubernetes.executor.missingPodDetectDelta',
  'spark.dynamicAllocation.shuffleTracking.enabled',
  'spark.dynamicAllocation.shuffleTracking.timeout',
  'spark.dynamicAllocation.executorIdleTimeout',
  'spark.ui.showConsoleProgress',
  'spark.sql.execution.arrow.pyspark.enabled'
];

describe('spark/ownedConf (issue 18 item 1)', () => {
  it('should own every key the conf builders set, but for the tunable defaults', () => {
    const gpu = { cores: 4, memoryMiB: 8192 };
    const confs = [
      k8s(sizing({ count: 2, ...gpu, gpus: 1 })),
      k8s(sizing({ min: 0, max: 4, ...gpu, gpus: 0 })),
      k8s(sizing({ count: 0, ...gpu, gpus: 0 })),
      k8s(sizing({ count: 2, ...gpu, gpus: 0 }), { sparkConf: {}, env: { TZ: 'UTC' }, packages: ['a:b:1'], ivyDir: '/ivy', executorVolumes: [{ name: 'd', claimName: 'c', mountPath: '/d', readOnly: true }], executorSecrets: [{ name: 's3', mountPath: '/s3', env: { AWS_SECRET_ACCESS_KEY: 'secret-key' } }] }),
      local(),
      local({ sparkConf: {}, packages: ['a:b:1'] })
    ];
    const keys = new Set(confs.flatMap(c => Object.keys(c)));
    const unowned = [...keys].filter(k => !isGatewayOwnedConf(k)).sort();
    expect(unowned).toEqual([...TUNABLE].filter(k => keys.has(k)).sort());
    for (const key of TUNABLE) {
      expect([key, gatewayOwnedConfReason(key)]).toEqual([key, null]);
    }
  });

  it('should drop owned keys from a profile conf and keep the rest', () => {
    expect(profileConfOver({ 'spark.master': 'x', 'spark.ssl.enabled': 'true', 'spark.sql.adaptive.enabled': 'false' })).toEqual({ 'spark.sql.adaptive.enabled': 'false' });
    expect(profileConfOver(undefined)).toEqual({});
  });

  it('should match families by prefix and single keys exactly', () => {
    expect(isGatewayOwnedConf('spark.authenticate.enableSaslEncryption')).toBe(true);
    expect(isGatewayOwnedConf('spark.kubernetes.authenticate.driver.mounted.oauthTokenFile')).toBe(true);
    expect(isGatewayOwnedConf('spark.driver.memoryOverheadFactor')).toBe(true);
    expect(isGatewayOwnedConf('spark.driver.maxResultSize')).toBe(false);
    expect(isGatewayOwnedConf('spark.kubernetes.executor.label.team')).toBe(false);
    expect(isGatewayOwnedConf('spark.kubernetes.executor.annotation.cost-center')).toBe(false);
  });
});

describe('spark/localConf with a profile (issue 18 item 1)', () => {
  it("should be unchanged without a profile, and add packages and the profile's conf, never over the gateway's own keys", () => {
    const base = local();
    expect(local({ sparkConf: {}, packages: [] })).toEqual(base);
    const conf = local({
      sparkConf: { 'spark.sql.shuffle.partitions': '8', 'spark.ui.showConsoleProgress': 'true', 'spark.master': 'local[1]', 'spark.driver.host': '0.0.0.0', 'spark.authenticate': 'false' },
      packages: ['org.apache.spark:spark-avro_2.13:4.0.1']
    });
    expect(conf).toEqual({
      ...base,
      'spark.jars.packages': 'org.apache.spark:spark-avro_2.13:4.0.1',
      'spark.sql.shuffle.partitions': '8',
      'spark.ui.showConsoleProgress': 'true'
    });
    expect(conf['spark.master']).toBe('local[*]');
    expect(conf['spark.driver.host']).toBe('127.0.0.1');
  });
});

describe('spark/kubernetesConf with a profile (issue 18 item 1)', () => {
  it('should be unchanged with an empty profile', () => {
    const s = sizing({ count: 2, cores: 1, memoryMiB: 1024, gpus: 0 });
    expect(JSON.stringify(k8s(s, { sparkConf: {}, env: {}, packages: [], ivyDir: null, executorVolumes: [], executorSecrets: [] }))).toBe(JSON.stringify(k8s(s)));
  });
});
