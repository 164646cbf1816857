/**
 * The config file's schema (README "Configuration file"): every key it may hold, the type and
 * range of each value, and the defaults that do not depend on the machine. Unknown keys are errors
 * at every level, so a typo is reported instead of silently ignored. What depends on other
 * settings (a user's tenant exists, a tenant's profiles exist) is checked by `config/load.ts`.
 * Over 250 lines: the file's whole grammar, one section after another, so README "Configuration
 * file" reads against one place; the value helpers are parse.ts's.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { bool, describeIssue, int, mapOf, memory, num, oneOf, orEmpty, section, str } from './parse.js';
import { checkOptions, defaultGpuType, optionsKey } from './options.js';
import { checkPlacement, checkRuntime, placementKeys, placementOf, runtimeKeys, runtimeOf } from './profile.js';
import type { ExecutorSizing, JvmSizing, Sizing, Toleration } from './types.js';

/** Kubernetes object names (RFC 1123 labels): tenants' namespaces and profile ids. */
export const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kernels one user may hold at once unless `limits.maxKernelsPerUser` says otherwise. */
export const DEFAULT_MAX_KERNELS_PER_USER = 10;
/** Warm drivers one pool may keep (each holds a driver's cores, memory and GPUs while unclaimed). */
export const MAX_POOL_SIZE = 20;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export const BACKENDS = ['local', 'kubernetes'] as const;

const DEFAULT_GPU_TOLERATIONS: readonly Toleration[] = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];

/**
 * What the driver and each executor ask for besides cores (whose bounds differ). `memoryOverhead`
 * replaces the gateway's default room beyond the heap (e.g. RAPIDS' pinned memory).
 */
const jvm = { memory: memory().default(2048), gpus: int().default(0), memoryOverhead: memory().optional() };

/** The optional extras of a JVM's sizing, present only when set (so a plain profile's sizing is as before). */
function extras(memoryOverheadMiB: number | undefined): Partial<JvmSizing> {
  return memoryOverheadMiB === undefined ? {} : { memoryOverheadMiB };
}

const driver = orEmpty(
  section({ cores: num(0.1).default(1), ...jvm, ...placementKeys })
    .superRefine(checkPlacement)
    .transform(({ cores, memory: memoryMiB, gpus, memoryOverhead, ...placement }) => ({
      resources: { cores, memoryMiB, gpus, ...extras(memoryOverhead) } satisfies JvmSizing,
      placement: placementOf(placement)
    }))
);

const executors = orEmpty(
  section({
    count: int().optional(),
    min: int().optional(),
    max: int().optional(),
    cores: int(1).default(1),
    ...jvm,
    ...placementKeys
  })
    .superRefine((e, ctx) => {
      checkPlacement(e, ctx);
      if ((e.min !== undefined || e.max !== undefined) && e.count !== undefined) {
        ctx.addIssue({ code: 'custom', message: ': give either count or min/max, not both' });
      } else if (e.min !== undefined && e.max !== undefined && e.max < e.min) {
        ctx.addIssue({ code: 'custom', message: `: max (${e.max}) must be ≥ min (${e.min})` });
      }
    })
    .transform(({ count, min, max, cores, memory: memoryMiB, gpus, memoryOverhead, ...placement }) => {
      const base = { cores, memoryMiB, gpus, ...extras(memoryOverhead) };
      // Dynamic allocation: `max` defaults to `min`, `min` to 0.
      const sizing: ExecutorSizing = min === undefined && max === undefined ? { ...base, count: count ?? 0 } : { ...base, min: min ?? 0, max: max ?? min ?? 0 };
      return { sizing, placement: placementOf(placement) };
    })
);

const profile = orEmpty(
  section({
    displayName: str().optional(),
    spark: bool().default(true),
    driver,
    executors,
    options: optionsKey,
    ...runtimeKeys
  })
    .transform(p => ({ ...p, sizing: sizingOf(p.driver, p.executors, p.options) }))
    .superRefine((p, ctx) => {
      checkRuntime(p, ctx);
      checkOptions(p.options, p.sizing, ctx);
    })
    .transform(p => ({
      displayName: p.displayName,
      spark: p.spark,
      sizing: p.sizing,
      options: p.options,
      runtime: runtimeOf(p, p.driver.placement, p.executors.placement)
    }))
);

/** A profile's default sizing, with each section's GPU type (its own, else its option's first choice) in it. */
function sizingOf(
  d: { resources: JvmSizing; placement: { gpuType: string | null } | null },
  e: { sizing: ExecutorSizing; placement: { gpuType: string | null } | null },
  options: ReturnType<typeof optionsKey.parse>
): Sizing {
  const withType = <T extends JvmSizing>(jvm: T, own: string | null | undefined, option: Parameters<typeof defaultGpuType>[1]): T => {
    const gpuType = defaultGpuType(own, option);
    return gpuType === undefined ? jvm : { ...jvm, gpuType };
  };
  return {
    driver: withType(d.resources, d.placement?.gpuType, options?.driver.gpuType),
    executors: withType(e.sizing, e.placement?.gpuType, options?.executors.gpuType)
  };
}

