import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { CliFlags } from './args.js';
import { ConfigError } from './errors.js';
import { bool, int, isObj, memoryMiB, nullableLimit, num, obj, str, type Obj } from './parse.js';
import type { BackendName, GatewayConfig, KubernetesBackendConfig, Profile, Sizing, TenantConfig, Toleration, UserConfig } from './types.js';
import { SINGLE_USER } from './types.js';

export interface LoadConfigInput {
  flags: CliFlags;
  env: Readonly<Record<string, string | undefined>>;
  /** Reads the --config file (injected so tests need no files). */
  readFile: (path: string) => string;
  /** Paths the composition root knows (repo layout). */
  defaults: { python: string; launcher: string; workingDir: string; version?: string };
}

/** Profiles served when the config file defines none: Spark and plain Python, local sizing. */
const DEFAULT_PROFILES: Readonly<Record<string, Obj>> = {
  pyspark: {
    displayName: 'PySpark (local)',
    spark: true,
    driver: { cores: 2, memory: '2g', gpus: 0 },
    executors: { count: 0, cores: 1, memory: '1g', gpus: 0 }
  },
  python3: {
    displayName: 'Python 3 (no Spark)',
    spark: false,
    driver: { cores: 1, memory: '1g', gpus: 0 },
    executors: { count: 0, cores: 1, memory: '1g', gpus: 0 }
  }
};

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Builds the frozen gateway config: flags override the file, the file overrides defaults.
 * Throws `ConfigError` naming the first problem (contradictions fail fast, before listening).
 */
export function loadConfig(input: LoadConfigInput): GatewayConfig {
  const { flags, env } = input;
  const file = flags.config ? readYaml(input.readFile, flags.config) : {};

  const backend = (flags.backend ?? str(file.backend, 'backend', 'local')) as BackendName;
  if (backend !== 'local' && backend !== 'kubernetes') {
    throw new ConfigError(`backend must be 'local' or 'kubernetes' (got '${backend}')`);
  }
  const profiles = parseProfiles(file.profiles);
  const users = parseUsers(file.users);
  const tenants = parseTenants(file.tenants, profiles, users.length === 0);
  for (const user of users) {
    if (!(user.tenant in tenants)) {
      throw new ConfigError(`users: user '${user.name}' names tenant '${user.tenant}', which is not in tenants`);
    }
  }
  const token = env.SPARKGATE_TOKEN;
  if (users.length === 0 && !token) {
    throw new ConfigError(
      'SPARKGATE_TOKEN is not set: set it to a random secret (npm start generates one), or configure users in --config'
    );
  }
  const defaultProfile = str(file.defaultProfile, 'defaultProfile', Object.keys(profiles)[0] ?? 'pyspark');
  if (!(defaultProfile in profiles)) {
    throw new ConfigError(`defaultProfile '${defaultProfile}' is not in profiles`);
  }
  const local = obj(file.local, 'local');
  const kernels = obj(file.kernels, 'kernels');
  const limits = obj(file.limits, 'limits');
  const basePath = str(file.basePath, 'basePath', '/').replace(/\/+$/, '');
  if (basePath !== '' && !basePath.startsWith('/')) {
    throw new ConfigError(`basePath must start with / (got '${basePath}')`);
  }
  const logLevel = str(env.SPARKGATE_LOG_LEVEL ?? file.logLevel, 'logLevel', 'info');
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new ConfigError(`logLevel must be one of debug, info, warn, error, silent (got '${logLevel}')`);
  }

  const config: GatewayConfig = {
    host: flags.host ?? str(file.host, 'host', '127.0.0.1'),
    port: flags.port ?? int(file.port, 'port', 8889),
    backend,
    basePath,
    users,
    singleUserTokenSha256: users.length === 0 && token ? sha256(token) : null,
    tenants,
    profiles,
    defaultProfile,
    local: {
      python: env.SPARKGATE_PYTHON ?? str(local.python, 'local.python', input.defaults.python),
      launcher: str(local.launcher, 'local.launcher', input.defaults.launcher),
      workingDir: str(local.workingDir, 'local.workingDir', input.defaults.workingDir),
      usersTrustEachOther: bool(local.usersTrustEachOther, 'local.usersTrustEachOther', false)
    },
    kubernetes: parseKubernetes(obj(file.kubernetes, 'kubernetes'), input.defaults.version ?? 'latest'),
    kernels: {
      startTimeoutMs: num(kernels.startTimeoutSeconds, 'kernels.startTimeoutSeconds', 120, 1) * 1000,
      shutdownGraceMs: num(kernels.shutdownGraceSeconds, 'kernels.shutdownGraceSeconds', 5, 0) * 1000
    },
    input: {
      maxBodyBytes: int(limits.maxBodyBytes, 'limits.maxBodyBytes', 1024 * 1024, 1024),
      maxWsMessageBytes: int(limits.maxWsMessageBytes, 'limits.maxWsMessageBytes', 64 * 1024 * 1024, 1024),
      // At least 1 MiB: below that one ordinary burst of output would close a client that keeps up.
      maxWsBacklogBytes: int(limits.maxWsBacklogBytes, 'limits.maxWsBacklogBytes', 32 * 1024 * 1024, 1024 * 1024),
      // A PySpark kernel holds ~540 MiB and a JVM: one user must not be able to take a host down.
      maxKernelsPerUser: int(limits.maxKernelsPerUser, 'limits.maxKernelsPerUser', DEFAULT_MAX_KERNELS_PER_USER),
      requestTimeoutMs: num(limits.requestTimeoutSeconds, 'limits.requestTimeoutSeconds', 30, 1) * 1000
    },
    logLevel: logLevel as GatewayConfig['logLevel']
  };
  if (config.backend === 'local' && users.length > 1 && !config.local.usersTrustEachOther) {
    throw new ConfigError(
      `the local backend runs every kernel as the gateway's own OS user, so each of the ${users.length} users could read ` +
        "the others' kernel keys and the gateway's tokens: use --backend kubernetes for several users, " +
        'or configure one user (local.usersTrustEachOther: true only if they all trust each other)'
    );
  }
  return deepFreeze(config);
}

