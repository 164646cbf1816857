import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
// Not exported from the package root; it is what the API clients run on every request body.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { buildDriverObjects, driverPodName, sparkSecret } from '../../../../../server/src/backends/kubernetes/objects.js';
import type { Sizing } from '../../../../../server/src/config/types.js';
import { config, sizing } from './fixtures.js';

const KEY = 'f'.repeat(64);
const ID = '0123abcd-0000-4000-8000-000000000000';
const build = (s: Sizing, spark = true, cfg = config) =>
  buildDriverObjects({
    kernelId: ID,
    podName: driverPodName(ID, 'x1y2z'),
    namespace: 'tenant-a',
    user: 'alice',
    tenant: 'a',
    profile: 'gpu',
    kernelName: `gpu--${ID}`,
    spark,
    sizing: s,
    key: KEY,
    env: { KERNEL_USERNAME: 'alice' },
    config: cfg
  });
const owner: V1Pod = { metadata: { name: 'sg-0123abcd-x1y2z', uid: 'uid-1' } };

describe('buildDriverObjects', () => {
  it('should make a non-root driver pod that carries its kernel in labels and annotations, never the key', () => {
    const { pod } = build(sizing(1, 1));
    expect(pod.metadata?.name).toBe('sg-0123abcd-x1y2z');
    expect(pod.metadata?.labels).toEqual({
      'app.kubernetes.io/name': 'sparkgate',
      'app.kubernetes.io/managed-by': 'sparkgate',
      'app.kubernetes.io/component': 'driver',
      'sparkgate.io/kernel-id': ID
    });
    expect(pod.metadata?.annotations).toMatchObject({ 'sparkgate.io/user': 'alice', 'sparkgate.io/tenant': 'a', 'sparkgate.io/kernel-name': `gpu--${ID}` });
    expect(pod.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 185, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.spec?.containers[0]?.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(JSON.stringify(pod)).not.toContain(KEY);
    expect(pod.spec?.restartPolicy).toBe('Never');
  });

  it('should request the driver GPUs and place GPU pods on GPU nodes', () => {
    const { pod } = build(sizing(2, 0));
    const c = pod.spec!.containers[0]!;
    expect(c.resources?.limits).toMatchObject({ 'nvidia.com/gpu': '2', memory: `${4096 + 1639}Mi` });
    expect(c.resources?.requests).toMatchObject({ cpu: '2', 'nvidia.com/gpu': '2' });
    expect(pod.spec?.tolerations).toEqual(config.gpuTolerations);
    expect(pod.spec?.nodeSelector).toEqual(config.gpuNodeSelector);
    const cpuOnly = build(sizing(0, 0)).pod;
    expect(cpuOnly.spec?.tolerations).toBeUndefined();
    expect(cpuOnly.spec?.containers[0]?.resources?.limits?.['nvidia.com/gpu']).toBeUndefined();
  });

  it('should, with nodeLostSeconds, let the driver stay that long on a lost node, then be evicted (issue 13)', () => {
    const lost = (key: string) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 20 });
    const cfg = { ...config, nodeLostSeconds: 20 };
    expect(build(sizing(0, 0), true, cfg).pod.spec?.tolerations).toEqual([lost('node.kubernetes.io/unreachable'), lost('node.kubernetes.io/not-ready')]);
    const gpu = build(sizing(1, 0), true, cfg).pod;
    expect(gpu.spec?.tolerations).toEqual([...config.gpuTolerations, lost('node.kubernetes.io/unreachable'), lost('node.kubernetes.io/not-ready')]);
  });

  it('should give the pod what only it knows at start through Kubernetes env expansion', () => {
    const args = build(sizing(0, 0)).pod.spec!.containers[0]!.args!;
    expect(args.slice(0, 5)).toEqual(['kernel', '--connection-file', '/etc/sparkgate/kernel/connection.json', '--ip', '$(SPARKGATE_POD_IP)']);
    expect(args).toContain('spark.master=k8s://https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)');
    expect(args).toContain('spark.driver.host=$(SPARKGATE_POD_IP)');
    const driverOnly = build({ ...sizing(0, 0), executors: { count: 0, cores: 1, memoryMiB: 512, gpus: 0 } }).pod;
    expect(driverOnly.spec!.containers[0]!.args).toContain('spark.master=local[2]');
    const plain = build(sizing(0, 0), false).pod;
    expect(plain.spec?.containers[0]?.args).not.toContain('--spark-conf');
    expect(plain.spec?.automountServiceAccountToken).toBe(false);
  });

  it('should put the key, the Spark conf and the executor template in a Secret owned by the pod', () => {
    const secret = build(sizing(0, 1)).secret(owner);
    expect(secret.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'sg-0123abcd-x1y2z', uid: 'uid-1', blockOwnerDeletion: true }]);
    const connection = JSON.parse(secret.stringData!['connection.json']!);
    expect(connection).toMatchObject({ key: KEY, shell_port: 52700, iopub_port: 52701, signature_scheme: 'hmac-sha256' });
    const conf = JSON.parse(secret.stringData!['spark-conf.json']!);
    expect(conf['spark.kubernetes.driver.pod.name']).toBe('sg-0123abcd-x1y2z');
    const template = JSON.parse(secret.stringData!['executor-template.json']!);
    expect(template.spec).toMatchObject({ serviceAccountName: 'sparkgate-executor', automountServiceAccountToken: false });
    expect(template.spec.tolerations).toEqual(config.gpuTolerations);
    expect(template.metadata.labels['app.kubernetes.io/component']).toBe('executor');
  });

  it('should keep Spark\'s secret in the Secret and give executors that one key as a file, never a value in a pod spec (issue 14)', () => {
    const objects = build(sizing(0, 2));
    const secret = objects.secret(owner);
    const value = secret.stringData!['spark-auth']!;
    expect(value).toMatch(/^[0-9a-f]{64}$/);
    expect(value).toBe(sparkSecret(KEY));
    expect(value).not.toBe(sparkSecret('e'.repeat(64)));
    expect(value).not.toContain(KEY);
    const conf = JSON.parse(secret.stringData!['spark-conf.json']!);
    expect(conf).toMatchObject({
      'spark.authenticate': 'true',
      'spark.network.crypto.enabled': 'true',
      'spark.network.crypto.cipher': 'AES/GCM/NoPadding',
      'spark.authenticate.secret.driver.file': '/etc/sparkgate/kernel/spark-auth',
      'spark.authenticate.secret.executor.file': '/etc/sparkgate/spark/spark-auth'
    });
    // The driver reads it from its Secret volume; the executors mount only that key, not the connection key.
    expect(objects.pod.spec?.containers[0]?.volumeMounts).toContainEqual({ name: 'kernel', mountPath: '/etc/sparkgate/kernel', readOnly: true });
    const template = JSON.parse(secret.stringData!['executor-template.json']!);
    expect(template.spec.volumes).toEqual([
      { name: 'spark-auth', secret: { secretName: 'sg-0123abcd-x1y2z', items: [{ key: 'spark-auth', path: 'spark-auth' }], defaultMode: 0o440 } }
    ]);
    expect(template.spec.containers).toEqual([
      expect.objectContaining({ name: 'spark-kubernetes-executor', volumeMounts: [{ name: 'spark-auth', mountPath: '/etc/sparkgate/spark', readOnly: true }] })
    ]);
    // Spark 4.0 executors need these before they have the driver's conf (see executorBootstrapJavaOptions).
    expect(template.spec.containers[0].env).toEqual([
      {
        name: 'JAVA_TOOL_OPTIONS',
        value: '-Dspark.master=k8s://https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT) -Dspark.authenticate.secret.file=/etc/sparkgate/spark/spark-auth'
      }
    ]);
    for (const text of [JSON.stringify(objects.pod), JSON.stringify(template), secret.stringData!['spark-conf.json']!]) {
      expect(text).not.toContain(value);
      expect(text).not.toContain('_SPARK_AUTH_SECRET');
    }
  });

  it('should run a driver-only kernel in local mode with a secret Spark makes (files are for Kubernetes mode only)', () => {
    const { secret } = build({ ...sizing(0, 0), executors: { count: 0, cores: 1, memoryMiB: 512, gpus: 0 } });
    const conf = JSON.parse(secret(owner).stringData!['spark-conf.json']!);
    expect(conf).toMatchObject({ 'spark.authenticate': 'true', 'spark.network.crypto.enabled': 'true' });
    expect(conf['spark.authenticate.secret.driver.file']).toBeUndefined();
    expect(JSON.parse(secret(owner).stringData!['executor-template.json']!).spec.containers[0].env).toBeUndefined();
    expect(build(sizing(0, 0), false).secret(owner).stringData?.['spark-auth']).toBeUndefined();
  });

  it("should let only the kernel's own pods reach its Spark ports", () => {
    const { networkPolicy, service } = build(sizing(0, 0));
    const policy = networkPolicy(owner);
    expect(policy.spec?.podSelector).toEqual({ matchLabels: { 'sparkgate.io/kernel-id': ID } });
    expect(policy.spec?.ingress?.[0]?._from).toEqual([{ podSelector: { matchLabels: { 'sparkgate.io/kernel-id': ID } } }]);
    // What goes to the API server: the client serializes only the fields its model knows.
    const wire = ObjectSerializer.serialize(policy, 'V1NetworkPolicy', '') as { spec: { ingress: { from?: unknown }[] } };
    expect(wire.spec.ingress[0]?.from).toEqual([{ podSelector: { matchLabels: { 'sparkgate.io/kernel-id': ID } } }]);
    expect(service(owner).spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
  });
});