const profileId = z.string().refine(id => NAME_RE.test(id) && !id.includes('--'), {
  error: ': profile ids are lowercase letters, digits and single dashes'
});

/** Idle culling (README "Culling"); off while idleSeconds is 0. */
const cullKeys = {
  idleSeconds: num(0),
  // Above 0: a sweep every 0 s would spin.
  intervalSeconds: num(0.1),
  connected: bool(),
  busy: bool(),
  warnSeconds: num(0)
};

const cull = orEmpty(
  section({
    idleSeconds: cullKeys.idleSeconds.default(0),
    intervalSeconds: cullKeys.intervalSeconds.default(60),
    connected: cullKeys.connected.default(false),
    busy: cullKeys.busy.default(false),
    warnSeconds: cullKeys.warnSeconds.default(300)
  })
);

/** A tenant's override of `kernels.cull`: any of its keys, merged over the global ones. */
const tenantCull = orEmpty(
  section({
    idleSeconds: cullKeys.idleSeconds.optional(),
    intervalSeconds: cullKeys.intervalSeconds.optional(),
    connected: cullKeys.connected.optional(),
    busy: cullKeys.busy.optional(),
    warnSeconds: cullKeys.warnSeconds.optional()
  })
);

/** One warm pool of a tenant: `size` drivers kept ready; asleep after `maxIdleMinutes` without a claim (0 = never). */
const pool = section({
  size: int(0, MAX_POOL_SIZE),
  maxIdleMinutes: int().default(0)
});

const tenant = orEmpty(
  section({
    namespace: str().optional(),
    limits: orEmpty(section({ gpus: int().nullish(), cores: num().nullish(), memory: memory().nullish() })),
    profiles: z.array(z.string({ error: 'must be a profile id' }), { error: 'must be a list of profile ids' }).optional(),
    cull: tenantCull,
    pools: orEmpty(mapOf(z.string(), pool))
  })
);

const user = orEmpty(
  section({ name: str(), tenant: str(), token: str().optional(), tokenSha256: str().optional() }).superRefine((u, ctx) => {
    // Which of the two to give comes before the digest's format: it is the likelier mistake.
    if ((u.token === undefined) === (u.tokenSha256 === undefined)) {
      ctx.addIssue({ code: 'custom', message: `${typeof u.name === 'string' ? `(${u.name})` : ''}: give exactly one of token or tokenSha256` });
    } else if (u.tokenSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(u.tokenSha256)) {
      ctx.addIssue({ code: 'custom', path: ['tokenSha256'], message: 'must be 64 hex digits (sha256 of the token)' });
    }
  })
);

const users = z
  .array(user, { error: 'must be a list of {name, tenant, token | tokenSha256}' })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const u of list) {
      if (seen.has(u.name)) {
        ctx.addIssue({ code: 'custom', message: `: '${u.name}' appears twice` });
        return;
      }
      seen.add(u.name);
    }
  })
  .nullish();

const toleration = section({
  // An empty key with operator Exists tolerates every taint, as in Kubernetes.
  key: z.string({ error: 'must be a string' }).optional(),
  operator: oneOf(['Exists', 'Equal']).optional(),
  value: z.string({ error: 'must be a string' }).optional(),
  effect: oneOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional()
});

const kubernetes = orEmpty(
  section({
    kubeconfig: str().nullish(),
    driverImage: str().optional(),
    executorImage: str().optional(),
    imagePullPolicy: oneOf(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    kernelServiceAccount: str().default('sparkgate-kernel'),
    executorServiceAccount: str().default('sparkgate-executor'),
    runAsUser: int()
      .refine(uid => uid !== 0, { error: 'must not be 0: kernel and executor pods run as a non-root user' })
      .default(185),
    gpuDiscoveryScript: str().default('/opt/sparkgate/bin/gpu-discovery.sh'),
    gpuNodeSelector: orEmpty(mapOf(z.string(), str())),
    gpuTolerations: z
      .array(toleration, { error: 'must be a list of tolerations ({key, operator, value, effect})' })
      .default(() => DEFAULT_GPU_TOLERATIONS.map(t => ({ ...t }))),
    sparkMaster: str().nullish(),
    nodeLostSeconds: int().nullish(),
    // Deprecated old name of kernels.reap.intervalSeconds (it paces the local sweep too); kept so existing configs load.
    reapIntervalSeconds: int().optional(),
    orphanGraceSeconds: int().default(600),
    leaseNamespace: str().nullish(),
    leaseName: str().default('sparkgate-gateway'),
    leaseSeconds: int().refine(s => s >= 3, { error: 'must be at least 3 (it is renewed every third of it)' }).default(15),
    executorIdleTimeoutSeconds: int(1).default(120)
  })
);

/**
 * JupyterHub mode (README "JupyterHub"): callers may present a JupyterHub API token, checked
 * against the Hub at `apiUrl` (default `{url}/hub/api`); `groups` maps Hub groups to tenants.
 */
const httpUrl = str().refine(u => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), { error: 'must be an http:// or https:// URL' });
const jupyterhub = section({
  url: httpUrl.optional(),
  apiUrl: httpUrl.optional(),
  scope: str().default('access:services!service=sparkgate'),
  cacheSeconds: num(0).default(60),
  cacheSize: int(1).default(10_000),
  groups: mapOf(z.string(), str()).refine(g => Object.keys(g).length > 0, { error: 'must map at least one JupyterHub group to a tenant' })
})
  .refine(h => h.url !== undefined || h.apiUrl !== undefined, { error: ': give url (the Hub, e.g. http://hub:8081) or apiUrl' })
  .nullish();