/** Kernels one user may hold at once unless `limits.maxKernelsPerUser` says otherwise. */
export const DEFAULT_MAX_KERNELS_PER_USER = 10;

function readYaml(readFile: (p: string) => string, path: string): Obj {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new ConfigError(`cannot read --config ${path}: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`--config ${path} is not valid YAML: ${(error as Error).message}`);
  }
  return obj(doc, `--config ${path}`);
}

function parseProfiles(raw: unknown): Record<string, Profile> {
  const source = raw === undefined ? DEFAULT_PROFILES : obj(raw, 'profiles');
  const profiles: Record<string, Profile> = {};
  for (const [id, value] of Object.entries(source)) {
    const path = `profiles.${id}`;
    if (!NAME_RE.test(id) || id.includes('--')) {
      throw new ConfigError(`${path}: profile ids are lowercase letters, digits and single dashes`);
    }
    const p = obj(value, path);
    profiles[id] = {
      id,
      displayName: str(p.displayName, `${path}.displayName`, id),
      spark: bool(p.spark, `${path}.spark`, true),
      sizing: parseSizing(p, path)
    };
  }
  if (Object.keys(profiles).length === 0) {
    throw new ConfigError('profiles: define at least one profile');
  }
  return profiles;
}

function parseSizing(p: Obj, path: string): Sizing {
  const d = obj(p.driver, `${path}.driver`);
  const e = obj(p.executors, `${path}.executors`);
  const sizing: Sizing = {
    driver: {
      cores: num(d.cores, `${path}.driver.cores`, 1, 0.1),
      memoryMiB: memoryMiB(d.memory, `${path}.driver.memory`, 2048),
      gpus: int(d.gpus, `${path}.driver.gpus`, 0)
    },
    executors: {
      cores: int(e.cores, `${path}.executors.cores`, 1, 1),
      memoryMiB: memoryMiB(e.memory, `${path}.executors.memory`, 2048),
      gpus: int(e.gpus, `${path}.executors.gpus`, 0)
    }
  };
  if (e.min !== undefined || e.max !== undefined) {
    if (e.count !== undefined) {
      throw new ConfigError(`${path}.executors: give either count or min/max, not both`);
    }
    const min = int(e.min, `${path}.executors.min`, 0);
    const max = int(e.max, `${path}.executors.max`, min);
    if (max < min) {
      throw new ConfigError(`${path}.executors: max (${max}) must be ≥ min (${min})`);
    }
    sizing.executors.min = min;
    sizing.executors.max = max;
  } else {
    sizing.executors.count = int(e.count, `${path}.executors.count`, 0);
  }
  return sizing;
}

function parseUsers(raw: unknown): UserConfig[] {
  if (raw === undefined || raw === null) {
    return [];
  }
  if (!Array.isArray(raw)) {
    throw new ConfigError('users must be a list of {name, tenant, token | tokenSha256}');
  }
  const seen = new Set<string>();
  return raw.map((value, i) => {
    const u = obj(value, `users[${i}]`);
    const name = str(u.name, `users[${i}].name`);
    if (seen.has(name)) {
      throw new ConfigError(`users: '${name}' appears twice`);
    }
    seen.add(name);
    if ((u.token === undefined) === (u.tokenSha256 === undefined)) {
      throw new ConfigError(`users[${i}] (${name}): give exactly one of token or tokenSha256`);
    }
    let tokenSha256: Buffer;
    if (u.token !== undefined) {
      tokenSha256 = sha256(str(u.token, `users[${i}].token`));
    } else {
      const hex = str(u.tokenSha256, `users[${i}].tokenSha256`);
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
        throw new ConfigError(`users[${i}].tokenSha256 must be 64 hex digits (sha256 of the token)`);
      }
      tokenSha256 = Buffer.from(hex, 'hex');
    }
    return { name, tenant: str(u.tenant, `users[${i}].tenant`), tokenSha256 };
  });
}

function parseTenants(raw: unknown, profiles: Record<string, Profile>, singleUser: boolean): Record<string, TenantConfig> {
  const source = obj(raw, 'tenants');
  if (Object.keys(source).length === 0 && singleUser) {
    source[SINGLE_USER.tenant] = {};
  }
  const tenants: Record<string, TenantConfig> = {};
  for (const [name, value] of Object.entries(source)) {
    const path = `tenants.${name}`;
    const t = obj(value, path);
    const l = obj(t.limits, `${path}.limits`);
    const allowed = t.profiles === undefined ? Object.keys(profiles) : t.profiles;
    if (!Array.isArray(allowed) || !allowed.every(p => typeof p === 'string')) {
      throw new ConfigError(`${path}.profiles must be a list of profile ids`);
    }
    for (const id of allowed as string[]) {
      if (!(id in profiles)) {
        throw new ConfigError(`${path}.profiles names '${id}', which is not in profiles`);
      }
    }
    const namespace = str(t.namespace, `${path}.namespace`, name);
    if (!NAME_RE.test(namespace)) {
      throw new ConfigError(`${path}.namespace '${namespace}' is not a valid Kubernetes namespace name`);
    }
    tenants[name] = {
      name,
      namespace,
      limits: {
        gpus: nullableLimit(l.gpus, `${path}.limits.gpus`, (v, p) => int(v, p, 0)),
        cores: nullableLimit(l.cores, `${path}.limits.cores`, (v, p) => num(v, p, 0)),
        memoryMiB: nullableLimit(l.memory, `${path}.limits.memory`, (v, p) => memoryMiB(v, p, 0))
      },
      profiles: allowed as string[]
    };
  }
  return tenants;
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const DEFAULT_GPU_TOLERATIONS: Toleration[] = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];

function parseKubernetes(k: Obj, version: string): KubernetesBackendConfig {
  const pullPolicy = str(k.imagePullPolicy, 'kubernetes.imagePullPolicy', 'IfNotPresent');
  if (!(PULL_POLICIES as readonly string[]).includes(pullPolicy)) {
    throw new ConfigError(`kubernetes.imagePullPolicy must be one of ${PULL_POLICIES.join(', ')} (got '${pullPolicy}')`);
  }
  const runAsUser = int(k.runAsUser, 'kubernetes.runAsUser', 185);
  if (runAsUser === 0) {
    throw new ConfigError('kubernetes.runAsUser must not be 0: kernel and executor pods run as a non-root user');
  }
  const selector = obj(k.gpuNodeSelector, 'kubernetes.gpuNodeSelector');
  for (const [key, value] of Object.entries(selector)) {
    str(value, `kubernetes.gpuNodeSelector.${key}`);
  }
  const tolerations = k.gpuTolerations === undefined ? DEFAULT_GPU_TOLERATIONS : k.gpuTolerations;
  if (!Array.isArray(tolerations) || !tolerations.every(isObj)) {
    throw new ConfigError('kubernetes.gpuTolerations must be a list of tolerations ({key, operator, value, effect})');
  }
  return {
    kubeconfig: k.kubeconfig === undefined ? null : str(k.kubeconfig, 'kubernetes.kubeconfig'),
    driverImage: str(k.driverImage, 'kubernetes.driverImage', `sparkgate/driver:${version}`),
    executorImage: str(k.executorImage, 'kubernetes.executorImage', `sparkgate/executor:${version}`),
    imagePullPolicy: pullPolicy as KubernetesBackendConfig['imagePullPolicy'],
    kernelServiceAccount: str(k.kernelServiceAccount, 'kubernetes.kernelServiceAccount', 'sparkgate-kernel'),
    executorServiceAccount: str(k.executorServiceAccount, 'kubernetes.executorServiceAccount', 'sparkgate-executor'),
    runAsUser,
    gpuDiscoveryScript: str(k.gpuDiscoveryScript, 'kubernetes.gpuDiscoveryScript', '/opt/sparkgate/bin/gpu-discovery.sh'),
    gpuNodeSelector: selector as Record<string, string>,
    gpuTolerations: tolerations as Toleration[],
    sparkMaster: k.sparkMaster === undefined ? null : str(k.sparkMaster, 'kubernetes.sparkMaster')
  };
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function deepFreeze<T>(value: T): T {
  if (isObj(value) || Array.isArray(value)) {
    for (const v of Object.values(value as object)) {
      if (!Buffer.isBuffer(v)) {
        deepFreeze(v);
      }
    }
    Object.freeze(value);
  }
  return value;
}
