import { chmod, chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CoreV1Api, V1Container, V1KeyToPath, V1Pod, V1ProjectedVolumeSource, V1Volume } from '@kubernetes/client-node';
import { fieldValue, resourceValue, type KeyReader, type RuntimeFacts } from './env.js';

/** Asks the API server for a service-account token bound to the pod (TokenRequest API). */
export type TokenIssuer = (req: { namespace: string; serviceAccount: string; audience?: string; expirationSeconds: number; pod: V1Pod }) => Promise<string>;

/** The host folder of a claim's bound PersistentVolume; a {@link VolumeError} while there is none. */
export type ClaimResolver = (namespace: string, claimName: string) => Promise<string>;

/** A bind mount a container's mount namespace gets. */
export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** A volume that cannot be set up (yet): missing Secret/ConfigMap, unsupported type. */
export class VolumeError extends Error {
  override name = 'VolumeError';
}

interface Ctx {
  pod: V1Pod;
  facts: RuntimeFacts;
  read: KeyReader;
  issueToken: TokenIssuer;
  resolveClaim: ClaimResolver;
}

/**
 * PVC → bound PV → host folder, as the kubelet's volume manager does before mounting: the PV's
 * `hostPath` or `local` path (harness/storage.ts provisions hostPath ones). Read at each setup, so a
 * claim bound late is found on the retry.
 */
export function claimResolver(core: CoreV1Api): ClaimResolver {
  return async (namespace, claimName) => {
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace }).catch((err: { code?: number }) => {
      if (err?.code === 404) {
        throw new VolumeError(`persistentvolumeclaim "${claimName}" not found`);
      }
      throw err;
    });
    if (claim.metadata?.deletionTimestamp) {
      throw new VolumeError(`persistentvolumeclaim "${claimName}" is being deleted`);
    }
    const volumeName = claim.spec?.volumeName;
    if (!volumeName || claim.status?.phase !== 'Bound') {
      throw new VolumeError(`PVC ${namespace}/${claimName} is not bound`);
    }
    const pv = await core.readPersistentVolume({ name: volumeName });
    const hostPath = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (!hostPath) {
      throw new VolumeError(`persistentvolume "${volumeName}": unsupported source (supported: hostPath, local)`);
    }
    return hostPath;
  };
}

async function put(dir: string, rel: string, content: string | Buffer, mode: number): Promise<void> {
  const file = path.join(dir, rel);
  if (!file.startsWith(dir + path.sep)) {
    throw new VolumeError(`volume item path "${rel}" leaves the volume`);
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  await chmod(file, mode);
}

async function keys(
  dir: string,
  data: Record<string, string> | undefined,
  items: V1KeyToPath[] | undefined,
  mode: number,
  what: string,
  optional: boolean | undefined
): Promise<void> {
  if (!data) {
    if (optional) {
      return;
    }
    throw new VolumeError(`${what} not found`);
  }
  const list: V1KeyToPath[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const it of list) {
    if (data[it.key] === undefined) {
      if (optional) {
        continue;
      }
      throw new VolumeError(`${what} has no key "${it.key}"`);
    }
    await put(dir, it.path, data[it.key], it.mode ?? mode);
  }
}

async function projected(dir: string, src: V1ProjectedVolumeSource, ctx: Ctx): Promise<void> {
  const ns = ctx.pod.metadata?.namespace ?? 'default';
  const mode = src.defaultMode ?? 0o644;
  for (const s of src.sources ?? []) {
    if (s.secret) {
      await keys(dir, await ctx.read('Secret', ns, s.secret.name ?? ''), s.secret.items, mode, `secret "${s.secret.name}"`, s.secret.optional);
    } else if (s.configMap) {
      await keys(dir, await ctx.read('ConfigMap', ns, s.configMap.name ?? ''), s.configMap.items, mode, `configmap "${s.configMap.name}"`, s.configMap.optional);
    } else if (s.downwardAPI) {
      for (const it of s.downwardAPI.items ?? []) {
        const v = it.fieldRef ? fieldValue(ctx.pod, it.fieldRef, ctx.facts) : resourceValue(ctx.pod, undefined, it.resourceFieldRef!, ctx.facts);
        await put(dir, it.path, v, it.mode ?? mode);
      }
    } else if (s.serviceAccountToken) {
      const t = s.serviceAccountToken;
      const token = await ctx.issueToken({
        namespace: ns,
        serviceAccount: ctx.pod.spec?.serviceAccountName ?? 'default',
        audience: t.audience,
        expirationSeconds: t.expirationSeconds ?? 3600,
        pod: ctx.pod
      });
      await put(dir, t.path, token, mode);
    } else {
      throw new VolumeError('unsupported projected volume source (supported: secret, configMap, downwardAPI, serviceAccountToken)');
    }
  }
}

async function chownTree(dir: string, gid: number): Promise<void> {
  await chown(dir, 0, gid);
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    await chown(path.join(entry.parentPath, entry.name), 0, gid);
  }
}

