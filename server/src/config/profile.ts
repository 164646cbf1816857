/**
 * A profile's pod and Spark additions (issue 18; README "Configuration file"): `image`,
 * `sparkConf`, `env`, the placement keys of `driver` and `executors`, `volumes`, `packages` and
 * `ivyCacheVolume`. schema.ts spreads these keys into its `profile` section; each refusal names
 * its path and what to do. Anchors: KubeSpawner's profile_list (image, node selectors,
 * tolerations, volumes) and Spark's `spark.kubernetes.*` settings.
 */
import { z } from 'zod';
import { DRIVER_WORK_DIR } from '../spark/kubernetesConf.js';
import { gatewayOwnedConfReason } from '../spark/ownedConf.js';
import { bool, oneOf, section, str } from './parse.js';
import { GPU_PRODUCT_LABEL, type PodPlacement, type ProfileRuntime, type ProfileSecret, type ProfileVolume, type Toleration } from './types.js';

/** RFC 1123 label (pod volume names, claim names made from a template). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain (existing claims, StorageClasses, label key prefixes). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Maven coordinates as spark.jars.packages takes them. */
const MAVEN = /^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+:[A-Za-z0-9_.+-]+$/;
const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

/** The placeholder of a claim template. */
export const USER_PLACEHOLDER = '{user}';
/** Longest claim name a template may make (a label value, so the claim can be selected by it). */
export const MAX_CLAIM_NAME = 63;
/** Room a template must leave for the user's DNS-safe form (backends/kubernetes/claims.ts). */
export const MIN_USER_ROOM = 24;

/**
 * Paths of the gateway's own mounts (backends/kubernetes/objects.ts: the kernel's Secret and
 * Spark's secret under /etc/sparkgate, the work dir; the service account token; Spark's executor
 * conf): a profile volume may not sit on or above them, and not inside the read-only ones.
 */
const GATEWAY_MOUNTS = ['/etc/sparkgate', DRIVER_WORK_DIR, '/var/run/secrets/kubernetes.io/serviceaccount', '/opt/spark/conf'];
const SEALED_MOUNTS = ['/etc/sparkgate', '/var/run/secrets/kubernetes.io/serviceaccount', '/opt/spark/conf'];
/** Pod volume names the gateway and Spark use. */
const GATEWAY_VOLUMES = ['kernel', 'work'];

/** Environment names a profile may not set, with why (checked in order; prefixes end in `*`). */
const OWNED_ENV: readonly { name: string; why: string }[] = [
  { name: 'SPARKGATE_*', why: 'set by the gateway' },
  { name: 'JPY_*', why: 'set by the gateway for the kernel' },
  { name: 'KERNEL_*', why: "the clients' (jupyter_server's KERNEL_* variables)" },
  { name: 'SPARK_*', why: "Spark's and the gateway's own; Spark settings go in sparkConf" },
  { name: '_SPARK_*', why: "Spark's own" },
  { name: 'PYSPARK_*', why: "the kernel's Python and spark-submit arguments are the gateway's; Spark settings go in sparkConf" },
  { name: 'KUBERNETES_*', why: 'set by Kubernetes; the driver finds the API server by them' },
  { name: 'HOME', why: "set by the gateway to the pod's writable work dir" },
  {
    name: 'JAVA_TOOL_OPTIONS',
    why: "the gateway sets it on executors, and JVM options would pass Spark settings past sparkConf's checks; use sparkConf spark.driver.extraJavaOptions"
  },
  { name: 'JDK_JAVA_OPTIONS', why: "JVM options would pass Spark settings past sparkConf's checks; use sparkConf spark.driver.extraJavaOptions" },
  { name: '_JAVA_OPTIONS', why: "JVM options would pass Spark settings past sparkConf's checks; use sparkConf spark.driver.extraJavaOptions" }
];

function envRefusal(name: string): string | null {
  const owned = OWNED_ENV.find(o => (o.name.endsWith('*') ? name.startsWith(o.name.slice(0, -1)) : name === o.name));
  return owned ? `: ${owned.why}; remove it` : null;
}

function isLabelKey(key: string): boolean {
  const parts = key.split('/');
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (parts.length > 2 || name === undefined || name.length > 63 || !LABEL_NAME.test(name)) {
    return false;
  }
  return prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
}

