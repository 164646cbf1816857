import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { buildUserClaim, claimNameFor, resolveVolumes, userSlug } from '../../../../../server/src/backends/kubernetes/claims.js';
import { buildDriverObjects, driverPodName, KERNEL_FILES_DIR, EXECUTOR_SECRET_DIR } from '../../../../../server/src/backends/kubernetes/objects.js';
import type { ProfileRuntime, ProfileVolume, Sizing } from '../../../../../server/src/config/types.js';
import { config, sizing } from './fixtures.js';
import { EXECUTOR_TEMPLATE, POD_SPEC, SPARK_CONF } from './pinnedObjects.js';

const ID = '0123abcd-0000-4000-8000-000000000000';
const owner: V1Pod = { metadata: { name: 'sg-0123abcd-x1y2z', uid: 'uid-1' } };
const NONE: ProfileRuntime = {
  image: { driver: null, executor: null },
  sparkConf: {},
  env: {},
  driver: { nodeSelector: {}, tolerations: [], gpuType: null },
  executors: { nodeSelector: {}, tolerations: [], gpuType: null },
  volumes: [],
  packages: [],
  ivyCacheVolume: null,
  secrets: []
};
const HOME: ProfileVolume = { name: 'home', claimTemplate: 'home-{user}', size: '10Gi', storageClass: null, mountPath: '/home/jovyan', readOnly: false, executors: false };
const DATA: ProfileVolume = { name: 'data', claim: 'datasets', mountPath: '/data', readOnly: true, executors: true };

const build = (s: Sizing, runtime?: ProfileRuntime, user = 'alice', kernelName = 'gpu') =>
  buildDriverObjects({
    kernelId: ID,
    podName: driverPodName(ID, 'x1y2z'),
    namespace: 'tenant-a',
    user,
    tenant: 'a',
    profile: 'gpu',
    kernelName,
    spark: true,
    sizing: s,
    key: 'f'.repeat(64),
    env: { KERNEL_USERNAME: user },
    config,
    ...(runtime ? { runtime } : {})
  });
const sparkConf = (o: ReturnType<typeof build>): Record<string, string> => JSON.parse(o.secret(owner).stringData!['spark-conf.json']!);
const template = (o: ReturnType<typeof build>) => JSON.parse(o.secret(owner).stringData!['executor-template.json']!);
const kernel = (o: ReturnType<typeof build>) => o.pod.spec!.containers[0]!;

