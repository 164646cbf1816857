/**
 * `loadConfig`: flags, environment and the schema-checked file (schema.ts) into one frozen
 * `GatewayConfig`, with the defaults that depend on the machine and the checks across sections
 * (users name tenants, tenants name profiles). Over 250 lines: one short builder per section,
 * composed here and checked against each other; apart they would pass the whole file around.
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { CliFlags } from './args.js';
import { ConfigError } from './errors.js';
import { executorSecretVolume } from '../spark/kubernetesConf.js';
import { BACKENDS, LOG_LEVELS, NAME_RE, parseConfigFile, parseProfile, type ConfigFile } from './schema.js';
import type { BackendName, CullPolicy, GatewayConfig, JupyterHubConfig, KubernetesBackendConfig, PoolPolicy, Profile, TenantConfig, UserConfig } from './types.js';
import { SINGLE_USER } from './types.js';

export { DEFAULT_MAX_KERNELS_PER_USER } from './schema.js';

export interface LoadConfigInput {
  flags: CliFlags;
  /** `SPARKGATE_TOKEN`, `SPARKGATE_PYTHON` and `SPARKGATE_LOG_LEVEL` are read from here. */
  env: Readonly<Record<string, string | undefined>>;
  /** Reads the --config file (injected so tests need no files). */
  readFile: (path: string) => string;
  /** Paths the composition root knows (repo layout). */
  defaults: { python: string; launcher: string; workingDir: string; version?: string; runtimeDir?: string };
}

/** Profiles served when the config file defines none: Spark and plain Python, local sizing. */
function defaultProfiles(): NonNullable<ConfigFile['profiles']> {
  return {
    pyspark: parseProfile({
      displayName: 'PySpark (local)',
      spark: true,
      driver: { cores: 2, memory: '2g', gpus: 0 },
      executors: { count: 0, cores: 1, memory: '1g', gpus: 0 }
    }),
    python3: parseProfile({
      displayName: 'Python 3 (no Spark)',
      spark: false,
      driver: { cores: 1, memory: '1g', gpus: 0 },
      executors: { count: 0, cores: 1, memory: '1g', gpus: 0 }
    })
  };
}

/**
 * Builds the frozen gateway config: flags and `SPARKGATE_*` variables override the file, which
 * overrides defaults. The file is validated whole by `config/schema.ts` (unknown keys, types, ranges);
 * what relates settings to each other is checked here. Throws `ConfigError` naming the first
 * problem (contradictions fail fast, before listening).
 */