const isLabelValue = (v: string) => v === '' || (v.length <= 63 && LABEL_NAME.test(v));

/** A mapping whose keys and values `check` judges; issues land on the key's path. */
function checkedMap<V extends z.ZodType>(value: V, wording: string, check: (key: string, value: z.output<V>) => string | null) {
  return z.record(z.string(), value, { error: `must be a mapping of ${wording}` }).superRefine((map, ctx) => {
    for (const [key, v] of Object.entries(map)) {
      const problem = check(key, v);
      if (problem !== null) {
        ctx.addIssue({ code: 'custom', path: [key], message: problem });
      }
    }
  });
}

const labelString = z.string({ error: 'must be a string (quote numbers and true/false)' });
const nodeSelector = checkedMap(labelString, 'node label -> value', (key, value) =>
  !isLabelKey(key)
    ? ': not a Kubernetes label key ([prefix/]name, the name at most 63 letters, digits, -, _ or .)'
    : !isLabelValue(value)
      ? `must be a label value (at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit; got '${value}')`
      : null
);

/** A toleration as Kubernetes accepts it (the API server refuses the other combinations). */
const toleration = section({
  key: z.string({ error: 'must be a string' }).optional(),
  operator: oneOf(['Exists', 'Equal']).optional(),
  value: z.string({ error: 'must be a string' }).optional(),
  effect: oneOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional()
}).superRefine((t, ctx) => {
  if (t.operator === 'Exists' && t.value !== undefined && t.value !== '') {
    ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be empty with operator Exists' });
  } else if ((t.key ?? '') === '' && t.operator !== 'Exists') {
    ctx.addIssue({ code: 'custom', message: ': a toleration without a key needs operator Exists (it tolerates every taint)' });
  }
});

const gpuType = str().refine(isLabelValue, { error: `must be a value of the node label ${GPU_PRODUCT_LABEL} (e.g. NVIDIA-A100-SXM4-80GB)` });

/** Keys the driver and executors sections take besides their sizing. */
export const placementKeys = {
  nodeSelector: nodeSelector.optional(),
  tolerations: z.array(toleration, { error: 'must be a list of tolerations ({key, operator, value, effect})' }).optional(),
  gpuType: gpuType.optional()
};

type PlacementFile = { nodeSelector?: Record<string, string> | undefined; tolerations?: Toleration[] | undefined; gpuType?: string | undefined };

/** A section's placement, or null when it sets none. */
export function placementOf(p: PlacementFile): PodPlacement | null {
  if (p.nodeSelector === undefined && p.tolerations === undefined && p.gpuType === undefined) {
    return null;
  }
  return { nodeSelector: p.nodeSelector ?? {}, tolerations: p.tolerations ?? [], gpuType: p.gpuType ?? null };
}

/** Refines a driver or executors section: gpuType and a selector of the same label say the same twice. */
export function checkPlacement(p: PlacementFile, ctx: z.core.$RefinementCtx): void {
  if (p.gpuType !== undefined && p.nodeSelector?.[GPU_PRODUCT_LABEL] !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['nodeSelector', GPU_PRODUCT_LABEL], message: ': give gpuType or this selector, not both' });
  }
}

const imageRef = str().refine(ref => !/\s/.test(ref), { error: 'must be an image reference without spaces (e.g. registry/sparkgate/driver:1.2)' });

/** A reason as `describeIssue` puts it after the path: `path: reason`. */
const withColon = (reason: string | null) => (reason === null ? null : `: ${reason}`);

const sparkValue = z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or true/false' });
/** JVM options of the driver and executors: Spark reads -Dspark.* system properties in them as conf. */
const JAVA_OPTIONS = /^spark\.(driver|executor)\.(extra|default)JavaOptions$/;

const sparkConf = checkedMap(sparkValue, 'Spark conf key -> value', (key, value) =>
  !key.startsWith('spark.')
    ? ": not a Spark conf key (Spark reads spark.* keys; Hadoop's go in as spark.hadoop.*)"
    : JAVA_OPTIONS.test(key) && /-Dspark\./.test(String(value))
      ? ': -Dspark.* options would set Spark conf past these checks; give those keys in sparkConf itself'
      : withColon(gatewayOwnedConfReason(key))
).transform(conf => Object.fromEntries(Object.entries(conf).map(([k, v]) => [k, String(v)])));

