import { podMemoryOverheadMiB } from '@sparkgate/contract';
import { describe, expect, it } from '@jest/globals';
import type { Sizing } from '../../../../server/src/config/types.js';
import { executorBootstrapJavaOptions, sparkAuthConf } from '../../../../server/src/spark/auth.js';
import { buildKubernetesSparkConf, driverPodSparkMaster, taskGpuAmount } from '../../../../server/src/spark/kubernetesConf.js';
import { buildLocalSparkConf } from '../../../../server/src/spark/localConf.js';

const base = {
  kernelId: '0123abcd-0000-4000-8000-000000000000',
  user: 'alice',
  namespace: 'tenant-a',
  podName: 'sg-0123abcd-x1y2z',
  executorImage: 'sparkgate/executor:1.0',
  imagePullPolicy: 'IfNotPresent',
  executorServiceAccount: 'sparkgate-executor',
  gpuDiscoveryScript: '/opt/sparkgate/bin/gpu-discovery.sh',
  executorTemplateFile: '/etc/sparkgate/kernel/executor-template.json',
  executorLabels: { 'sparkgate.io/kernel-id': '0123abcd-0000-4000-8000-000000000000' },
  master: 'k8s://https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)',
  secretFiles: { driver: '/etc/sparkgate/kernel/spark-auth', executor: '/etc/sparkgate/spark/spark-auth' }
};
const encrypted = {
  'spark.authenticate': 'true',
  'spark.network.crypto.enabled': 'true',
  'spark.network.crypto.cipher': 'AES/GCM/NoPadding',
  'spark.network.crypto.authEngineVersion': '2',
  'spark.network.crypto.saslFallback': 'false'
};
const sizing = (executors: Sizing['executors']): Sizing => ({ driver: { cores: 1, memoryMiB: 2048, gpus: 0 }, executors });