describe('buildDriverObjects with a profile runtime (issue 18 item 1)', () => {
  describe('a profile without the new fields', () => {
    it('should build byte for byte what the builders made before profiles had them', () => {
      const o = build(sizing(0, 1));
      expect(JSON.stringify(o.pod.spec)).toBe(POD_SPEC);
      expect(o.secret(owner).stringData!['spark-conf.json']).toBe(SPARK_CONF);
      expect(o.secret(owner).stringData!['executor-template.json']).toBe(EXECUTOR_TEMPLATE);
      expect(o.claims).toEqual([]);
    });

    it('should build the same objects with an empty runtime, for every sizing', () => {
      for (const s of [sizing(0, 0), sizing(1, 2), { ...sizing(0, 1), executors: { min: 0, max: 3, cores: 2, memoryMiB: 2048, gpus: 1 } }]) {
        const [without, empty] = [build(s), build(s, NONE)];
        expect(JSON.stringify(empty.pod)).toBe(JSON.stringify(without.pod));
        expect(JSON.stringify(empty.secret(owner))).toBe(JSON.stringify(without.secret(owner)));
      }
    });
  });

  it("should run the profile's images: the driver's in the pod, the executors' in Spark's conf", () => {
    const o = build(sizing(0, 0), { ...NONE, image: { driver: 'reg/drv:2', executor: 'reg/exe:2' } });
    expect(kernel(o).image).toBe('reg/drv:2');
    expect(sparkConf(o)['spark.kubernetes.container.image']).toBe('reg/exe:2');
    const driverOnly = build(sizing(0, 0), { ...NONE, image: { driver: 'reg/drv:2', executor: null } });
    expect(sparkConf(driverOnly)['spark.kubernetes.container.image']).toBe('sparkgate/executor:1.0');
  });

  it("should give the driver the profile's variables before the client's and the gateway's, and the executors them via spark.executorEnv", () => {
    const o = build(sizing(0, 0), { ...NONE, env: { TZ: 'UTC', MY_FLAG: '1' } });
    expect(kernel(o).env?.map(e => e.name)).toEqual(['TZ', 'MY_FLAG', 'KERNEL_USERNAME', 'SPARKGATE_KERNEL_ID', 'SPARKGATE_POD_IP', 'SPARK_LOCAL_IP', 'HOME']);
    expect(kernel(o).env?.slice(0, 2)).toEqual([
      { name: 'TZ', value: 'UTC' },
      { name: 'MY_FLAG', value: '1' }
    ]);
    expect(sparkConf(o)).toMatchObject({ 'spark.executorEnv.TZ': 'UTC', 'spark.executorEnv.MY_FLAG': '1', 'spark.executorEnv.SPARKGATE_KERNEL_ID': ID });
  });

  describe('placement', () => {
    const runtime: ProfileRuntime = {
      ...NONE,
      driver: { nodeSelector: { pool: 'interactive' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'jupyter', effect: 'NoSchedule' }], gpuType: 'NVIDIA-L4' },
      executors: { nodeSelector: { 'topology.kubernetes.io/zone': 'a' }, tolerations: [{ key: 'spot', operator: 'Exists' }], gpuType: 'NVIDIA-A100-SXM4-80GB' }
    };

    it("should put the profile's selector and tolerations on CPU pods, without the GPU label", () => {
      const o = build(sizing(0, 0), runtime);
      expect(o.pod.spec?.nodeSelector).toEqual({ pool: 'interactive' });
      expect(o.pod.spec?.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'jupyter', effect: 'NoSchedule' }]);
      expect(template(o).spec.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'a' });
      expect(template(o).spec.tolerations).toEqual([{ key: 'spot', operator: 'Exists' }]);
    });

    it('should select the gpuType (nvidia.com/gpu.product) only on pods that ask for GPUs, beside the GPU placement', () => {
      const gpuDriver = build(sizing(1, 0), runtime);
      expect(gpuDriver.pod.spec?.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true', pool: 'interactive', 'nvidia.com/gpu.product': 'NVIDIA-L4' });
      expect(gpuDriver.pod.spec?.tolerations).toEqual([...config.gpuTolerations, { key: 'dedicated', operator: 'Equal', value: 'jupyter', effect: 'NoSchedule' }]);
      expect(template(gpuDriver).spec.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'a' });
      const gpuExecutors = build(sizing(0, 1), runtime);
      expect(gpuExecutors.pod.spec?.nodeSelector).toEqual({ pool: 'interactive' });
      expect(template(gpuExecutors).spec.nodeSelector).toEqual({
        'nvidia.com/gpu.present': 'true',
        'topology.kubernetes.io/zone': 'a',
        'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB'
      });
      expect(template(gpuExecutors).spec.tolerations).toEqual([...config.gpuTolerations, { key: 'spot', operator: 'Exists' }]);
    });

    it('should keep a gpuType alone off CPU pods entirely (no empty selector)', () => {
      const o = build(sizing(0, 0), { ...NONE, executors: { nodeSelector: {}, tolerations: [], gpuType: 'NVIDIA-L4' } });
      expect(template(o).spec).not.toHaveProperty('nodeSelector');
      expect(template(o).spec).not.toHaveProperty('tolerations');
    });
  });

  describe('volumes', () => {
    it("should mount shared and per-user claims on the driver, {user} as the user's DNS-safe form", () => {
      const o = build(sizing(0, 0), { ...NONE, volumes: [HOME, DATA] }, 'Alice.Smith@example.com');
      const home = `home-alice-smith-example-com---${userSlug('Alice.Smith@example.com', 58).slice(-16)}`;
      expect(o.pod.spec?.volumes?.slice(2)).toEqual([
        { name: 'home', persistentVolumeClaim: { claimName: home } },
        { name: 'data', persistentVolumeClaim: { claimName: 'datasets', readOnly: true } }
      ]);
      expect(kernel(o).volumeMounts?.slice(2)).toEqual([
        { name: 'home', mountPath: '/home/jovyan' },
        { name: 'data', mountPath: '/data', readOnly: true }
      ]);
    });

    it('should mount on the executors, through Spark conf, only the volumes that say so', () => {
      const conf = sparkConf(build(sizing(0, 0), { ...NONE, volumes: [HOME, DATA, { ...HOME, name: 'scratch', claimTemplate: 'scratch-{user}', mountPath: '/scratch', executors: true }] }));
      const pvc = 'spark.kubernetes.executor.volumes.persistentVolumeClaim';
      expect(Object.fromEntries(Object.entries(conf).filter(([k]) => k.startsWith(pvc)))).toEqual({
        [`${pvc}.data.options.claimName`]: 'datasets',
        [`${pvc}.data.mount.path`]: '/data',
        [`${pvc}.data.mount.readOnly`]: 'true',
        [`${pvc}.scratch.options.claimName`]: 'scratch-alice',
        [`${pvc}.scratch.mount.path`]: '/scratch',
        [`${pvc}.scratch.mount.readOnly`]: 'false'
      });
    });

    it('should make the claims to create for per-user volumes only, owned by no kernel', () => {
      const o = build(sizing(0, 0), { ...NONE, volumes: [{ ...HOME, storageClass: 'fast' }, DATA] });
      expect(o.claims).toEqual([
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name: 'home-alice',
            namespace: 'tenant-a',
            labels: { 'app.kubernetes.io/name': 'sparkgate', 'app.kubernetes.io/managed-by': 'sparkgate', 'app.kubernetes.io/component': 'user-volume' },
            annotations: { 'sparkgate.io/user': 'alice', 'sparkgate.io/claim-template': 'home-{user}' }
          },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, storageClassName: 'fast' }
        }
      ]);
      expect(buildUserClaim({ namespace: 'n', user: 'a', volume: resolveVolumes([DATA], 'a')[0]! })).toBeNull();
    });
  });

  it('should pass packages to spark.jars.packages and keep the Ivy cache under the cache volume', () => {
    const conf = sparkConf(build(sizing(0, 0), { ...NONE, volumes: [HOME], packages: ['a:b:1', 'c:d:2'], ivyCacheVolume: 'home' }));
    expect(conf['spark.jars.packages']).toBe('a:b:1,c:d:2');
    expect(conf['spark.jars.ivy']).toBe('/home/jovyan/.ivy2');
    // Without a cache volume: the work dir, as before.
    expect(sparkConf(build(sizing(0, 0), { ...NONE, packages: ['a:b:1'] }))['spark.jars.ivy']).toBe('/opt/spark/work-dir/.ivy2');
  });

  it("should put the profile's sparkConf over the gateway's defaults but never over a key the gateway owns", () => {
    const gateway = sparkConf(build(sizing(0, 1)));
    const over = {
      'spark.sql.shuffle.partitions': '64',
      'spark.kubernetes.executor.missingPodDetectDelta': '120s',
      // Past validation (a hand-made runtime): the builder drops them again.
      'spark.master': 'local[*]',
      'spark.kubernetes.namespace': 'other',
      'spark.authenticate': 'false',
      'spark.executor.instances': '50',
      'spark.kubernetes.executor.podTemplateFile': '/tmp/x',
      'spark.executorEnv.SPARKGATE_KERNEL_ID': 'forged'
    };
    const conf = sparkConf(build(sizing(0, 1), { ...NONE, sparkConf: over }));
    expect(conf['spark.sql.shuffle.partitions']).toBe('64');
    expect(conf['spark.kubernetes.executor.missingPodDetectDelta']).toBe('120s');
    for (const key of ['spark.kubernetes.namespace', 'spark.authenticate', 'spark.executor.instances', 'spark.kubernetes.executor.podTemplateFile', 'spark.executorEnv.SPARKGATE_KERNEL_ID']) {
      expect([key, conf[key]]).toEqual([key, gateway[key]]);
    }
    expect(conf).not.toHaveProperty('spark.master');
    expect(kernel(build(sizing(0, 1), { ...NONE, sparkConf: over })).args).toContain('spark.master=k8s://https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)');
  });

  it("should keep the gateway's own mounts under /etc/sparkgate, where config/profile.ts refuses profile volumes", () => {
    expect(KERNEL_FILES_DIR.startsWith('/etc/sparkgate/')).toBe(true);
    expect(EXECUTOR_SECRET_DIR.startsWith('/etc/sparkgate/')).toBe(true);
  });
});