/**
 * Materializes one pod volume under `root/<name>` and returns the host path to bind. Secrets,
 * ConfigMaps, downward API and projected tokens are written once at start (no refresh: test pods
 * are short-lived); hostPath binds the host path itself.
 */
export async function materializeVolume(root: string, v: V1Volume, ctx: Ctx): Promise<string> {
  const dir = path.join(root, v.name);
  const ns = ctx.pod.metadata?.namespace ?? 'default';
  if (v.hostPath) {
    return v.hostPath.path;
  }
  if (v.persistentVolumeClaim) {
    // The volume's own folder, shared by every pod that mounts the claim (no fsGroup ownership change, as for hostPath).
    return ctx.resolveClaim(ns, v.persistentVolumeClaim.claimName);
  }
  await mkdir(dir, { recursive: true });
  if (v.emptyDir) {
    await chmod(dir, 0o777);
  } else if (v.secret) {
    const data = await ctx.read('Secret', ns, v.secret.secretName ?? '');
    await keys(dir, data, v.secret.items, v.secret.defaultMode ?? 0o644, `secret "${v.secret.secretName}"`, v.secret.optional);
  } else if (v.configMap) {
    const data = await ctx.read('ConfigMap', ns, v.configMap.name ?? '');
    await keys(dir, data, v.configMap.items, v.configMap.defaultMode ?? 0o644, `configmap "${v.configMap.name}"`, v.configMap.optional);
  } else if (v.downwardAPI) {
    await projected(dir, { defaultMode: v.downwardAPI.defaultMode, sources: [{ downwardAPI: { items: v.downwardAPI.items } }] }, ctx);
  } else if (v.projected) {
    await projected(dir, v.projected, ctx);
  } else {
    throw new VolumeError(`volume "${v.name}": unsupported type (supported: emptyDir, secret, configMap, downwardAPI, projected, hostPath, persistentVolumeClaim)`);
  }
  const fsGroup = ctx.pod.spec?.securityContext?.fsGroup;
  if (fsGroup !== undefined) {
    // Like the kubelet: the volume belongs to the pod's fsGroup, so a non-root container can read
    // a Secret mounted with mode 0440.
    await chownTree(dir, fsGroup);
  }
  return dir;
}

/** The volumes mounted read-only whatever a volumeMount says (`persistentVolumeClaim.readOnly`). */
export function readOnlyVolumes(pod: V1Pod): Set<string> {
  return new Set((pod.spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim?.readOnly === true).map((v) => v.name));
}

/** The container's bind mounts from its volumeMounts (subPath supported). */
export function containerMounts(c: V1Container, volumes: Map<string, string>, readOnly: ReadonlySet<string> = new Set()): Mount[] {
  return (c.volumeMounts ?? []).map((m) => {
    const src = volumes.get(m.name);
    if (src === undefined) {
      throw new VolumeError(`volumeMount "${m.name}" names no volume of the pod`);
    }
    return { source: m.subPath ? path.join(src, m.subPath) : src, target: m.mountPath, readOnly: (m.readOnly ?? false) || readOnly.has(m.name) };
  });
}