describe('buildKubernetesSparkConf', () => {
  it('should make a client-mode driver whose executors belong to its pod, on fixed ports', () => {
    const conf = buildKubernetesSparkConf({ ...base, sizing: sizing({ count: 2, cores: 4, memoryMiB: 4096, gpus: 0 }) });
    expect(conf).toMatchObject({
      'spark.submit.deployMode': 'client',
      'spark.kubernetes.namespace': 'tenant-a',
      'spark.kubernetes.driver.pod.name': 'sg-0123abcd-x1y2z',
      'spark.kubernetes.executor.podNamePrefix': 'sg-0123abcd-x1y2z',
      'spark.kubernetes.container.image': 'sparkgate/executor:1.0',
      'spark.kubernetes.authenticate.executor.serviceAccountName': 'sparkgate-executor',
      'spark.kubernetes.executor.label.sparkgate.io/kernel-id': base.kernelId,
      'spark.driver.port': '7078',
      'spark.driver.blockManager.port': '7079',
      'spark.ui.port': '4040',
      'spark.driver.memory': '2048m',
      'spark.executor.instances': '2',
      'spark.executor.cores': '4',
      'spark.executor.memory': '4096m',
      'spark.executor.memoryOverhead': '1639m',
      'spark.dynamicAllocation.enabled': 'false'
    });
    // Nothing about GPUs unless asked, and no master: the pod adds it from its own environment.
    expect(Object.keys(conf).filter(k => k.includes('resource.gpu'))).toEqual([]);
    expect(conf['spark.master']).toBeUndefined();
  });

  it('should ask for no executors at all for a driver-only sizing (Spark refuses instances=0 on Kubernetes)', () => {
    const conf = buildKubernetesSparkConf({ ...base, sizing: sizing({ count: 0, cores: 1, memoryMiB: 512, gpus: 0 }) });
    expect(conf['spark.executor.instances']).toBeUndefined();
    expect(conf['spark.dynamicAllocation.enabled']).toBe('false');
  });

  it('should turn min/max into dynamic allocation with shuffle tracking', () => {
    const conf = buildKubernetesSparkConf({ ...base, sizing: sizing({ min: 1, max: 6, cores: 2, memoryMiB: 2048, gpus: 0 }) });
    expect(conf).toMatchObject({
      'spark.dynamicAllocation.enabled': 'true',
      'spark.dynamicAllocation.shuffleTracking.enabled': 'true',
      'spark.dynamicAllocation.shuffleTracking.timeout': '30min',
      'spark.dynamicAllocation.executorIdleTimeout': '120s',
      'spark.dynamicAllocation.minExecutors': '1',
      'spark.dynamicAllocation.initialExecutors': '1',
      'spark.dynamicAllocation.maxExecutors': '6'
    });
    expect(conf['spark.executor.instances']).toBeUndefined();
  });

  it('should remove idle executors after the idle timeout it is given', () => {
    const dynamic = sizing({ min: 0, max: 3, cores: 1, memoryMiB: 512, gpus: 0 });
    expect(buildKubernetesSparkConf({ ...base, sizing: dynamic, executorIdleTimeoutSeconds: 15 })['spark.dynamicAllocation.executorIdleTimeout']).toBe('15s');
    // A fixed count keeps its executors: no timeout to set.
    const fixed = buildKubernetesSparkConf({ ...base, sizing: sizing({ count: 2, cores: 1, memoryMiB: 512, gpus: 0 }), executorIdleTimeoutSeconds: 15 });
    expect(fixed['spark.dynamicAllocation.executorIdleTimeout']).toBeUndefined();
  });

  it("should start a warm pool's fixed-count driver without executors (the claim asks for them), and leave dynamic allocation as it is", () => {
    const fixed = sizing({ count: 2, cores: 1, memoryMiB: 512, gpus: 0 });
    expect(buildKubernetesSparkConf({ ...base, sizing: fixed, warm: true })['spark.executor.instances']).toBe('0');
    expect(buildKubernetesSparkConf({ ...base, sizing: fixed })['spark.executor.instances']).toBe('2');
    const dynamic = sizing({ min: 1, max: 3, cores: 1, memoryMiB: 512, gpus: 0 });
    expect(buildKubernetesSparkConf({ ...base, sizing: dynamic, warm: true })).toEqual(buildKubernetesSparkConf({ ...base, sizing: dynamic }));
  });

  it('should ask for nvidia.com GPUs with the discovery script and share them among task slots', () => {
    const conf = buildKubernetesSparkConf({ ...base, sizing: sizing({ count: 2, cores: 4, memoryMiB: 4096, gpus: 1 }) });
    expect(conf).toMatchObject({
      'spark.executor.resource.gpu.amount': '1',
      'spark.executor.resource.gpu.vendor': 'nvidia.com',
      'spark.executor.resource.gpu.discoveryScript': '/opt/sparkgate/bin/gpu-discovery.sh',
      'spark.task.resource.gpu.amount': '0.25'
    });
  });
});