/** Words of a variable's name that say it holds a credential (HF_TOKEN, AWS_SECRET_ACCESS_KEY, DB_PASSWORD). */
// Not CREDENTIALS: GOOGLE_APPLICATION_CREDENTIALS and the like name a file, e.g. one a Secret mounts.
const CREDENTIAL_WORDS = ['SECRET', 'PASSWORD', 'PASSWD', 'TOKEN', 'APIKEY'];
const CREDENTIAL_PAIRS = [['ACCESS', 'KEY'], ['PRIVATE', 'KEY'], ['API', 'KEY']];

/** Whether a variable's name says it holds a credential; by whole words, so TOKENIZERS_PARALLELISM is not one. */
export function looksLikeCredential(name: string): boolean {
  const words = name.toUpperCase().split('_');
  return words.some(w => CREDENTIAL_WORDS.includes(w)) || CREDENTIAL_PAIRS.some(([a, b]) => words.some((w, i) => w === a && words[i + 1] === b));
}

// A plain value is a literal in the pod spec (and the config): a credential comes from a Secret.
const env = checkedMap(z.string({ error: 'must be a string (quote numbers and true/false); secrets do not go here' }), 'variable -> value', name =>
  !ENV_NAME.test(name)
    ? ': not a variable name (letters, digits and _, not starting with a digit)'
    : (envRefusal(name) ??
      (looksLikeCredential(name)
        ? `: looks like a credential, and a plain value would be a literal in the pod spec; take it from a Secret (secrets: [{name: <secret>, env: {${name}: <key>}}])`
        : null))
);

/** Why `mountPath` may not be a profile volume's, or null. */
function mountPathProblem(mountPath: string): string | null {
  if (!mountPath.startsWith('/') || mountPath.split('/').slice(1).some(part => part === '' || part === '.' || part === '..')) {
    return `must be an absolute path without ., .. or a trailing / (got '${mountPath}')`;
  }
  const shadowed = GATEWAY_MOUNTS.find(m => m === mountPath || m.startsWith(`${mountPath}/`));
  if (shadowed !== undefined) {
    return `would cover the gateway's mount at ${shadowed}`;
  }
  const inside = SEALED_MOUNTS.find(m => mountPath.startsWith(`${m}/`));
  return inside !== undefined ? `is inside the gateway's read-only mount at ${inside}` : null;
}

/** Why `template` cannot make claim names, or null. */
function templateProblem(template: string): string | null {
  if (template.split(USER_PLACEHOLDER).length !== 2) {
    return `must contain ${USER_PLACEHOLDER} once (e.g. home-${USER_PLACEHOLDER}); a claim every user shares is a claim`;
  }
  const sample = template.replace(USER_PLACEHOLDER, 'u'.repeat(MIN_USER_ROOM));
  if (!DNS_LABEL.test(sample) || sample.length > MAX_CLAIM_NAME) {
    return (
      `must make a claim name of lowercase letters, digits and -, with room for the user (at most ` +
      `${MAX_CLAIM_NAME - MIN_USER_ROOM} characters besides ${USER_PLACEHOLDER}; got '${template}')`
    );
  }
  return null;
}