/**
 * `GET /metrics` (README "Metrics"): the gateway's tokens are accepted, and `token` for a scraper;
 * open without a token only when `auth` is false.
 */
const metrics = orEmpty(
  section({
    auth: bool().default(true),
    token: str().optional(),
    // Kernel ids and user names make unbounded label sets: off unless the operator asks for them.
    perUserLabels: bool().default(false)
  })
);

/** Live GPU numbers from DCGM exporter series in Prometheus (README "GPU metrics"); absent or null = off. */
const gpuMetrics = section({
  prometheusUrl: httpUrl,
  intervalSeconds: num(1).default(15),
  timeoutSeconds: num(0.1).default(5)
}).nullish();

/** The whole file. */
export const configFileSchema = section({
  host: str().optional(),
  port: int(0, 65535).optional(),
  backend: oneOf(BACKENDS, "'local' or 'kubernetes'").optional(),
  basePath: str().default('/'),
  logLevel: oneOf(LOG_LEVELS).optional(),
  users,
  tenants: orEmpty(mapOf(z.string(), tenant)),
  profiles: mapOf(profileId, profile).optional(),
  defaultProfile: str().optional(),
  local: orEmpty(
    section({
      python: str().optional(),
      launcher: str().optional(),
      workingDir: str().optional(),
      usersTrustEachOther: bool().default(false),
      // null: no runtime directory (kernels end with the gateway process, as before re-adoption).
      runtimeDir: str().nullish(),
      adoptGraceSeconds: num(0).default(300)
    })
  ),
  kernels: orEmpty(
    section({
      startTimeoutSeconds: num(1).default(120),
      shutdownGraceSeconds: num(0).default(5),
      cull,
      // Orphan sweeps of either backend (README "Reaping"); the default (300) is applied in load.ts, after the old key.
      reap: orEmpty(section({ intervalSeconds: int().optional() }))
    })
  ),
  limits: orEmpty(
    section({
      maxBodyBytes: int(1024).default(1024 * 1024),
      maxWsMessageBytes: int(1024).default(64 * 1024 * 1024),
      // At least 1 MiB: below that one ordinary burst of output would close a client that keeps up.
      maxWsBacklogBytes: int(1024 * 1024).default(32 * 1024 * 1024),
      // A PySpark kernel holds ~540 MiB and a JVM: one user must not be able to take a host down.
      maxKernelsPerUser: int().default(DEFAULT_MAX_KERNELS_PER_USER),
      requestTimeoutSeconds: num(1).default(30)
    })
  ),
  kubernetes,
  jupyterhub,
  // The GPUs the nodes advertise are not real (`npm start -- --demo-cluster`): `/api/me` says so for the panel.
  simulatedGpus: bool().default(false),
  metrics,
  log: orEmpty(
    section({
      // Extra pino redact paths (e.g. 'req.headers.cookie') beside the built-in ones for tokens, keys and Secret data.
      redact: z.array(str(), { error: 'must be a list of field paths (e.g. req.headers.cookie)' }).default([])
    })
  ),
  gpuMetrics
});

/** The file as validated: types checked, memory in MiB, static defaults filled in. */
export type ConfigFile = z.output<typeof configFileSchema>;
export type ProfileFile = z.output<typeof profile>;

/**
 * Validates a parsed YAML document. Throws `ConfigError` with the first problem, naming its key
 * path (and how many more there are, so a fix-one-rerun loop is not a surprise).
 */
export function parseConfigFile(doc: unknown): ConfigFile {
  const result = configFileSchema.safeParse(doc ?? {});
  if (result.success) {
    return result.data;
  }
  const [first, ...rest] = result.error.issues;
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  throw new ConfigError(`${first ? describeIssue(first) : 'config is invalid'}${more}`);
}

/** Validates one profile (the built-in ones go through the same checks as the file's). */
export function parseProfile(raw: unknown): ProfileFile {
  return profile.parse(raw);
}