export function loadConfig(input: LoadConfigInput): GatewayConfig {
  const { flags, env } = input;
  const file = parseConfigFile(flags.config ? readYaml(input.readFile, flags.config) : {});

  const backend = flags.backend ?? file.backend ?? 'local';
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new ConfigError(`backend must be 'local' or 'kubernetes' (got '${backend}')`);
  }
  const profiles = buildProfiles(file.profiles ?? defaultProfiles());
  const users = buildUsers(file.users ?? []);
  const jupyterhub = file.jupyterhub ? buildJupyterHub(file.jupyterhub) : null;
  // Single-user mode only when nobody else can sign in: no users, no JupyterHub.
  const singleUser = users.length === 0 && jupyterhub === null;
  const tenants = buildTenants(file.tenants, profiles, singleUser, file.kernels.cull);
  for (const user of users) {
    if (!(user.tenant in tenants)) {
      throw new ConfigError(`users: user '${user.name}' names tenant '${user.tenant}', which is not in tenants`);
    }
  }
  for (const { group, tenant } of jupyterhub?.groups ?? []) {
    if (!(tenant in tenants)) {
      throw new ConfigError(`jupyterhub.groups: group '${group}' names tenant '${tenant}', which is not in tenants`);
    }
  }
  const token = env.SPARKGATE_TOKEN;
  if (singleUser && !token) {
    throw new ConfigError(
      'SPARKGATE_TOKEN is not set: set it to a random secret (npm start generates one), or configure users in --config'
    );
  }
  const defaultProfile = file.defaultProfile ?? Object.keys(profiles)[0] ?? 'pyspark';
  if (!(defaultProfile in profiles)) {
    throw new ConfigError(`defaultProfile '${defaultProfile}' is not in profiles`);
  }
  const basePath = file.basePath.replace(/\/+$/, '');
  if (basePath !== '' && !basePath.startsWith('/')) {
    throw new ConfigError(`basePath must start with / (got '${basePath}')`);
  }
  const logLevel = env.SPARKGATE_LOG_LEVEL ?? file.logLevel ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`SPARKGATE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got '${logLevel}')`);
  }
  const { local, kernels, limits } = file;

  const config: GatewayConfig = {
    host: flags.host ?? file.host ?? '127.0.0.1',
    port: flags.port ?? file.port ?? 8889,
    backend: backend as BackendName,
    basePath,
    users,
    singleUserTokenSha256: singleUser && token ? sha256(token) : null,
    tenants,
    profiles,
    defaultProfile,
    local: {
      python: env.SPARKGATE_PYTHON ?? local.python ?? input.defaults.python,
      launcher: local.launcher ?? input.defaults.launcher,
      workingDir: local.workingDir ?? input.defaults.workingDir,
      usersTrustEachOther: local.usersTrustEachOther,
      runtimeDir: local.runtimeDir === null ? null : (local.runtimeDir ?? input.defaults.runtimeDir ?? null),
      adoptGraceSeconds: local.adoptGraceSeconds
    },
    kubernetes: buildKubernetes(file.kubernetes, input.defaults.version ?? 'latest'),
    kernels: {
      startTimeoutMs: kernels.startTimeoutSeconds * 1000,
      shutdownGraceMs: kernels.shutdownGraceSeconds * 1000,
      cull: buildCull(kernels.cull),
      reap: { intervalMs: reapIntervalSeconds(kernels.reap.intervalSeconds, file.kubernetes.reapIntervalSeconds) * 1000 }
    },
    input: {
      maxBodyBytes: limits.maxBodyBytes,
      maxWsMessageBytes: limits.maxWsMessageBytes,
      maxWsBacklogBytes: limits.maxWsBacklogBytes,
      maxKernelsPerUser: limits.maxKernelsPerUser,
      requestTimeoutMs: limits.requestTimeoutSeconds * 1000
    },
    logLevel: logLevel as GatewayConfig['logLevel'],
    jupyterhub,
    simulatedGpus: file.simulatedGpus,
    metrics: {
      auth: file.metrics.auth,
      tokenSha256: file.metrics.token !== undefined ? sha256(file.metrics.token) : null,
      perUserLabels: file.metrics.perUserLabels
    },
    logRedact: file.log.redact,
    gpuMetrics: file.gpuMetrics
      ? {
          prometheusUrl: file.gpuMetrics.prometheusUrl.replace(/\/+$/, ''),
          intervalMs: file.gpuMetrics.intervalSeconds * 1000,
          timeoutMs: file.gpuMetrics.timeoutSeconds * 1000
        }
      : null
  };
  checkSecrets(profiles, config.backend);
  if (config.backend === 'local' && (users.length > 1 || jupyterhub !== null) && !config.local.usersTrustEachOther) {
    const who = jupyterhub !== null ? 'JupyterHub user' : `of the ${users.length} users`;
    throw new ConfigError(
      `the local backend runs every kernel as the gateway's own OS user, so each ${who} could read ` +
        "the others' kernel keys and the gateway's tokens: use --backend kubernetes for several users, " +
        'or configure one user (local.usersTrustEachOther: true only if they all trust each other)'
    );
  }
  return deepFreeze(config);
}

/** A pod volume name (RFC 1123 label). */
const VOLUME_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Profiles' `secrets` against the backend (issue 18 item 3): the local backend runs kernels as
 * processes and has nowhere to mount a Secret from; on Kubernetes, Spark names an executor's
 * Secret volume `<name>-volume`, which must be a pod volume name and not one of the profile's.
 */