const volume = section({
  name: str(),
  claim: str().optional(),
  claimTemplate: str().optional(),
  mountPath: str(),
  readOnly: bool().optional(),
  size: str().optional(),
  storageClass: str().optional(),
  executors: bool().optional()
})
  .superRefine((v, ctx) => {
    const at = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
    if (!DNS_LABEL.test(v.name) || v.name.length > 63) {
      at('name', `must be lowercase letters, digits and -, at most 63 (got '${v.name}')`);
    } else if (GATEWAY_VOLUMES.includes(v.name) || v.name.startsWith('spark-')) {
      at('name', `'${v.name}' is taken: the gateway names its volumes ${GATEWAY_VOLUMES.join(', ')} and Spark its spark-…`);
    }
    if ((v.claim === undefined) === (v.claimTemplate === undefined)) {
      ctx.addIssue({ code: 'custom', message: `(${v.name}): give claim (an existing claim) or claimTemplate (one per user, e.g. home-${USER_PLACEHOLDER})` });
    } else if (v.claim !== undefined) {
      if (!DNS_SUBDOMAIN.test(v.claim) || v.claim.length > 253) {
        at('claim', `must be a claim name (lowercase letters, digits, - and .; got '${v.claim}')`);
      }
      for (const key of ['size', 'storageClass'] as const) {
        if (v[key] !== undefined) {
          at(key, ': only for a claimTemplate (the gateway creates those claims; an existing claim has its own)');
        }
      }
    } else {
      const problem = templateProblem(v.claimTemplate ?? '');
      if (problem !== null) {
        at('claimTemplate', problem);
      }
      if (v.size === undefined) {
        at('size', ': a claimTemplate needs the size of the claims it makes (e.g. 10Gi)');
      } else if (!QUANTITY.test(v.size)) {
        at('size', `must be a storage size like 10Gi or 500Mi (got '${v.size}')`);
      }
      if (v.storageClass !== undefined && !DNS_SUBDOMAIN.test(v.storageClass)) {
        at('storageClass', `must be a StorageClass name (got '${v.storageClass}')`);
      }
    }
    const problem = mountPathProblem(v.mountPath);
    if (problem !== null) {
      at('mountPath', problem);
    }
  })
  .transform((v): ProfileVolume => {
    const common = { name: v.name, mountPath: v.mountPath, readOnly: v.readOnly ?? false };
    return v.claim !== undefined
      ? { ...common, executors: v.executors ?? true, claim: v.claim }
      : { ...common, executors: v.executors ?? false, claimTemplate: v.claimTemplate ?? '', size: v.size ?? '', storageClass: v.storageClass ?? null };
  });

/** A Secret's data key (Kubernetes: letters, digits, -, _ and .). */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

const secret = section({
  name: str(),
  mountPath: str().optional(),
  env: checkedMap(z.string({ error: "must be the Secret's key (a string)" }), "variable -> the Secret's key", (name, key) =>
    !ENV_NAME.test(name)
      ? ': not a variable name (letters, digits and _, not starting with a digit)'
      : (envRefusal(name) ?? (!SECRET_KEY.test(key) ? `must be a key of the Secret (letters, digits, -, _ and .; got '${key}')` : null))
  ).optional(),
  executors: bool().optional()
})
  .superRefine((s, ctx) => {
    if (!DNS_SUBDOMAIN.test(s.name) || s.name.length > 253) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `must be a Secret name (lowercase letters, digits, - and .; got '${s.name}')` });
    }
    if (s.mountPath === undefined && (s.env === undefined || Object.keys(s.env).length === 0)) {
      ctx.addIssue({ code: 'custom', message: `(${s.name}): give mountPath (its keys as files) and/or env (variables from its keys)` });
    }
    const problem = s.mountPath === undefined ? null : mountPathProblem(s.mountPath);
    if (problem !== null) {
      ctx.addIssue({ code: 'custom', path: ['mountPath'], message: problem });
    }
  })
  .transform((s): ProfileSecret => ({ name: s.name, mountPath: s.mountPath ?? null, env: s.env ?? {}, executors: s.executors ?? true }));

const packages = z
  .array(str().refine(p => MAVEN.test(p), { error: 'must be Maven coordinates group:artifact:version (e.g. org.apache.spark:spark-avro_2.13:4.0.1)' }), {
    error: 'must be a list of Maven coordinates (group:artifact:version)'
  })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((coordinates, i) => {
      const artifact = coordinates.split(':').slice(0, 2).join(':');
      if (seen.has(artifact)) {
        ctx.addIssue({ code: 'custom', path: [i], message: `: ${artifact} appears twice` });
      }
      seen.add(artifact);
    });
  });

/** The profile-level keys of issue 18. */
export const runtimeKeys = {
  image: section({ driver: imageRef.optional(), executor: imageRef.optional() }).optional(),
  sparkConf: sparkConf.optional(),
  env: env.optional(),
  volumes: z.array(volume, { error: 'must be a list of volumes ({name, claim | claimTemplate, mountPath, …})' }).optional(),
  packages: packages.optional(),
  ivyCacheVolume: str().optional(),
  secrets: z.array(secret, { error: 'must be a list of Secrets ({name, mountPath, env, executors})' }).optional()
};

