/**
 * A profile's persistent volume claims on Kubernetes (issue 18): a per-user claim's name from its
 * template (`home-{user}` → `home-alice`) and the claim the gateway creates when it is missing.
 * Pure; objects.ts mounts what `resolveVolumes` names.
 */
import { createHash } from 'node:crypto';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { MAX_CLAIM_NAME, USER_PLACEHOLDER } from '../../config/profile.js';
import type { ProfileVolume } from '../../config/types.js';
import { ANNOTATIONS, LABELS, MANAGER } from './labels.js';

/** Hex digits of the user name's hash in a rewritten name: enough that nobody can pick a name to get another's claim. */
const HASH_DIGITS = 16;
const SAFE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A DNS-safe form of `user`, at most `maxLength` long (≥ 24). A name that is safe already and has
 * no `--` stays as it is; any other is lowercased, cut to what is safe and followed by `---` and
 * a hash of the whole name, so two users never share a form (safe forms never hold `--`).
 * KubeSpawner's "safe" slug scheme, with a longer hash.
 */
export function userSlug(user: string, maxLength: number): string {
  if (SAFE.test(user) && !user.includes('--') && user.length <= maxLength) {
    return user;
  }
  const hash = createHash('sha256').update(user, 'utf8').digest('hex').slice(0, HASH_DIGITS);
  const room = maxLength - HASH_DIGITS - 3;
  const stem = user
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, room)
    .replace(/^-+|-+$/g, '');
  return `${stem || 'u'}---${hash}`;
}

/** The claim a volume mounts for `user`: its `claim`, or its template with the user's safe form. */
export function claimNameFor(volume: ProfileVolume, user: string): string {
  if ('claim' in volume) {
    return volume.claim;
  }
  const fixed = volume.claimTemplate.length - USER_PLACEHOLDER.length;
  return volume.claimTemplate.replace(USER_PLACEHOLDER, userSlug(user, MAX_CLAIM_NAME - fixed));
}

/** A profile volume as mounted for one user. */
export interface ResolvedVolume {
  name: string;
  claimName: string;
  mountPath: string;
  readOnly: boolean;
  executors: boolean;
  /** Set for a per-user claim: what to create when it is missing. */
  template?: { size: string; storageClass: string | null; claimTemplate: string };
}

/** The profile's volumes with their claims named for `user`. */
export function resolveVolumes(volumes: readonly ProfileVolume[], user: string): ResolvedVolume[] {
  return volumes.map(v => ({
    name: v.name,
    claimName: claimNameFor(v, user),
    mountPath: v.mountPath,
    readOnly: v.readOnly,
    executors: v.executors,
    ...('claimTemplate' in v ? { template: { size: v.size, storageClass: v.storageClass, claimTemplate: v.claimTemplate } } : {})
  }));
}

/**
 * The claim a per-user volume makes for its user when it does not exist yet. It belongs to no
 * kernel (no ownerReference): the user's files outlive their kernels, and the orphan sweep, which
 * lists only pods, Secrets, Services and NetworkPolicies, never removes it.
 */
export function buildUserClaim(input: { namespace: string; user: string; volume: ResolvedVolume }): V1PersistentVolumeClaim | null {
  const t = input.volume.template;
  if (!t) {
    return null;
  }
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: input.volume.claimName,
      namespace: input.namespace,
      labels: { [LABELS.name]: MANAGER, [LABELS.managedBy]: MANAGER, [LABELS.component]: 'user-volume' },
      annotations: { [ANNOTATIONS.user]: input.user, 'sparkgate.io/claim-template': t.claimTemplate }
    },
    spec: {
      // One node's pods at a time: the driver's (a per-user claim is not mounted on executors unless asked).
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: t.size } },
      ...(t.storageClass !== null ? { storageClassName: t.storageClass } : {})
    }
  };
}
