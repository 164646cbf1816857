import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../../../server/src/config/errors.js';
import { loadConfig, sha256, type LoadConfigInput } from '../../../../server/src/config/load.js';

const defaults = { python: '/py', launcher: '/launcher.py', workingDir: '/work' };

function load(yaml: string | null, over: Partial<LoadConfigInput> = {}) {
  return loadConfig({
    flags: yaml === null ? {} : { config: 'gw.yaml' },
    env: { SPARKGATE_TOKEN: 'secret' },
    readFile: () => yaml ?? '',
    defaults,
    ...over
  });
}

describe('config/load', () => {
  describe('#loadConfig()', () => {
    it('should default to single-user mode with local PySpark and plain Python profiles', () => {
      const config = load(null);
      expect(config.host).toBe('127.0.0.1');
      expect(config.port).toBe(8889);
      expect(config.backend).toBe('local');
      expect(config.users).toEqual([]);
      expect(config.singleUserTokenSha256).toEqual(sha256('secret'));
      expect(Object.keys(config.profiles)).toEqual(['pyspark', 'python3']);
      expect(config.profiles.pyspark?.displayName).toBe('PySpark (local)');
      expect(config.tenants.default?.profiles).toEqual(['pyspark', 'python3']);
      expect(config.local.python).toBe('/py');
    });

    it('should let flags override the file and the file override defaults', () => {
      const config = load('host: 127.0.0.2\nport: 9000\n', { flags: { config: 'gw.yaml', port: 0 } });
      expect(config.host).toBe('127.0.0.2');
      expect(config.port).toBe(0);
    });

    it('should refuse several users on the local backend, where kernels share one OS user (issue 10)', () => {
      const twoUsers = 'users:\n  - {name: a, tenant: t, token: ta}\n  - {name: b, tenant: t, token: tb}\ntenants:\n  t: {}\n';
      expect(() => load(twoUsers)).toThrow(
        /the local backend runs every kernel as the gateway's own OS user, so each of the 2 users could read the others' kernel keys and the gateway's tokens: use --backend kubernetes for several users/
      );
      expect(load(`${twoUsers}local: {usersTrustEachOther: true}\n`).users).toHaveLength(2);
      expect(load(twoUsers, { flags: { config: 'gw.yaml', backend: 'kubernetes' } }).users).toHaveLength(2);
      expect(() => load('local: {usersTrustEachOther: "yes"}\n')).toThrow('local.usersTrustEachOther must be true or false (got "yes")');
    });

    it('should protect the service by default: kernels per user and request timeouts (issue 10)', () => {
      const config = load(null);
      expect(config.input.maxKernelsPerUser).toBe(10);
      expect(config.input.requestTimeoutMs).toBe(30_000);
      expect(config.input.maxWsBacklogBytes).toBe(32 * 1024 * 1024);
      expect(() => load('limits: {maxWsBacklogBytes: 1000}\n')).toThrow('limits.maxWsBacklogBytes must be an integer ≥ 1048576 (got 1000)');
      expect(load('limits: {maxKernelsPerUser: 0, requestTimeoutSeconds: 5}\n').input).toMatchObject({ maxKernelsPerUser: 0, requestTimeoutMs: 5000 });
    });

    it('should pace orphan sweeps of either backend by kernels.reap.intervalSeconds, the old kubernetes key still read (issue 13, item 2)', () => {
      expect(load(null).kernels.reap).toEqual({ intervalMs: 300_000 });
      expect(load('kernels: {reap: {intervalSeconds: 30}}\n').kernels.reap).toEqual({ intervalMs: 30_000 });
      expect(load('kernels: {reap: {intervalSeconds: 0}}\n').kernels.reap).toEqual({ intervalMs: 0 });
      expect(load('kernels: {reap: {}}\n').kernels.reap).toEqual({ intervalMs: 300_000 });
      // Deprecated, but existing configs (images/deploy/config.example.yaml, the cluster tests) use it.
      expect(load('kubernetes: {reapIntervalSeconds: 5}\n').kernels.reap).toEqual({ intervalMs: 5000 });
      expect(load('kubernetes: {reapIntervalSeconds: 5}\nkernels: {reap: {intervalSeconds: 5}}\n').kernels.reap).toEqual({ intervalMs: 5000 });
      expect(() => load('kubernetes: {reapIntervalSeconds: 5}\nkernels: {reap: {intervalSeconds: 60}}\n')).toThrow(
        new ConfigError(
          'kernels.reap.intervalSeconds (60) and kubernetes.reapIntervalSeconds (5) disagree: ' +
            'give only kernels.reap.intervalSeconds (kubernetes.reapIntervalSeconds is its deprecated old name)'
        )
      );
      expect(() => load('kernels: {reap: {intervalSeconds: -1}}\n')).toThrow('kernels.reap.intervalSeconds must be an integer ≥ 0 (got -1)');
      expect(() => load('kernels: {reap: {intervalSeconds: 1.5}}\n')).toThrow(/^kernels\.reap\.intervalSeconds must be an integer/);
    });

    it('should leave culling off by default, with the documented defaults for when it is on (issue 13, item 1)', () => {
      const off = { idleMs: 0, intervalMs: 60_000, connected: false, busy: false, warnMs: 0 };
      expect(load(null).kernels.cull).toEqual(off);
      expect(load(null).tenants.default?.cull).toEqual(off);
      expect(load('kernels: {cull: {idleSeconds: 3600}}\n').kernels.cull).toEqual({ ...off, idleMs: 3_600_000, warnMs: 300_000 });
      // The warning starts no earlier than idleness: clamped to idleSeconds.
      expect(load('kernels: {cull: {idleSeconds: 3, intervalSeconds: 0.5}}\n').kernels.cull).toMatchObject({ idleMs: 3000, intervalMs: 500, warnMs: 3000 });
      expect(() => load('kernels: {cull: {intervalSeconds: 0}}\n')).toThrow('kernels.cull.intervalSeconds must be a number ≥ 0.1 (got 0)');
      expect(() => load('kernels: {cull: {connected: "yes"}}\n')).toThrow('kernels.cull.connected must be true or false (got "yes")');
      expect(() => load('kernels: {cull: {idleSeconds: -1}}\n')).toThrow('kernels.cull.idleSeconds must be a number ≥ 0 (got -1)');
    });

    it("should merge a tenant's cull keys over the global ones, clamping after the merge (issue 13, item 1)", () => {
      const config = load(
        'kernels: {cull: {idleSeconds: 600, busy: true, warnSeconds: 120}}\n' +
          'tenants:\n  gpu: {cull: {idleSeconds: 60, connected: true}}\n  batch: {cull: {idleSeconds: 0}}\n  rest: {}\n' +
          '  off-by-default: {cull: {warnSeconds: 900}}\n'
      );
      expect(config.tenants.gpu?.cull).toEqual({ idleMs: 60_000, intervalMs: 60_000, connected: true, busy: true, warnMs: 60_000 });
      expect(config.tenants.batch?.cull.idleMs).toBe(0);
      expect(config.tenants.rest?.cull).toEqual(config.kernels.cull);
      expect(config.tenants['off-by-default']?.cull).toMatchObject({ idleMs: 600_000, warnMs: 600_000 });
      // Global off, one tenant on: it keeps the default 5 min warning (clamping comes after the merge).
      expect(load('tenants:\n  gpu: {cull: {idleSeconds: 3600}}\n').tenants.gpu?.cull).toMatchObject({ idleMs: 3_600_000, warnMs: 300_000 });
    });

    it('should refuse a profile whose spark flag is not a boolean', () => {
      expect(() => load('profiles:\n  p: {spark: "yes"}\n')).toThrow('profiles.p.spark must be true or false (got "yes")');
    });

    it('should refuse to start without a token in single-user mode', () => {
      expect(() => load(null, { env: {} })).toThrow(/SPARKGATE_TOKEN is not set/);
    });

    it('should parse users, tenants, limits and profiles with memory units', () => {
      const config = load(`
backend: kubernetes
users:
  - {name: alice, tenant: team-a, token: a-token}
  - {name: bob, tenant: team-b, tokenSha256: ${sha256('b-token').toString('hex')}}
tenants:
  team-a: {namespace: ns-a, limits: {gpus: 4, cores: 16, memory: 64g}, profiles: [gpu]}
  team-b: {}
profiles:
  gpu:
    displayName: PySpark GPU
    driver: {cores: 2, memory: 4Gi, gpus: 1}
    executors: {min: 1, max: 4, cores: 4, memory: 8192m, gpus: 1}
`);
      expect(config.users.map(u => [u.name, u.tenant])).toEqual([['alice', 'team-a'], ['bob', 'team-b']]);
      expect(config.users[0]?.tokenSha256).toEqual(sha256('a-token'));
      expect(config.singleUserTokenSha256).toBeNull();
      expect(config.tenants['team-a']).toEqual({
        name: 'team-a',
        namespace: 'ns-a',
        cull: { idleMs: 0, intervalMs: 60_000, connected: false, busy: false, warnMs: 0 },
        limits: { gpus: 4, cores: 16, memoryMiB: 65536 },
        profiles: ['gpu'],
        pools: {}
      });
      expect(config.tenants['team-b']?.limits).toEqual({ gpus: null, cores: null, memoryMiB: null });
      expect(config.profiles.gpu?.sizing).toEqual({
        driver: { cores: 2, memoryMiB: 4096, gpus: 1 },
        executors: { min: 1, max: 4, cores: 4, memoryMiB: 8192, gpus: 1 }
      });
    });

    it.each([
      ['users:\n  - {name: a, tenant: nope, token: t}\n', /tenant 'nope', which is not in tenants/],
      ['users:\n  - {name: a, tenant: x, token: t, tokenSha256: abc}\ntenants: {x: {}}\n', /exactly one of token or tokenSha256/],
      ['tenants: {x: {profiles: [missing]}}\n', /names 'missing', which is not in profiles/],
      ['profiles: {p: {executors: {count: 2, min: 1}}}\n', /either count or min\/max/],
      ['profiles: {p: {executors: {min: 3, max: 1}}}\n', /max \(1\) must be ≥ min \(3\)/],
      ['profiles: {p: {driver: {memory: lots}}}\n', /memory size like 4g/],
      ['backend: yarn\n', /backend must be 'local' or 'kubernetes'/],
      ['port: [1\n', /not valid YAML/]
    ])('should reject %j with a message naming the problem', (yaml, message) => {
      expect(() => load(yaml)).toThrow(ConfigError);
      expect(() => load(yaml)).toThrow(message);
    });

    it('should default the Kubernetes section to the versioned images, non-root pods and tainted GPU nodes', () => {
      const k = load(null, { defaults: { ...defaults, version: '1.2.3' } }).kubernetes;
      expect(k).toMatchObject({
        kubeconfig: null,
        driverImage: 'sparkgate/driver:1.2.3',
        executorImage: 'sparkgate/executor:1.2.3',
        kernelServiceAccount: 'sparkgate-kernel',
        executorServiceAccount: 'sparkgate-executor',
        runAsUser: 185,
        sparkMaster: null
      });
      expect(k.gpuTolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
      const custom = load('kubernetes: {driverImage: r/d:9, gpuNodeSelector: {pool: gpu}, gpuTolerations: []}').kubernetes;
      expect(custom).toMatchObject({ driverImage: 'r/d:9', gpuNodeSelector: { pool: 'gpu' }, gpuTolerations: [] });
    });

    it('should refuse root pods and unknown pull policies, naming the setting', () => {
      expect(() => load('kubernetes: {runAsUser: 0}')).toThrow(/kubernetes.runAsUser must not be 0/);
      expect(() => load('kubernetes: {imagePullPolicy: Sometimes}')).toThrow(/kubernetes.imagePullPolicy must be one of Always, IfNotPresent, Never/);
      expect(() => load('kubernetes: {gpuNodeSelector: {pool: 3}}')).toThrow(/kubernetes.gpuNodeSelector.pool must be a non-empty string/);
      expect(() => load('kubernetes: {gpuTolerations: nope}')).toThrow(/kubernetes.gpuTolerations must be a list/);
    });

    it.each([
      ['the top level', 'hots: 127.0.0.1\n', 'config: hots: unknown key; allowed: host, port, backend, basePath, logLevel, users, tenants, profiles, defaultProfile, local, kernels, limits, kubernetes'],
      ['a profile', 'profiles:\n  gpu: {displayName: GPU, sizng: {}}\n', 'config: profiles.gpu.sizng: unknown key; allowed: displayName, spark, driver, executors'],
      ['a driver', 'profiles: {gpu: {driver: {memroy: 4g}}}\n', 'config: profiles.gpu.driver.memroy: unknown key; allowed: cores, memory, gpus'],
      ['executors', 'profiles: {gpu: {executors: {gpu: 1}}}\n', 'config: profiles.gpu.executors.gpu: unknown key; allowed: count, min, max, cores, memory, gpus'],
      ['a tenant', 'tenants:\n  team-a: {namespce: ns-a}\n', 'config: tenants.team-a.namespce: unknown key; allowed: namespace, limits, profiles, cull'],
      ['tenant limits', 'tenants: {team-a: {limits: {gpu: 4}}}\n', 'config: tenants.team-a.limits.gpu: unknown key; allowed: gpus, cores, memory'],
      ['a user', 'users:\n  - {name: a, tenant: t, token: x, tennant: t}\ntenants: {t: {}}\n', 'config: users[0].tennant: unknown key; allowed: name, tenant, token, tokenSha256'],
      ['limits', 'limits: {maxKernelsPerUsr: 3}\n', 'config: limits.maxKernelsPerUsr: unknown key; allowed: maxBodyBytes, maxWsMessageBytes, maxWsBacklogBytes, maxKernelsPerUser, requestTimeoutSeconds'],
      ['local', 'local: {pyhton: /py}\n', 'config: local.pyhton: unknown key; allowed: python, launcher, workingDir, usersTrustEachOther'],
      ['kernels', 'kernels: {startTimeout: 5}\n', 'config: kernels.startTimeout: unknown key; allowed: startTimeoutSeconds, shutdownGraceSeconds, cull, reap'],
      ['kernels.reap', 'kernels: {reap: {interval: 60}}\n', 'config: kernels.reap.interval: unknown key; allowed: intervalSeconds'],
      ['kernels.cull', 'kernels: {cull: {idleSecs: 60}}\n', 'config: kernels.cull.idleSecs: unknown key; allowed: idleSeconds, intervalSeconds, connected, busy, warnSeconds'],
      ['a tenant\'s cull', 'tenants: {team-a: {cull: {bussy: true}}}\n', 'config: tenants.team-a.cull.bussy: unknown key; allowed: idleSeconds, intervalSeconds, connected, busy, warnSeconds'],
      ['kubernetes', 'kubernetes: {driverimage: d}\n', 'config: kubernetes.driverimage: unknown key; allowed: kubeconfig, driverImage, executorImage, imagePullPolicy, kernelServiceAccount, executorServiceAccount, runAsUser, gpuDiscoveryScript, gpuNodeSelector, gpuTolerations, sparkMaster, nodeLostSeconds, reapIntervalSeconds, orphanGraceSeconds'],
      ['a toleration', 'kubernetes: {gpuTolerations: [{key: k, efect: NoSchedule}]}\n', 'config: kubernetes.gpuTolerations[0].efect: unknown key; allowed: key, operator, value, effect']
    ])('should refuse a typo in %s, naming its path and the allowed keys (issue 12)', (_where, yaml, message) => {
      expect(() => load(yaml)).toThrow(ConfigError);
      expect(() => load(yaml)).toThrow(message);
    });

    it('should name every unknown key of one mapping, and count further problems', () => {
      expect(() => load('hots: a\nprot: 1\n')).toThrow(/^config: hots, prot: unknown keys; allowed: host, /);
      expect(() => load('hots: a\nlimits: {maxBodyBytes: 1}\n')).toThrow(/ \(and 1 more problem\)$/);
    });

    it('should refuse spark: "yes" and other non-booleans instead of reading them as false (issue 12)', () => {
      for (const value of ['"yes"', 'yes', '"true"', '1', 'null']) {
        expect(() => load(`profiles:\n  p: {spark: ${value}}\n`)).toThrow(/^profiles\.p\.spark must be true or false \(got /);
      }
      expect(load('profiles:\n  p: {spark: false}\n').profiles.p?.spark).toBe(false);
      expect(load('profiles:\n  p: {}\n').profiles.p?.spark).toBe(true);
    });

    it('should keep the defaults of every setting the file leaves out', () => {
      const config = load('profiles:\n  p:\n');
      expect(config.basePath).toBe('');
      expect(config.logLevel).toBe('info');
      expect(config.defaultProfile).toBe('p');
      expect(config.profiles.p).toEqual({
        id: 'p',
        displayName: 'p',
        spark: true,
        sizing: { driver: { cores: 1, memoryMiB: 2048, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 2048, gpus: 0 } }
      });
      expect(config.profiles.p?.sizing.executors).not.toHaveProperty('min');
      expect(config.kernels).toEqual({
        startTimeoutMs: 120_000,
        shutdownGraceMs: 5000,
        cull: { idleMs: 0, intervalMs: 60_000, connected: false, busy: false, warnMs: 0 },
        reap: { intervalMs: 300_000 }
      });
      expect(config.input).toEqual({
        maxBodyBytes: 1024 * 1024,
        maxWsMessageBytes: 64 * 1024 * 1024,
        maxWsBacklogBytes: 32 * 1024 * 1024,
        maxKernelsPerUser: 10,
        requestTimeoutMs: 30_000
      });
      expect(config.local).toEqual({
        python: '/py',
        launcher: '/launcher.py',
        workingDir: '/work',
        usersTrustEachOther: false,
        runtimeDir: null,
        adoptGraceSeconds: 300
      });
      expect(config.kubernetes).toMatchObject({ imagePullPolicy: 'IfNotPresent', gpuDiscoveryScript: '/opt/sparkgate/bin/gpu-discovery.sh', gpuNodeSelector: {} });
      expect(config.tenants).toEqual({
        default: {
          name: 'default',
          namespace: 'default',
          cull: { idleMs: 0, intervalMs: 60_000, connected: false, busy: false, warnMs: 0 },
          limits: { gpus: null, cores: null, memoryMiB: null },
          profiles: ['p'],
          pools: {}
        }
      });
      expect(load('profiles: {p: {executors: {min: 2}}}\n').profiles.p?.sizing.executors).toEqual({ min: 2, max: 2, cores: 1, memoryMiB: 2048, gpus: 0 });
      expect(load('profiles: {p: {executors: {max: 3}}}\n').profiles.p?.sizing.executors).toEqual({ min: 0, max: 3, cores: 1, memoryMiB: 2048, gpus: 0 });
    });

    it('should read warm pools per tenant and profile, leaving out size 0 (issue 15)', () => {
      const config = load('profiles: {p: {}, q: {}}\ntenants: {a: {pools: {p: {size: 2, maxIdleMinutes: 30}, q: {size: 0}}}}\n', { env: { SPARKGATE_TOKEN: 't' } });
      expect(config.tenants.a?.pools).toEqual({ p: { size: 2, maxIdleMs: 1_800_000 } });
      expect(load('profiles: {p: {}}\ntenants: {a: {pools: {p: {size: 1}}}}\n', { env: { SPARKGATE_TOKEN: 't' } }).tenants.a?.pools).toEqual({ p: { size: 1, maxIdleMs: 0 } });
    });

    it('should read simulatedGpus (the demo cluster tells the panel its GPUs are fake), false by default, booleans only', () => {
      expect(load(null).simulatedGpus).toBe(false);
      expect(load('simulatedGpus: true\n').simulatedGpus).toBe(true);
      expect(() => load('simulatedGpus: "yes"\n')).toThrow(/^simulatedGpus must be true or false \(got /);
    });

    it('should read metrics: auth on, no scraper token and no per-user labels by default; the token kept only as its sha256 (issue 17)', () => {
      expect(load(null).metrics).toEqual({ auth: true, tokenSha256: null, perUserLabels: false });
      const config = load('metrics: {auth: false, token: scrape-me, perUserLabels: true}\n');
      expect(config.metrics?.auth).toBe(false);
      expect(config.metrics?.perUserLabels).toBe(true);
      expect(config.metrics?.tokenSha256?.equals(sha256('scrape-me'))).toBe(true);
      expect(JSON.stringify(config)).not.toContain('scrape-me');
      expect(() => load('metrics: {tokn: x}\n')).toThrow(/metrics\.tokn: unknown key; allowed: auth, token, perUserLabels/);
      expect(() => load('metrics: {auth: "no"}\n')).toThrow(/^metrics\.auth must be true or false/);
    });

    it('should read log.redact as extra redact paths, none by default (issue 17)', () => {
      expect(load(null).logRedact).toEqual([]);
      expect(load('log: {redact: [req.headers.cookie, body.password]}\n').logRedact).toEqual(['req.headers.cookie', 'body.password']);
      expect(() => load('log: {redact: req.headers.cookie}\n')).toThrow(/^log\.redact must be a list of field paths/);
    });

    it('should read gpuMetrics: off by default; the URL checked and its trailing slash dropped; seconds to ms (issue 17)', () => {
      expect(load(null).gpuMetrics).toBeNull();
      expect(load('gpuMetrics: {prometheusUrl: "http://127.0.0.1:9090/"}\n').gpuMetrics).toEqual({
        prometheusUrl: 'http://127.0.0.1:9090',
        intervalMs: 15_000,
        timeoutMs: 5000
      });
      expect(load('gpuMetrics: {prometheusUrl: "http://p:9090", intervalSeconds: 2, timeoutSeconds: 0.5}\n').gpuMetrics).toMatchObject({ intervalMs: 2000, timeoutMs: 500 });
      expect(() => load('gpuMetrics: {prometheusUrl: "prometheus:9090"}\n')).toThrow(/^gpuMetrics\.prometheusUrl must be an http:\/\/ or https:\/\/ URL/);
      expect(() => load('gpuMetrics: {}\n')).toThrow(/^gpuMetrics\.prometheusUrl/);
      expect(() => load('gpuMetrics: {prometheusUrl: "http://p:9090", intervalSeconds: 0}\n')).toThrow(/^gpuMetrics\.intervalSeconds/);
    });

    it('should read empty sections (a key with nothing under it) as their defaults', () => {
      const config = load('limits:\nkernels:\nlocal:\nkubernetes:\ntenants:\nusers:\n');
      expect(config.input.maxKernelsPerUser).toBe(10);
      expect(config.users).toEqual([]);
      expect(Object.keys(config.tenants)).toEqual(['default']);
    });

    it('should accept kubeconfig and sparkMaster as null, as the README documents', () => {
      expect(load('kubernetes: {kubeconfig: null, sparkMaster: null}\n').kubernetes).toMatchObject({ kubeconfig: null, sparkMaster: null });
      expect(load('kubernetes: {kubeconfig: /k, sparkMaster: "k8s://https://api:6443"}\n').kubernetes).toMatchObject({
        kubeconfig: '/k',
        sparkMaster: 'k8s://https://api:6443'
      });
    });

    it.each([
      ['port: 70000\n', 'port must be an integer between 0 and 65535 (got 70000)'],
      ['port: "8889"\n', 'port must be an integer between 0 and 65535 (got "8889")'],
      ['host: ""\n', 'host must be a non-empty string'],
      ['logLevel: loud\n', "logLevel must be one of debug, info, warn, error, silent (got 'loud')"],
      ['basePath: api\n', "basePath must start with / (got 'api')"],
      ['kernels: {startTimeoutSeconds: 0}\n', 'kernels.startTimeoutSeconds must be a number ≥ 1 (got 0)'],
      ['limits: {maxBodyBytes: 1.5}\n', 'limits.maxBodyBytes must be an integer ≥ 1024 (got 1.5)'],
      ['profiles: {Big_One: {}}\n', 'profiles.Big_One: profile ids are lowercase letters, digits and single dashes'],
      ['profiles: {a--b: {}}\n', 'profiles.a--b: profile ids are lowercase letters, digits and single dashes'],
      ['profiles: {}\n', 'profiles: define at least one profile'],
      ['profiles: {p: {driver: {cores: 0}}}\n', 'profiles.p.driver.cores must be a number ≥ 0.1 (got 0)'],
      ['profiles: {p: {executors: {cores: 0.5}}}\n', 'profiles.p.executors.cores must be an integer ≥ 1 (got 0.5)'],
      ['profiles: {p: {displayName: 3}}\n', 'profiles.p.displayName must be a non-empty string'],
      ['profiles: {p: nope}\n', 'profiles.p must be a mapping'],
      ['defaultProfile: gpu\n', "defaultProfile 'gpu' is not in profiles"],
      ['users: {name: a}\n', 'users must be a list of {name, tenant, token | tokenSha256}'],
      ['users:\n  - {name: a, tenant: t, token: x}\n  - {name: a, tenant: t, token: y}\ntenants: {t: {}}\n', "users: 'a' appears twice"],
      ['users:\n  - {name: a, tenant: t, tokenSha256: abc}\ntenants: {t: {}}\n', 'users[0].tokenSha256 must be 64 hex digits (sha256 of the token)'],
      ['users:\n  - {tenant: t, token: x}\ntenants: {t: {}}\n', 'users[0].name must be a non-empty string'],
      ['users:\n  - {name: a, tenant: t}\ntenants: {t: {}}\n', 'users[0] (a): give exactly one of token or tokenSha256'],
      ['tenants: {Team_A: {}}\n', "tenants.Team_A.namespace 'Team_A' is not a valid Kubernetes namespace name"],
      ['tenants: {a: {profiles: pyspark}}\n', 'tenants.a.profiles must be a list of profile ids'],
      ['tenants: {a: {profiles: [3]}}\n', 'tenants.a.profiles[0] must be a profile id'],
      ['tenants: {a: {limits: {memory: lots}}}\n', 'tenants.a.limits.memory must be a memory size like 4g, 4096m or 4Gi (got "lots")'],
      ['profiles: {p: {}, q: {}}\ntenants: {a: {profiles: [p], pools: {q: {size: 1}}}}\n', "tenants.a.pools.q: the tenant may not launch profile 'q' (its profiles: p)"],
      ['profiles: {p: {}}\ntenants: {a: {pools: {p: {size: -1}}}}\n', 'tenants.a.pools.p.size must be an integer between 0 and 20 (got -1)'],
      ['profiles: {p: {}}\ntenants: {a: {pools: {p: {size: 21}}}}\n', 'tenants.a.pools.p.size must be an integer between 0 and 20 (got 21)'],
      ['profiles: {p: {}}\ntenants: {a: {pools: {p: {}}}}\n', 'tenants.a.pools.p.size must be an integer between 0 and 20 (got nothing)'],
      ['profiles: {p: {}}\ntenants: {a: {pools: {p: {size: 1, maxIdle: 5}}}}\n', 'tenants.a.pools.p.maxIdle: unknown key; allowed: size, maxIdleMinutes'],
      ['kubernetes: {gpuTolerations: [{operator: Sometimes}]}\n', "kubernetes.gpuTolerations[0].operator must be one of Exists, Equal (got 'Sometimes')"],
      ['- a\n- b\n', '--config gw.yaml must be a mapping']
    ])('should refuse %j, naming the setting', (yaml, message) => {
      expect(() => load(yaml)).toThrow(ConfigError);
      expect(() => load(yaml)).toThrow(message);
    });

    it('should let the environment override the file, and name the variable when it is wrong', () => {
      expect(load('logLevel: warn\n', { env: { SPARKGATE_TOKEN: 't', SPARKGATE_LOG_LEVEL: 'debug' } }).logLevel).toBe('debug');
      expect(load('local: {python: /file/py}\n', { env: { SPARKGATE_TOKEN: 't', SPARKGATE_PYTHON: '/env/py' } }).local.python).toBe('/env/py');
      expect(() => load(null, { env: { SPARKGATE_TOKEN: 't', SPARKGATE_LOG_LEVEL: 'loud' } })).toThrow(
        "SPARKGATE_LOG_LEVEL must be one of debug, info, warn, error, silent (got 'loud')"
      );
      expect(() => load(null, { flags: { backend: 'yarn' } })).toThrow("backend must be 'local' or 'kubernetes' (got 'yarn')");
    });

    it('should take local.runtimeDir from the file, else the default, and null as none (issue 13, item 3)', () => {
      const withDefault = { defaults: { ...defaults, runtimeDir: '/state/sparkgate/kernels' } };
      expect(load(null, withDefault).local.runtimeDir).toBe('/state/sparkgate/kernels');
      expect(load('local: {runtimeDir: /run/sg, adoptGraceSeconds: 2}', withDefault).local).toMatchObject({ runtimeDir: '/run/sg', adoptGraceSeconds: 2 });
      expect(load('local: {runtimeDir: null}', withDefault).local.runtimeDir).toBeNull();
      expect(() => load('local: {adoptGraceSeconds: -1}')).toThrow('local.adoptGraceSeconds must be a number ≥ 0 (got -1)');
    });

    it('should keep a plain token only as its digest', () => {
      const config = load('users:\n  - {name: a, tenant: t, token: plain-token}\ntenants: {t: {}}\n');
      expect(config.users[0]).toEqual({ name: 'a', tenant: 't', tokenSha256: sha256('plain-token') });
      expect(JSON.stringify(config)).not.toContain('plain-token');
    });

    it('should freeze the result', () => {
      const config = load(null);
      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.profiles.pyspark?.sizing.driver)).toBe(true);
    });
  });
});