interface RuntimeFile {
  spark: boolean;
  image?: { driver?: string | undefined; executor?: string | undefined } | undefined;
  sparkConf?: Record<string, string> | undefined;
  env?: Record<string, string> | undefined;
  volumes?: ProfileVolume[] | undefined;
  packages?: string[] | undefined;
  ivyCacheVolume?: string | undefined;
  secrets?: ProfileSecret[] | undefined;
}

/** Refines a whole profile: what relates its keys to each other. */
export function checkRuntime(p: RuntimeFile, ctx: z.core.$RefinementCtx): void {
  const at = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (!p.spark) {
    for (const key of ['sparkConf', 'packages', 'ivyCacheVolume'] as const) {
      if (p[key] !== undefined) {
        at([key], ': the profile starts no Spark (spark: false)');
      }
    }
  }
  const volumes = p.volumes ?? [];
  const names = new Set<string>();
  const paths = new Set<string>();
  volumes.forEach((v, i) => {
    if (names.has(v.name)) {
      at(['volumes', i, 'name'], `: '${v.name}' appears twice`);
    }
    if (paths.has(v.mountPath)) {
      at(['volumes', i, 'mountPath'], `: ${v.mountPath} is another volume's mount path`);
    }
    names.add(v.name);
    paths.add(v.mountPath);
  });
  const secretNames = new Set<string>();
  const variables = new Set(Object.keys(p.env ?? {}));
  (p.secrets ?? []).forEach((s, i) => {
    if (secretNames.has(s.name)) {
      at(['secrets', i, 'name'], `: '${s.name}' appears twice; give its mountPath and env in one entry`);
    }
    secretNames.add(s.name);
    if (s.mountPath !== null) {
      const nested = [...paths].find(m => m === s.mountPath || m.startsWith(`${s.mountPath}/`) || s.mountPath?.startsWith(`${m}/`));
      if (nested !== undefined) {
        at(['secrets', i, 'mountPath'], `: ${s.mountPath} overlaps another mount (${nested})`);
      }
      paths.add(s.mountPath);
    }
    for (const name of Object.keys(s.env)) {
      if (variables.has(name)) {
        at(['secrets', i, 'env', name], ': the variable is set twice (in env or another secret)');
      }
      variables.add(name);
    }
  });
  if (p.ivyCacheVolume !== undefined) {
    const cache = volumes.find(v => v.name === p.ivyCacheVolume);
    if (!cache) {
      at(['ivyCacheVolume'], `: '${p.ivyCacheVolume}' is not one of the profile's volumes (${volumes.map(v => v.name).join(', ') || 'none'})`);
    } else if (cache.readOnly) {
      at(['ivyCacheVolume'], `: volume '${cache.name}' is read-only; Ivy writes its cache there`);
    } else if (!p.packages?.length) {
      at(['ivyCacheVolume'], ': the profile has no packages to cache');
    }
  }
}

/** The profile's runtime, or undefined when it adds nothing (its pods stay as without issue 18). */
export function runtimeOf(p: RuntimeFile, driver: PodPlacement | null, executors: PodPlacement | null): ProfileRuntime | undefined {
  const runtime: ProfileRuntime = {
    image: { driver: p.image?.driver ?? null, executor: p.image?.executor ?? null },
    sparkConf: p.sparkConf ?? {},
    env: p.env ?? {},
    driver: driver ?? { nodeSelector: {}, tolerations: [], gpuType: null },
    executors: executors ?? { nodeSelector: {}, tolerations: [], gpuType: null },
    volumes: p.volumes ?? [],
    packages: p.packages ?? [],
    ivyCacheVolume: p.ivyCacheVolume ?? null,
    secrets: p.secrets ?? []
  };
  const empty =
    runtime.image.driver === null &&
    runtime.image.executor === null &&
    Object.keys(runtime.sparkConf).length === 0 &&
    Object.keys(runtime.env).length === 0 &&
    [runtime.driver, runtime.executors].every(s => Object.keys(s.nodeSelector).length === 0 && s.tolerations.length === 0 && s.gpuType === null) &&
    runtime.volumes.length === 0 &&
    runtime.packages.length === 0 &&
    runtime.secrets.length === 0;
  return empty ? undefined : runtime;
}
