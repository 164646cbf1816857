/**
 * Reads a kernel back from the objects `objects.ts` built for it: the inverse of
 * `buildDriverObjects` for everything the gateway needs to take over a running kernel after a
 * restart (who owns it, its profile, sizing and name from the pod; key and ports from the Secret).
 * Pure: objects in, values or a reason out. Unit tests round-trip build → decode.
 */
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import type { ExecutorSizing, JvmSizing, Sizing } from '../../config/types.js';
import { ANNOTATIONS, LABELS, MANAGER, SECRET_FILES, SPARK_CONF_ARG } from './labels.js';
import type { Decoded, DriverRecord, KernelConnection } from './types.js';

/** What a driver pod's labels, annotations and arguments say about its kernel; refuses pods that are not sparkgate drivers. */
export function decodeDriverPod(pod: V1Pod): Decoded<DriverRecord> {
  const meta = pod.metadata ?? {};
  const labels = meta.labels ?? {};
  const a = meta.annotations ?? {};
  if (labels[LABELS.managedBy] !== MANAGER || labels[LABELS.component] !== 'driver') {
    return refuse(`not a sparkgate driver pod (labels ${LABELS.managedBy}=${labels[LABELS.managedBy] ?? ''}, ${LABELS.component}=${labels[LABELS.component] ?? ''})`);
  }
  if (a[ANNOTATIONS.pool] !== undefined) {
    // Even with a user set by hand: only a claim (one patch that removes the pool marks) makes it someone's.
    return refuse(
      `an unclaimed warm pool driver (annotations ${ANNOTATIONS.pool}=${a[ANNOTATIONS.pool]}, ${ANNOTATIONS.poolUntil}=${a[ANNOTATIONS.poolUntil] ?? ''}): nobody's kernel until its gateway hands it out`
    );
  }
  const required = {
    [`label ${LABELS.kernelId}`]: labels[LABELS.kernelId],
    'metadata.name': meta.name,
    'metadata.namespace': meta.namespace,
    [`annotation ${ANNOTATIONS.user}`]: a[ANNOTATIONS.user],
    [`annotation ${ANNOTATIONS.tenant}`]: a[ANNOTATIONS.tenant],
    [`annotation ${ANNOTATIONS.profile}`]: a[ANNOTATIONS.profile],
    [`annotation ${ANNOTATIONS.sizing}`]: a[ANNOTATIONS.sizing]
  };
  const missing = Object.entries(required)
    .filter(([, value]) => !value)
    .map(([what]) => what);
  const [kernelId, podName, namespace, user, tenant, profile, sizingJson] = Object.values(required);
  if (missing.length > 0 || !kernelId || !podName || !namespace || !user || !tenant || !profile || !sizingJson) {
    return refuse(`driver pod lacks ${missing.join(', ')}`);
  }
  const sizing = decodeSizing(sizingJson);
  if (!sizing.ok) {
    return refuse(`annotation ${ANNOTATIONS.sizing} ${sizing.reason}`);
  }
  return {
    ok: true,
    value: {
      kernelId,
      podName,
      namespace,
      user,
      tenant,
      profile,
      // Pods of gateways before kernel names were recorded run under their profile's name.
      kernelName: a[ANNOTATIONS.kernelName] ?? profile,
      spark: pod.spec?.containers[0]?.args?.includes(SPARK_CONF_ARG) ?? false,
      sizing: sizing.value
    }
  };
}

/**
 * Whether `pod` is an unclaimed warm pool driver and until when its gateway holds it: the
 * `ANNOTATIONS.poolUntil` time in ms (NaN when missing or unreadable: held by nobody), or null for
 * any other pod. Such a pod is skipped by discovery and the kernel watch; the orphan sweep removes
 * it once this time has passed.
 */
export function poolHeldUntil(pod: V1Pod): number | null {
  const a = pod.metadata?.annotations ?? {};
  if (a[ANNOTATIONS.pool] === undefined) {
    return null;
  }
  const until = a[ANNOTATIONS.poolUntil];
  return until === undefined ? NaN : Date.parse(until);
}

/**
 * The connection file (without `ip`) in a kernel's Secret. Reads `data` (base64, what the API
 * server returns) or `stringData` (what the builder writes). With `owner`, refuses a Secret that
 * pod does not own: a same-named leftover of another pod holds another key.
 */