describe('buildDriverObjects through the client serializer', () => {
  /** The object with the client's renamed fields under their API names (`_from` → `from`). */
  const apiNames = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(apiNames)
      : x !== null && typeof x === 'object'
        ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k === '_from' ? 'from' : k, apiNames(v)]))
        : x;

  it.each([
    ['pod', 'V1Pod'],
    ['secret', 'V1Secret'],
    ['service', 'V1Service'],
    ['networkPolicy', 'V1NetworkPolicy']
  ] as const)('should send every field of the %s to the API server (none dropped by the models; issue 10)', (which, type) => {
    const objects = build(sizing(1, 1));
    const object = which === 'pod' ? objects.pod : objects[which](owner);
    expect(ObjectSerializer.serialize(object, type, '')).toEqual(apiNames(JSON.parse(JSON.stringify(object))));
  });
});

describe('buildDriverObjects of a warm pool driver (issue 15)', () => {
  const until = new Date('2026-01-01T12:10:00.000Z');
  const objectsOf = (pool: boolean) =>
    buildDriverObjects({
      kernelId: ID,
      podName: driverPodName(ID, 'x1y2z'),
      namespace: 'tenant-a',
      // A pool's launch has POOL_USER ('') and no KERNEL_* env.
      user: pool ? '' : 'alice',
      tenant: 'a',
      profile: 'gpu',
      kernelName: 'gpu',
      spark: true,
      sizing: sizing(1, 1),
      key: KEY,
      env: {},
      config,
      ...(pool ? { pool: { until } } : {})
    });
  const conf = (objects: ReturnType<typeof build>) => JSON.parse(objects.secret(owner).stringData!['spark-conf.json']!) as Record<string, string>;

  it('should build what a cold launch builds, with the pool marks instead of a user and the Spark app named for the pool', () => {
    const warm = objectsOf(true);
    const cold = objectsOf(false);
    const { 'sparkgate.io/user': user, ...coldAnnotations } = cold.pod.metadata!.annotations!;
    expect(user).toBe('alice');
    expect(warm.pod.metadata?.annotations).toEqual({ ...coldAnnotations, 'sparkgate.io/pool': 'warm', 'sparkgate.io/pool-until': '2026-01-01T12:10:00.000Z' });
    expect(warm.pod.metadata?.labels).toEqual(cold.pod.metadata?.labels);
    expect(warm.pod.spec).toEqual(cold.pod.spec);
    expect(conf(warm)['spark.app.name']).toBe('sparkgate-pool-0123abcd');
    expect(conf(cold)['spark.app.name']).toBe('sparkgate-alice-0123abcd');
    // Its fixed executor count comes at the claim (backend.ts warmExecutors): none while unclaimed.
    expect([conf(warm)['spark.executor.instances'], conf(cold)['spark.executor.instances']]).toEqual(['0', '2']);
    const same = { 'spark.app.name': '', 'spark.executor.instances': '' };
    expect({ ...conf(warm), ...same }).toEqual({ ...conf(cold), ...same });
    const { 'spark-conf.json': _warmConf, ...warmFiles } = warm.secret(owner).stringData!;
    const { 'spark-conf.json': _coldConf, ...coldFiles } = cold.secret(owner).stringData!;
    expect(warmFiles).toEqual(coldFiles);
    expect(warm.service(owner)).toEqual(cold.service(owner));
    expect(warm.networkPolicy(owner)).toEqual(cold.networkPolicy(owner));
    expect(warm.connection).toEqual(cold.connection);
  });

  it('should send every field of the pool driver pod to the API server', () => {
    const { pod } = objectsOf(true);
    expect(ObjectSerializer.serialize(pod, 'V1Pod', '')).toEqual(JSON.parse(JSON.stringify(pod)));
  });
});