function checkSecrets(profiles: Readonly<Record<string, Profile>>, backend: BackendName): void {
  for (const p of Object.values(profiles)) {
    const secrets = p.runtime?.secrets ?? [];
    secrets.forEach((s, i) => {
      const path = `profiles.${p.id}.secrets.${i}`;
      if (backend === 'local') {
        throw new ConfigError(
          `${path} (${s.name}): the local backend runs kernels as processes and cannot mount Kubernetes Secrets; ` +
            'use --backend kubernetes, or remove the profile\'s secrets'
        );
      }
      if (!p.spark || !s.executors || s.mountPath === null) {
        return;
      }
      const volume = executorSecretVolume(s.name);
      if (!VOLUME_NAME.test(volume) || volume.length > 63) {
        throw new ConfigError(
          `${path}.name: Spark mounts it in the executors as volume '${volume}', which is not a pod volume name ` +
            '(at most 63 lowercase letters, digits and -; no dots): give executors: false, or the Secret a shorter name without dots'
        );
      }
      if (p.runtime?.volumes.some(v => v.executors && v.name === volume)) {
        throw new ConfigError(`${path}.name: Spark names its executor volume '${volume}', as the profile's volume of that name: rename the volume`);
      }
    });
  }
}

function readYaml(readFile: (p: string) => string, path: string): unknown {
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
  if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
    throw new ConfigError(`--config ${path} must be a mapping`);
  }
  return doc;
}

/** JupyterHub mode: the API URL resolved, seconds in ms, groups in the file's order. */
function buildJupyterHub(h: NonNullable<ConfigFile['jupyterhub']>): JupyterHubConfig {
  const apiUrl = h.apiUrl ?? `${(h.url ?? '').replace(/\/+$/, '')}/hub/api`;
  return {
    apiUrl: apiUrl.replace(/\/+$/, ''),
    scope: h.scope,
    cacheMs: h.cacheSeconds * 1000,
    cacheSize: h.cacheSize,
    groups: Object.entries(h.groups).map(([group, tenant]) => ({ group, tenant }))
  };
}

/** Profiles by id (each is also a kernelspec). */
function buildProfiles(source: NonNullable<ConfigFile['profiles']>): Record<string, Profile> {
  const profiles: Record<string, Profile> = {};
  for (const [id, p] of Object.entries(source)) {
    profiles[id] = {
      id,
      displayName: p.displayName ?? id,
      spark: p.spark,
      sizing: p.sizing,
      ...(p.options ? { options: p.options } : {}),
      ...(p.runtime ? { runtime: p.runtime } : {})
    };
  }
  if (Object.keys(profiles).length === 0) {
    throw new ConfigError('profiles: define at least one profile');
  }
  return profiles;
}

function buildUsers(raw: NonNullable<ConfigFile['users']>): UserConfig[] {
  return raw.map(u => ({
    name: u.name,
    tenant: u.tenant,
    // Plain tokens go no further than this: only their digest stays in memory.
    tokenSha256: u.token !== undefined ? sha256(u.token) : Buffer.from(u.tokenSha256 ?? '', 'hex')
  }));
}

type CullFile = ConfigFile['kernels']['cull'];

/** A cull policy in milliseconds; the warning never starts before idleness does. */
function buildCull(keys: CullFile): CullPolicy {
  const idleMs = keys.idleSeconds * 1000;
  return {
    idleMs,
    intervalMs: keys.intervalSeconds * 1000,
    connected: keys.connected,
    busy: keys.busy,
    // Clamped, not refused: "warn 5 min ahead" with a 3 min timeout means "warn from the start".
    warnMs: Math.min(keys.warnSeconds * 1000, idleMs)
  };
}

/** `over`'s keys that are set, over `base` (both as the file says, before clamping). */
function mergeCull(base: CullFile, over: ConfigFile['tenants'][string]['cull']): CullFile {
  const set = Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined));
  return { ...base, ...set };
}

