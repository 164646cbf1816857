import { describe, expect, it } from '@jest/globals';
import type { Sizing } from '../../../../server/src/config/types.js';
import { buildKubernetesSparkConf, executorSecretVolume, type ProfileSparkConf } from '../../../../server/src/spark/kubernetesConf.js';
import { gatewayOwnedConfReason, profileConfOver } from '../../../../server/src/spark/ownedConf.js';

const sizing: Sizing = { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 2, cores: 1, memoryMiB: 1024, gpus: 0 } };
const profile = (over: Partial<ProfileSparkConf>): ProfileSparkConf => ({ sparkConf: {}, env: {}, packages: [], ivyDir: null, executorVolumes: [], executorSecrets: [], ...over });
const k8s = (p: ProfileSparkConf) =>
  buildKubernetesSparkConf({
    kernelId: '0123abcd-0000-4000-8000-000000000000',
    user: 'alice',
    namespace: 'team-a',
    podName: 'sg-0123abcd-x',
    sizing,
    executorImage: 'sparkgate/executor:1',
    imagePullPolicy: 'IfNotPresent',
    executorServiceAccount: 'sparkgate-executor',
    gpuDiscoveryScript: '/gpu.sh',
    executorTemplateFile: '/etc/sparkgate/kernel/executor-template.json',
    executorLabels: { 'sparkgate.io/kernel-id': '0123abcd' },
    master: 'k8s://https://api:6443',
    secretFiles: { driver: '/etc/sparkgate/kernel/spark-auth', executor: '/etc/sparkgate/spark/spark-auth' },
    profile: p
  });
const secretKeys = (conf: Record<string, string>) => Object.fromEntries(Object.entries(conf).filter(([k]) => /\.(secrets|secretKeyRef)\./.test(k)));

describe('spark/kubernetesConf: executor secrets (issue 18 item 3)', () => {
  it("should mount each executor Secret with Spark's secrets key and set each variable with its secretKeyRef key, by name and key only", () => {
    const conf = k8s(
      profile({
        executorSecrets: [
          { name: 's3-creds', mountPath: '/etc/creds', env: { AWS_ACCESS_KEY_ID: 'access-key', AWS_SECRET_ACCESS_KEY: 'secret-key' } },
          { name: 'hub-token', mountPath: null, env: { HUB_TOKEN: 'token' } },
          { name: 'certs', mountPath: '/etc/certs', env: {} }
        ]
      })
    );
    expect(secretKeys(conf)).toEqual({
      'spark.kubernetes.executor.secrets.s3-creds': '/etc/creds',
      'spark.kubernetes.executor.secretKeyRef.AWS_ACCESS_KEY_ID': 's3-creds:access-key',
      'spark.kubernetes.executor.secretKeyRef.AWS_SECRET_ACCESS_KEY': 's3-creds:secret-key',
      'spark.kubernetes.executor.secretKeyRef.HUB_TOKEN': 'hub-token:token',
      'spark.kubernetes.executor.secrets.certs': '/etc/certs'
    });
    // Spark 4.0's MountSecretsFeatureStep names the executor's volume after the Secret.
    expect(executorSecretVolume('s3-creds')).toBe('s3-creds-volume');
  });

  it("should keep a profile's sparkConf off the secret keys, whatever it names", () => {
    const conf = k8s(
      profile({
        executorSecrets: [{ name: 's3-creds', mountPath: '/etc/creds', env: {} }],
        sparkConf: {
          'spark.kubernetes.executor.secrets.s3-creds': '/elsewhere',
          'spark.kubernetes.executor.secrets.other-kernel-key': '/tmp/x',
          'spark.kubernetes.executor.secretKeyRef.X': 'sg-other:connection.json',
          'spark.kubernetes.driver.secrets.x': '/x',
          'spark.kubernetes.driver.secretKeyRef.Y': 'x:y'
        }
      })
    );
    expect(secretKeys(conf)).toEqual({ 'spark.kubernetes.executor.secrets.s3-creds': '/etc/creds' });
  });
});

describe('spark/ownedConf: secret keys (issue 18 item 3)', () => {
  it("should refuse Spark's secret keys in a profile's sparkConf, pointing at the profile's secrets, which reach the client-mode driver too", () => {
    for (const key of [
      'spark.kubernetes.driver.secrets.s3',
      'spark.kubernetes.executor.secrets.s3',
      'spark.kubernetes.driver.secretKeyRef.AWS_SECRET_ACCESS_KEY',
      'spark.kubernetes.executor.secretKeyRef.AWS_SECRET_ACCESS_KEY'
    ]) {
      expect([key, gatewayOwnedConfReason(key)]).toEqual([
        key,
        "set by the gateway from the profile's secrets (the gateway mounts a profile's Secrets in the driver pod it builds and gives the executors the same); set that instead"
      ]);
    }
    expect(profileConfOver({ 'spark.kubernetes.executor.secretKeyRef.X': 'a:b', 'spark.sql.shuffle.partitions': '8' })).toEqual({ 'spark.sql.shuffle.partitions': '8' });
  });
});