describe('k8s/claims', () => {
  describe('userSlug()', () => {
    it('should keep a name that is DNS-safe already', () => {
      expect(userSlug('alice', 58)).toBe('alice');
      expect(userSlug('bob-2', 58)).toBe('bob-2');
    });

    it('should rewrite any other name to a safe stem and a hash of the whole name, so two users never share a form', () => {
      const forms = ['Alice', 'alice@example.com', 'alice--x', 'ALICE', '@@@', 'a'.repeat(80)].map(u => userSlug(u, 40));
      for (const form of forms) {
        expect(form).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        expect(form.length).toBeLessThanOrEqual(40);
        expect(form).toMatch(/---[0-9a-f]{16}$/);
      }
      expect(new Set([...forms, 'alice']).size).toBe(forms.length + 1);
      expect(userSlug('Alice', 40)).toMatch(/^alice---/);
      expect(userSlug('@@@', 40)).toMatch(/^u---/);
      expect(userSlug('Alice', 40)).toBe(userSlug('Alice', 40));
    });
  });

  it('should name a claim from its template within 63 characters', () => {
    expect(claimNameFor(HOME, 'alice')).toBe('home-alice');
    expect(claimNameFor(DATA, 'alice')).toBe('datasets');
    const long = claimNameFor(HOME, 'x'.repeat(100));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^home-x+---[0-9a-f]{16}$/);
  });
});