function buildTenants(
  raw: ConfigFile['tenants'],
  profiles: Record<string, Profile>,
  singleUser: boolean,
  cull: CullFile
): Record<string, TenantConfig> {
  // Single-user mode needs no tenants section: its one user is in the default tenant.
  const source: ConfigFile['tenants'] = Object.keys(raw).length === 0 && singleUser ? { [SINGLE_USER.tenant]: { limits: {}, cull: {}, pools: {} } } : raw;
  const tenants: Record<string, TenantConfig> = {};
  for (const [name, t] of Object.entries(source)) {
    const path = `tenants.${name}`;
    const allowed = t.profiles ?? Object.keys(profiles);
    for (const id of allowed) {
      if (!(id in profiles)) {
        throw new ConfigError(`${path}.profiles names '${id}', which is not in profiles`);
      }
    }
    const namespace = t.namespace ?? name;
    if (!NAME_RE.test(namespace)) {
      throw new ConfigError(`${path}.namespace '${namespace}' is not a valid Kubernetes namespace name`);
    }
    const pools: Record<string, PoolPolicy> = {};
    for (const [id, p] of Object.entries(t.pools)) {
      if (!allowed.includes(id)) {
        throw new ConfigError(`${path}.pools.${id}: the tenant may not launch profile '${id}' (its profiles: ${allowed.join(', ')})`);
      }
      const perUser = profiles[id]?.runtime?.volumes.find(v => 'claimTemplate' in v);
      if (perUser && p.size > 0) {
        throw new ConfigError(
          `${path}.pools.${id}: profile '${id}' mounts a claim per user (volumes: ${perUser.name}, ${perUser.claimTemplate}), ` +
            'and a warm driver starts before it has a user: remove the pool or the volume'
        );
      }
      if (p.size > 0) {
        pools[id] = { size: p.size, maxIdleMs: p.maxIdleMinutes * 60_000 };
      }
    }
    tenants[name] = {
      name,
      pools,
      namespace,
      // Merged before clamping: a tenant with a longer timeout than the global one keeps the full warning.
      cull: buildCull(mergeCull(cull, t.cull)),
      limits: { gpus: t.limits.gpus ?? null, cores: t.limits.cores ?? null, memoryMiB: t.limits.memory ?? null },
      profiles: allowed
    };
  }
  return tenants;
}

/** Seconds between orphan sweeps: `kernels.reap.intervalSeconds`, else its deprecated old name, else 300. */
function reapIntervalSeconds(current: number | undefined, deprecated: number | undefined): number {
  if (current !== undefined && deprecated !== undefined && current !== deprecated) {
    throw new ConfigError(
      `kernels.reap.intervalSeconds (${current}) and kubernetes.reapIntervalSeconds (${deprecated}) disagree: ` +
        'give only kernels.reap.intervalSeconds (kubernetes.reapIntervalSeconds is its deprecated old name)'
    );
  }
  return current ?? deprecated ?? 300;
}

function buildKubernetes(k: ConfigFile['kubernetes'], version: string): KubernetesBackendConfig {
  return {
    kubeconfig: k.kubeconfig ?? null,
    driverImage: k.driverImage ?? `sparkgate/driver:${version}`,
    executorImage: k.executorImage ?? `sparkgate/executor:${version}`,
    imagePullPolicy: k.imagePullPolicy,
    kernelServiceAccount: k.kernelServiceAccount,
    executorServiceAccount: k.executorServiceAccount,
    runAsUser: k.runAsUser,
    gpuDiscoveryScript: k.gpuDiscoveryScript,
    gpuNodeSelector: k.gpuNodeSelector,
    gpuTolerations: k.gpuTolerations,
    sparkMaster: k.sparkMaster ?? null,
    nodeLostSeconds: k.nodeLostSeconds ?? null,
    orphanGraceSeconds: k.orphanGraceSeconds,
    leaseNamespace: k.leaseNamespace ?? null,
    leaseName: k.leaseName,
    leaseSeconds: k.leaseSeconds,
    executorIdleTimeoutSeconds: k.executorIdleTimeoutSeconds
  };
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
    for (const v of Object.values(value)) {
      deepFreeze(v);
    }
    Object.freeze(value);
  }
  return value;
}