export function decodeConnection(secret: V1Secret, owner?: V1Pod): Decoded<KernelConnection> {
  const name = `Secret ${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
  const ownerUid = owner?.metadata?.uid;
  if (ownerUid && !secret.metadata?.ownerReferences?.some(r => r.kind === 'Pod' && r.uid === ownerUid)) {
    return refuse(`${name} is not owned by driver pod ${owner.metadata?.name ?? ''} (uid ${ownerUid})`);
  }
  const base64 = secret.data?.[SECRET_FILES.connection];
  const text = base64 !== undefined ? Buffer.from(base64, 'base64').toString('utf8') : secret.stringData?.[SECRET_FILES.connection];
  if (text === undefined) {
    return refuse(`${name} has no ${SECRET_FILES.connection}`);
  }
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return refuse(`${name} has a ${SECRET_FILES.connection} that is not JSON`);
  }
  if (typeof info !== 'object' || info === null) {
    return refuse(`${name} has a ${SECRET_FILES.connection} that is not an object`);
  }
  const bad = [
    ...(['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'] as const).filter(k => !isPort(info[k])),
    ...(typeof info.key === 'string' && info.key ? [] : ['key']),
    ...(info.transport === 'tcp' ? [] : ['transport']),
    ...(info.signature_scheme === 'hmac-sha256' ? [] : ['signature_scheme']),
    ...(info.kernel_name === undefined || typeof info.kernel_name === 'string' ? [] : ['kernel_name'])
  ];
  if (bad.length > 0) {
    return refuse(`${name} has a ${SECRET_FILES.connection} with a missing or invalid ${bad.join(', ')}`);
  }
  const connection: KernelConnection = {
    transport: 'tcp',
    shell_port: info.shell_port as number,
    iopub_port: info.iopub_port as number,
    stdin_port: info.stdin_port as number,
    control_port: info.control_port as number,
    hb_port: info.hb_port as number,
    key: info.key as string,
    signature_scheme: 'hmac-sha256'
  };
  return { ok: true, value: typeof info.kernel_name === 'string' ? { ...connection, kernel_name: info.kernel_name } : connection };
}

/**
 * The sizing annotation: JSON of `Sizing`, every number a non-negative finite one; a JVM's GPU
 * type (text) and memory overhead come back too, so an adopted kernel is the cluster it was launched as.
 */
function decodeSizing(json: string): Decoded<Sizing> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return refuse('is not JSON');
  }
  const s = raw as { driver?: Record<string, unknown>; executors?: Record<string, unknown> } | null;
  const driver = jvm(s?.driver);
  const executors = jvm(s?.executors);
  if (!driver || !executors) {
    return refuse(`needs driver and executors with cores, memoryMiB and gpus as numbers ≥ 0: ${json.slice(0, 200)}`);
  }
  for (const role of ['driver', 'executors'] as const) {
    const { gpuType, memoryOverheadMiB } = s?.[role] ?? {};
    if (gpuType !== undefined && (typeof gpuType !== 'string' || gpuType === '')) {
      return refuse(`has an invalid ${role}.gpuType (not a GPU type's text): ${JSON.stringify(gpuType)}`);
    }
    if (memoryOverheadMiB !== undefined && !isCount(memoryOverheadMiB)) {
      return refuse(`has an invalid ${role}.memoryOverheadMiB: ${JSON.stringify(memoryOverheadMiB)}`);
    }
  }
  const e: ExecutorSizing = { ...executors };
  for (const k of ['count', 'min', 'max'] as const) {
    const v = s?.executors?.[k];
    if (v !== undefined) {
      if (!isCount(v)) {
        return refuse(`has an invalid executors.${k}: ${JSON.stringify(v)}`);
      }
      e[k] = v;
    }
  }
  return { ok: true, value: { driver, executors: e } };
}

function jvm(x: Record<string, unknown> | undefined): JvmSizing | null {
  if (typeof x !== 'object' || x === null || !isCount(x.cores) || !isCount(x.memoryMiB) || !isCount(x.gpus)) {
    return null;
  }
  // decodeSizing has checked these.
  const { gpuType, memoryOverheadMiB } = x as { gpuType?: string; memoryOverheadMiB?: number };
  return {
    cores: x.cores,
    memoryMiB: x.memoryMiB,
    gpus: x.gpus,
    ...(gpuType === undefined ? {} : { gpuType }),
    ...(memoryOverheadMiB === undefined ? {} : { memoryOverheadMiB })
  };
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

function isPort(x: unknown): boolean {
  return Number.isInteger(x) && (x as number) > 0 && (x as number) < 65536;
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
