import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../../../server/src/config/errors.js';
import { profileLoader } from './loadProfile.js';

const { load, profile, refusal } = profileLoader();

const HOME = '{name: home, claimTemplate: "home-{user}", mountPath: /home/jovyan, size: 10Gi}';

describe('config/profile (issue 18 item 1)', () => {
  describe('a profile without the new fields', () => {
    it('should have no runtime, so its pods are built as before', () => {
      expect(profile('displayName: P')).not.toHaveProperty('runtime');
      // Empty mappings and lists add nothing either.
      expect(profile('env: {}, sparkConf: {}, volumes: [], packages: [], driver: {nodeSelector: {}}, executors: {tolerations: []}')).not.toHaveProperty('runtime');
    });
  });

  describe('image', () => {
    it('should take a driver and an executor image, each optional', () => {
      expect(profile('image: {driver: reg/sg-driver:2, executor: reg/sg-exec:2}').runtime?.image).toEqual({ driver: 'reg/sg-driver:2', executor: 'reg/sg-exec:2' });
      expect(profile('image: {executor: reg/sg-exec:2}').runtime?.image).toEqual({ driver: null, executor: 'reg/sg-exec:2' });
    });

    it('should refuse a string (the two images differ: the driver carries the kernel), unknown keys and spaces', () => {
      expect(refusal('image: reg/one:1')).toBe('profiles.p.image must be a mapping');
      expect(refusal('image: {drivers: x}')).toBe('config: profiles.p.image.drivers: unknown key; allowed: driver, executor');
      expect(refusal('image: {driver: "reg/a b:1"}')).toBe('profiles.p.image.driver must be an image reference without spaces (e.g. registry/sparkgate/driver:1.2)');
    });
  });

  describe('sparkConf', () => {
    it('should keep Spark keys as text (numbers and booleans too)', () => {
      expect(profile('sparkConf: {spark.sql.shuffle.partitions: 64, spark.plugins: com.nvidia.spark.SQLPlugin, spark.rapids.sql.enabled: true}').runtime?.sparkConf).toEqual({
        'spark.sql.shuffle.partitions': '64',
        'spark.plugins': 'com.nvidia.spark.SQLPlugin',
        'spark.rapids.sql.enabled': 'true'
      });
    });

    it('should refuse what is not a Spark key, and values that are not text, numbers or booleans', () => {
      expect(refusal('sparkConf: {hadoop.fs.s3a.endpoint: x}')).toBe(
        "profiles.p.sparkConf.hadoop.fs.s3a.endpoint: not a Spark conf key (Spark reads spark.* keys; Hadoop's go in as spark.hadoop.*)"
      );
      expect(refusal('sparkConf: {spark.x: [1]}')).toBe('profiles.p.sparkConf.spark.x must be a string, number or true/false');
      expect(refusal('sparkConf: [a]')).toBe('profiles.p.sparkConf must be a mapping of Spark conf key -> value');
    });

    it('should refuse every key the gateway owns, naming the path and why', () => {
      expect(refusal('sparkConf: {spark.master: "local[4]"}')).toBe(
        'profiles.p.sparkConf.spark.master: set by the gateway (it points Spark at the cluster and runs the driver in client mode); remove it'
      );
      const owned: Array<[string, RegExp]> = [
        ['spark.submit.deployMode', /client mode/],
        ['spark.kubernetes.driver.master', /points Spark at the cluster/],
        ['spark.kubernetes.namespace', /tenant's namespace/],
        ['spark.driver.host', /address and ports are fixed/],
        ['spark.driver.bindAddress', /address and ports are fixed/],
        ['spark.driver.port', /Service and NetworkPolicy/],
        ['spark.driver.blockManager.port', /Service and NetworkPolicy/],
        ['spark.blockManager.port', /Service and NetworkPolicy/],
        ['spark.ui.port', /proxies the Spark UI/],
        ['spark.port.maxRetries', /fixed/],
        ['spark.kubernetes.driver.pod.name', /owned by the driver pod/],
        ['spark.kubernetes.executor.podNamePrefix', /named after/],
        ['spark.kubernetes.executor.deleteOnTermination', /go with it/],
        ['spark.kubernetes.executor.podTemplateFile', /security context and Spark's secret/],
        ['spark.kubernetes.executor.pod.featureSteps', /pod template/],
        ['spark.kubernetes.authenticate.executor.serviceAccountName', /service accounts/],
        ['spark.kubernetes.authenticate.driver.oauthToken', /credentials/],
        ['spark.authenticate', /RPC authentication/],
        ['spark.authenticate.secret.file', /secret per kernel/],
        ['spark.network.crypto.enabled', /encryption are always on/],
        ['spark.ssl.enabled', /plain HTTP/],
        ['spark.kubernetes.executor.label.sparkgate.io/kernel-id', /finds executors by these labels/],
        ['spark.kubernetes.executor.label.app.kubernetes.io/component', /labels/],
        ['spark.driver.memory', /limits check/],
        ['spark.driver.cores', /sizing/],
        ['spark.executor.memory', /sizing/],
        ['spark.executor.memoryOverhead', /sizing/],
        ['spark.executor.cores', /sizing/],
        ['spark.executor.instances', /sizing/],
        ['spark.kubernetes.executor.limit.cores', /sizing/],
        ['spark.executor.resource.gpu.amount', /sizing/],
        ['spark.task.resource.gpu.amount', /sizing/],
        ['spark.dynamicAllocation.maxExecutors', /sizing/]
      ];
      for (const [key, why] of owned) {
        const message = refusal(`sparkConf: {${key}: x}`);
        expect(message).toMatch(new RegExp(`^profiles\\.p\\.sparkConf\\.${key.replace(/[.]/g, '\\.')}: set by the gateway \\(`));
        expect(message).toMatch(why);
        expect(message).toMatch(/; remove it$/);
      }
      // Spark's own secret keys point at the profile's `secrets`, which reach the client-mode driver too.
      for (const key of ['spark.kubernetes.executor.secrets.other-kernel', 'spark.kubernetes.executor.secretKeyRef.X', 'spark.kubernetes.driver.secrets.s']) {
        expect(refusal(`sparkConf: {${key}: x}`)).toMatch(/set by the gateway from the profile's secrets .*set that instead/);
      }
    });

    it('should refuse Spark settings smuggled in as -Dspark.* JVM options, and keep other JVM options', () => {
      for (const key of ['spark.driver.extraJavaOptions', 'spark.executor.extraJavaOptions', 'spark.driver.defaultJavaOptions']) {
        expect(refusal(`sparkConf: {${key}: "-Xss4m -Dspark.authenticate=false"}`)).toBe(
          `profiles.p.sparkConf.${key}: -Dspark.* options would set Spark conf past these checks; give those keys in sparkConf itself`
        );
      }
      expect(profile('sparkConf: {spark.executor.extraJavaOptions: "-XX:+UseG1GC -Dio.netty.tryReflectionSetAccessible=true"}').runtime?.sparkConf).toEqual({
        'spark.executor.extraJavaOptions': '-XX:+UseG1GC -Dio.netty.tryReflectionSetAccessible=true'
      });
    });

    it('should point at the profile field for keys that have one', () => {
      expect(refusal('sparkConf: {spark.jars.packages: "a:b:1"}')).toBe(
        "profiles.p.sparkConf.spark.jars.packages: set by the gateway from the profile's packages (Maven coordinates are checked there); set that instead"
      );
      const fields: Array<[string, string]> = [
        ['spark.kubernetes.container.image', 'image.executor'],
        ['spark.kubernetes.executor.container.image', 'image.executor'],
        ['spark.kubernetes.driver.container.image', 'image.driver'],
        ['spark.kubernetes.node.selector.zone', 'executors.nodeSelector'],
        ['spark.kubernetes.executor.node.selector.zone', 'executors.nodeSelector'],
        ['spark.kubernetes.driver.node.selector.zone', 'driver.nodeSelector'],
        ['spark.kubernetes.executor.volumes.persistentVolumeClaim.d.options.claimName', 'volumes'],
        ['spark.kubernetes.driver.volumes.hostPath.h.mount.path', 'volumes'],
        ['spark.executorEnv.FOO', 'env'],
        ['spark.jars.ivy', 'ivyCacheVolume']
      ];
      for (const [key, field] of fields) {
        expect(refusal(`sparkConf: {${key}: x}`)).toMatch(`sparkConf.${key}: set by the gateway from the profile's ${field} (`);
      }
    });

    it('should let tuning keys the gateway sets as defaults through (they stay the profile’s to change)', () => {
      const conf = 'sparkConf: {spark.dynamicAllocation.executorIdleTimeout: 600s, spark.kubernetes.executor.missingPodDetectDelta: 120s, spark.app.name: etl}';
      expect(Object.keys(profile(conf).runtime!.sparkConf)).toHaveLength(3);
    });
  });

  describe('env', () => {
    it('should take plain variables', () => {
      expect(profile('env: {TZ: UTC, MY_FLAG: "1"}').runtime?.env).toEqual({ TZ: 'UTC', MY_FLAG: '1' });
    });

    it('should refuse non-text values, bad names and the names the gateway, Spark or Kubernetes set', () => {
      expect(refusal('env: {N: 1}')).toBe('profiles.p.env.N must be a string (quote numbers and true/false); secrets do not go here');
      expect(refusal('env: {N: {secretKeyRef: x}}')).toMatch(/^profiles\.p\.env\.N must be a string/);
      expect(refusal('env: {1X: a}')).toBe('profiles.p.env.1X: not a variable name (letters, digits and _, not starting with a digit)');
      expect(refusal('env: {MY-VAR: a}')).toMatch(/^profiles\.p\.env\.MY-VAR: not a variable name/);
      const owned: Array<[string, RegExp]> = [
        ['SPARKGATE_KERNEL_ID', /set by the gateway/],
        ['JPY_PARENT_PID', /set by the gateway/],
        ['KERNEL_USERNAME', /clients'/],
        ['SPARK_LOCAL_IP', /Spark settings go in sparkConf/],
        ['SPARK_HOME', /Spark's and the gateway's own/],
        ['_SPARK_AUTH_SECRET', /Spark's own/],
        ['PYSPARK_SUBMIT_ARGS', /spark-submit arguments/],
        ['PYSPARK_PYTHON', /kernel's Python/],
        ['KUBERNETES_SERVICE_HOST', /API server/],
        ['HOME', /work dir/],
        ['JAVA_TOOL_OPTIONS', /sets it on executors/],
        ['JDK_JAVA_OPTIONS', /past sparkConf's checks/],
        ['_JAVA_OPTIONS', /past sparkConf's checks/]
      ];
      for (const [name, why] of owned) {
        const message = refusal(`env: {${name}: x}`);
        expect(message).toMatch(new RegExp(`^profiles\\.p\\.env\\.${name}: `));
        expect(message).toMatch(why);
        expect(message).toMatch(/; remove it$/);
      }
      // Spark's own secret keys point at the profile's `secrets`, which reach the client-mode driver too.
      for (const key of ['spark.kubernetes.executor.secrets.other-kernel', 'spark.kubernetes.executor.secretKeyRef.X', 'spark.kubernetes.driver.secrets.s']) {
        expect(refusal(`sparkConf: {${key}: x}`)).toMatch(/set by the gateway from the profile's secrets .*set that instead/);
      }
    });
  });

  describe('driver and executors placement', () => {
    it('should take nodeSelector, tolerations and gpuType for each, beside their sizing', () => {
      const p = profile(
        'driver: {cores: 2, nodeSelector: {pool: interactive}, tolerations: [{key: dedicated, operator: Equal, value: jupyter, effect: NoSchedule}]}, ' +
          'executors: {count: 2, gpus: 1, gpuType: NVIDIA-A100-SXM4-80GB, nodeSelector: {topology.kubernetes.io/zone: eu-west-1a}, tolerations: [{operator: Exists}]}'
      );
      expect(p.sizing.driver).toEqual({ cores: 2, memoryMiB: 2048, gpus: 0 });
      // The GPU type is the launch's default too: it travels in the sizing (a user may choose it, see options).
      expect(p.sizing.executors).toEqual({ count: 2, cores: 1, memoryMiB: 2048, gpus: 1, gpuType: 'NVIDIA-A100-SXM4-80GB' });
      expect(p.runtime?.driver).toEqual({
        nodeSelector: { pool: 'interactive' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'jupyter', effect: 'NoSchedule' }],
        gpuType: null
      });
      expect(p.runtime?.executors).toEqual({
        nodeSelector: { 'topology.kubernetes.io/zone': 'eu-west-1a' },
        tolerations: [{ operator: 'Exists' }],
        gpuType: 'NVIDIA-A100-SXM4-80GB'
      });
      // Dynamic allocation keeps its sizing next to placement keys.
      expect(profile('executors: {min: 1, max: 3, gpuType: L4}').sizing.executors).toEqual({ min: 1, max: 3, cores: 1, memoryMiB: 2048, gpus: 0, gpuType: 'L4' });
    });

    it('should refuse bad label keys and values, bad tolerations and a gpuType said twice', () => {
      expect(refusal('driver: {nodeSelector: {"a/b/c": x}}')).toBe(
        'profiles.p.driver.nodeSelector.a/b/c: not a Kubernetes label key ([prefix/]name, the name at most 63 letters, digits, -, _ or .)'
      );
      expect(refusal('executors: {nodeSelector: {zone: "eu west"}}')).toMatch(/^profiles\.p\.executors\.nodeSelector\.zone must be a label value/);
      expect(refusal('executors: {nodeSelector: {zone: 1}}')).toBe('profiles.p.executors.nodeSelector.zone must be a string (quote numbers and true/false)');
      expect(refusal('driver: {tolerations: [{key: a, operator: Exists, value: b}]}')).toBe('profiles.p.driver.tolerations[0].value must be empty with operator Exists');
      expect(refusal('driver: {tolerations: [{value: b}]}')).toBe(
        'profiles.p.driver.tolerations[0]: a toleration without a key needs operator Exists (it tolerates every taint)'
      );
      expect(refusal('driver: {tolerations: [{key: a, effect: Sometimes}]}')).toMatch(/^profiles\.p\.driver\.tolerations\[0\]\.effect must be one of NoSchedule/);
      expect(refusal('executors: {gpuType: "A100 80GB"}')).toBe('profiles.p.executors.gpuType must be a value of the node label nvidia.com/gpu.product (e.g. NVIDIA-A100-SXM4-80GB)');
      expect(refusal('executors: {gpuType: L4, nodeSelector: {nvidia.com/gpu.product: A100}}')).toBe(
        'profiles.p.executors.nodeSelector.nvidia.com/gpu.product: give gpuType or this selector, not both'
      );
      expect(refusal('driver: {gpu_type: L4}')).toMatch(/^config: profiles\.p\.driver\.gpu_type: unknown key; allowed: cores, memory, gpus, memoryOverhead, nodeSelector, tolerations, gpuType$/);
    });
  });

  describe('volumes', () => {
    it('should take shared claims (mounted on executors too by default) and per-user templates (driver only by default)', () => {
      const p = profile(
        `volumes: [${HOME}, {name: data, claim: datasets, mountPath: /data, readOnly: true}, ` +
          '{name: scratch, claimTemplate: "scratch-{user}", mountPath: /scratch, size: 500Mi, storageClass: fast-ssd, executors: true}]'
      );
      expect(p.runtime?.volumes).toEqual([
        { name: 'home', mountPath: '/home/jovyan', readOnly: false, executors: false, claimTemplate: 'home-{user}', size: '10Gi', storageClass: null },
        { name: 'data', mountPath: '/data', readOnly: true, executors: true, claim: 'datasets' },
        { name: 'scratch', mountPath: '/scratch', readOnly: false, executors: true, claimTemplate: 'scratch-{user}', size: '500Mi', storageClass: 'fast-ssd' }
      ]);
    });

    it('should refuse a volume that names no claim or two, and template keys on a shared claim', () => {
      expect(refusal('volumes: [{name: v, mountPath: /v}]')).toBe(
        'profiles.p.volumes[0] (v): give claim (an existing claim) or claimTemplate (one per user, e.g. home-{user})'
      );
      expect(refusal('volumes: [{name: v, claim: c, claimTemplate: "c-{user}", mountPath: /v, size: 1Gi}]')).toMatch(/^profiles\.p\.volumes\[0\] \(v\): give claim/);
      expect(refusal('volumes: [{name: v, claim: c, mountPath: /v, size: 1Gi}]')).toBe(
        'profiles.p.volumes[0].size: only for a claimTemplate (the gateway creates those claims; an existing claim has its own)'
      );
      expect(refusal('volumes: [{name: v, claim: c, mountPath: /v, storageClass: s}]')).toMatch(/^profiles\.p\.volumes\[0\]\.storageClass: only for a claimTemplate/);
      expect(refusal('volumes: [{name: v, claim: Bad_Claim, mountPath: /v}]')).toBe("profiles.p.volumes[0].claim must be a claim name (lowercase letters, digits, - and .; got 'Bad_Claim')");
      expect(refusal('volumes: [{name: v, claim: c, mountPath: /v, subPath: x}]')).toMatch(/^config: profiles\.p\.volumes\[0\]\.subPath: unknown key/);
    });

    it('should refuse templates without {user}, with it twice, too long, without a size or with a bad one', () => {
      expect(refusal('volumes: [{name: v, claimTemplate: home, mountPath: /v, size: 1Gi}]')).toBe(
        'profiles.p.volumes[0].claimTemplate must contain {user} once (e.g. home-{user}); a claim every user shares is a claim'
      );
      expect(refusal('volumes: [{name: v, claimTemplate: "{user}-{user}", mountPath: /v, size: 1Gi}]')).toMatch(/claimTemplate must contain \{user\} once/);
      expect(refusal(`volumes: [{name: v, claimTemplate: "${'h'.repeat(40)}-{user}", mountPath: /v, size: 1Gi}]`)).toMatch(
        /claimTemplate must make a claim name of lowercase letters, digits and -, with room for the user \(at most 39 characters besides \{user\}/
      );
      expect(refusal('volumes: [{name: v, claimTemplate: "Home-{user}", mountPath: /v, size: 1Gi}]')).toMatch(/claimTemplate must make a claim name/);
      expect(refusal('volumes: [{name: v, claimTemplate: "home-{user}", mountPath: /v}]')).toBe(
        'profiles.p.volumes[0].size: a claimTemplate needs the size of the claims it makes (e.g. 10Gi)'
      );
      expect(refusal('volumes: [{name: v, claimTemplate: "home-{user}", mountPath: /v, size: 10gb}]')).toBe(
        "profiles.p.volumes[0].size must be a storage size like 10Gi or 500Mi (got '10gb')"
      );
      expect(refusal('volumes: [{name: v, claimTemplate: "home-{user}", mountPath: /v, size: 1Gi, storageClass: Fast}]')).toMatch(/storageClass must be a StorageClass name/);
    });

    it("should refuse volume names the gateway or Spark use, and mount paths on, above or inside the gateway's mounts", () => {
      expect(refusal('volumes: [{name: work, claim: c, mountPath: /v}]')).toBe(
        "profiles.p.volumes[0].name 'work' is taken: the gateway names its volumes kernel, work and Spark its spark-…"
      );
      expect(refusal('volumes: [{name: spark-local-dir-1, claim: c, mountPath: /v}]')).toMatch(/name 'spark-local-dir-1' is taken/);
      expect(refusal('volumes: [{name: Home, claim: c, mountPath: /v}]')).toBe("profiles.p.volumes[0].name must be lowercase letters, digits and -, at most 63 (got 'Home')");
      expect(refusal('volumes: [{name: v, claim: c, mountPath: /opt/spark/work-dir}]')).toBe("profiles.p.volumes[0].mountPath would cover the gateway's mount at /opt/spark/work-dir");
      expect(refusal('volumes: [{name: v, claim: c, mountPath: /opt}]')).toMatch(/would cover the gateway's mount at \/opt\/spark\/work-dir/);
      expect(refusal('volumes: [{name: v, claim: c, mountPath: /etc}]')).toMatch(/would cover the gateway's mount at \/etc\/sparkgate$/);
      expect(refusal('volumes: [{name: v, claim: c, mountPath: /var/run/secrets}]')).toMatch(/serviceaccount$/);
      expect(refusal('volumes: [{name: v, claim: c, mountPath: /etc/sparkgate/kernel/x}]')).toBe("profiles.p.volumes[0].mountPath is inside the gateway's read-only mount at /etc/sparkgate");
      expect(refusal('volumes: [{name: v, claim: c, mountPath: data}]')).toBe("profiles.p.volumes[0].mountPath must be an absolute path without ., .. or a trailing / (got 'data')");
      expect(refusal('volumes: [{name: v, claim: c, mountPath: /data/../etc}]')).toMatch(/must be an absolute path/);
      expect(refusal('volumes: [{name: v, claim: c, mountPath: /data/}]')).toMatch(/must be an absolute path/);
      // Inside the work dir is fine: nested mounts do not hide it.
      expect(profile('volumes: [{name: v, claim: c, mountPath: /opt/spark/work-dir/data}]').runtime?.volumes).toHaveLength(1);
    });

    it('should refuse two volumes of one name or one mount path', () => {
      expect(refusal('volumes: [{name: v, claim: a, mountPath: /a}, {name: v, claim: b, mountPath: /b}]')).toBe("profiles.p.volumes[1].name: 'v' appears twice");
      expect(refusal('volumes: [{name: a, claim: a, mountPath: /a}, {name: b, claim: b, mountPath: /a}]')).toBe("profiles.p.volumes[1].mountPath: /a is another volume's mount path");
    });

    it('should refuse a per-user volume on a profile with a warm pool (a warm driver has no user yet)', () => {
      const yaml = `profiles:\n  p: {volumes: [${HOME}]}\ntenants:\n  t: {pools: {p: {size: 1}}}\n`;
      expect(() => load(yaml)).toThrow(
        new ConfigError(
          "tenants.t.pools.p: profile 'p' mounts a claim per user (volumes: home, home-{user}), and a warm driver starts before it has a user: remove the pool or the volume"
        )
      );
      expect(load(`profiles:\n  p: {volumes: [{name: d, claim: data, mountPath: /d}]}\ntenants:\n  t: {pools: {p: {size: 1}}}\n`).tenants.t?.pools).toEqual({ p: { size: 1, maxIdleMs: 0 } });
    });
  });

  describe('packages and ivyCacheVolume', () => {
    it('should take Maven coordinates and a writable volume for the Ivy cache', () => {
      const p = profile(`packages: [org.apache.spark:spark-avro_2.13:4.0.1, io.delta:delta-spark_2.13:4.0.0], volumes: [${HOME}], ivyCacheVolume: home`);
      expect(p.runtime?.packages).toEqual(['org.apache.spark:spark-avro_2.13:4.0.1', 'io.delta:delta-spark_2.13:4.0.0']);
      expect(p.runtime?.ivyCacheVolume).toBe('home');
    });

    it('should refuse what is not group:artifact:version, an artifact twice, and a cache volume that is missing, read-only or caches nothing', () => {
      expect(refusal('packages: [spark-avro]')).toBe('profiles.p.packages[0] must be Maven coordinates group:artifact:version (e.g. org.apache.spark:spark-avro_2.13:4.0.1)');
      expect(refusal('packages: ["a:b:1,c:d:2"]')).toMatch(/^profiles\.p\.packages\[0\] must be Maven coordinates/);
      expect(refusal('packages: a:b:1')).toBe('profiles.p.packages must be a list of Maven coordinates (group:artifact:version)');
      expect(refusal('packages: [a:b:1, a:b:2]')).toBe('profiles.p.packages[1]: a:b appears twice');
      expect(refusal('packages: [a:b:1], ivyCacheVolume: ivy')).toBe("profiles.p.ivyCacheVolume: 'ivy' is not one of the profile's volumes (none)");
      expect(refusal('packages: [a:b:1], volumes: [{name: d, claim: c, mountPath: /d, readOnly: true}], ivyCacheVolume: d')).toBe(
        "profiles.p.ivyCacheVolume: volume 'd' is read-only; Ivy writes its cache there"
      );
      expect(refusal(`volumes: [${HOME}], ivyCacheVolume: home`)).toBe('profiles.p.ivyCacheVolume: the profile has no packages to cache');
    });
  });

  it('should refuse Spark fields on a profile without Spark', () => {
    expect(refusal('spark: false, sparkConf: {spark.sql.shuffle.partitions: 8}')).toBe('profiles.p.sparkConf: the profile starts no Spark (spark: false)');
    expect(refusal('spark: false, packages: [a:b:1]')).toBe('profiles.p.packages: the profile starts no Spark (spark: false)');
    // Env, image, placement and volumes still apply to a plain Python kernel.
    expect(profile(`spark: false, env: {TZ: UTC}, volumes: [${HOME}]`).runtime?.env).toEqual({ TZ: 'UTC' });
  });

  it('should freeze the runtime with the rest of the config', () => {
    const runtime = profile('env: {TZ: UTC}').runtime!;
    expect(Object.isFrozen(runtime.env)).toBe(true);
  });
});