describe('Spark traffic (spark.authenticate, RPC encryption)', () => {

  it('should authenticate and encrypt with the secret read from files on Kubernetes (never a value in the conf)', () => {
    const conf = buildKubernetesSparkConf({ ...base, sizing: sizing({ count: 2, cores: 1, memoryMiB: 512, gpus: 0 }) });
    expect(conf).toMatchObject({
      ...encrypted,
      'spark.authenticate.secret.driver.file': '/etc/sparkgate/kernel/spark-auth',
      'spark.authenticate.secret.executor.file': '/etc/sparkgate/spark/spark-auth'
    });
    // A secret in the conf would reach executors' env; Spark refuses files unless both are set.
    expect(conf['spark.authenticate.secret']).toBeUndefined();
    expect(conf['spark.authenticate.secret.file']).toBeUndefined();
  });

  it('should let Spark make its own secret in local mode (a driver-only pod, the local backend): files are for Kubernetes mode only', () => {
    const conf = buildKubernetesSparkConf({ ...base, master: 'local[2]', sizing: sizing({ count: 0, cores: 1, memoryMiB: 512, gpus: 0 }) });
    expect(conf).toMatchObject(encrypted);
    expect(Object.keys(conf).filter(k => k.startsWith('spark.authenticate.secret'))).toEqual([]);
    expect(sparkAuthConf('local', null)).toEqual(encrypted);
    expect(sparkAuthConf('local[*]', null)).toEqual(encrypted);
    expect(sparkAuthConf('local[4,2]', null)).toEqual(encrypted);
  });

  it('should give Kubernetes executors what they need to fetch the driver\'s conf over the authenticated connection, and nothing elsewhere', () => {
    expect(executorBootstrapJavaOptions('k8s://https://api:6443', base.secretFiles)).toBe(
      '-Dspark.master=k8s://https://api:6443 -Dspark.authenticate.secret.file=/etc/sparkgate/spark/spark-auth'
    );
    expect(executorBootstrapJavaOptions('local[2]', base.secretFiles)).toBeNull();
    expect(executorBootstrapJavaOptions('spark://master:7077', base.secretFiles)).toBeNull();
  });

  it('should leave other masters alone: their executors could not get the secret from the gateway', () => {
    expect(sparkAuthConf('spark://master:7077', base.secretFiles)).toEqual({});
    expect(sparkAuthConf('localhost', null)).toEqual({});
  });
});

describe('buildLocalSparkConf', () => {
  it('should bind to loopback and authenticate and encrypt Spark traffic with a secret Spark makes', () => {
    const conf = buildLocalSparkConf({ kernelId: base.kernelId, user: 'alice', sizing: sizing({ count: 0, cores: 1, memoryMiB: 512, gpus: 0 }), uiPort: 4100 });
    expect(conf).toMatchObject({
      'spark.master': 'local[*]',
      'spark.driver.host': '127.0.0.1',
      'spark.driver.bindAddress': '127.0.0.1',
      'spark.ui.port': '4100',
      ...encrypted
    });
    expect(Object.keys(conf).filter(k => k.startsWith('spark.authenticate.secret'))).toEqual([]);
  });
});

describe('taskGpuAmount / podMemoryOverheadMiB', () => {
  it('should let every core run a task', () => {
    expect(taskGpuAmount(1, 1)).toBe('1');
    expect(taskGpuAmount(2, 1)).toBe('2');
    expect(taskGpuAmount(1, 2)).toBe('0.5');
    expect(taskGpuAmount(1, 3)).toBe('0.3333');
    expect(taskGpuAmount(2, 3)).toBe('0.5');
  });

  it("should give Python at least 384 MiB beside the heap, unless the profile sets the executors' memoryOverhead", () => {
    const e = (memoryMiB: number, memoryOverheadMiB?: number) => ({ cores: 1, gpus: 0, memoryMiB, ...(memoryOverheadMiB ? { memoryOverheadMiB } : {}) });
    expect(podMemoryOverheadMiB('executor', e(512))).toBe(384);
    expect(podMemoryOverheadMiB('executor', e(10_000))).toBe(4000);
    expect(podMemoryOverheadMiB('driver', e(512))).toBe(512);
    expect(podMemoryOverheadMiB('executor', e(512, 6144))).toBe(6144);
  });
});

describe('driverPodSparkMaster', () => {
  it('should run a driver-only sizing in local mode on the driver pod\'s cores, rounded up', () => {
    expect(driverPodSparkMaster({ driver: { cores: 1.5, memoryMiB: 1024, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 512, gpus: 0 } }, null)).toBe('local[2]');
    expect(driverPodSparkMaster({ driver: { cores: 0.1, memoryMiB: 1024, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 512, gpus: 0 } }, 'k8s://x')).toBe('local[1]');
  });

  it('should use the configured master, else the in-cluster API server, when there are executors', () => {
    const s = sizing({ min: 0, max: 2, cores: 1, memoryMiB: 512, gpus: 0 });
    expect(driverPodSparkMaster(s, 'k8s://https://api:6443')).toBe('k8s://https://api:6443');
    expect(driverPodSparkMaster(s, null)).toBe('k8s://https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)');
  });
});
