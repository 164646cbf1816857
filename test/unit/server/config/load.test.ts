import { describe, expect, it } from '@jest/globals';
import { parseArgs } from '../../../../server/src/config/args.js';
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
        limits: { gpus: 4, cores: 16, memoryMiB: 65536 },
        profiles: ['gpu']
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

    it('should freeze the result', () => {
      const config = load(null);
      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.profiles.pyspark?.sizing.driver)).toBe(true);
    });
  });
});

describe('config/args', () => {
  describe('#parseArgs()', () => {
    it('should parse the operator flags in both forms', () => {
      expect(parseArgs(['--host', '127.0.0.3', '--port=0', '--backend', 'kubernetes', '--config', 'a.yaml'])).toEqual({
        host: '127.0.0.3',
        port: 0,
        backend: 'kubernetes',
        config: 'a.yaml'
      });
    });

    it('should reject unknown flags, missing values and bad ports', () => {
      expect(() => parseArgs(['--hots', 'x'])).toThrow(/unknown option --hots/);
      expect(() => parseArgs(['--port'])).toThrow(/--port needs a value/);
      expect(() => parseArgs(['--port', '70000'])).toThrow(/between 0 and 65535/);
    });
  });
});
