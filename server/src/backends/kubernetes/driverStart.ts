import type { V1Pod } from '@kubernetes/client-node';
import { KernelLaunchError, KernelUnschedulableError } from '../../errors.js';
import type { LaunchPhase } from '../types.js';
import { abortReason } from './abort.js';
import { driverState, type DriverState } from './podStatus.js';
import type { PodSource } from './types.js';

/** Options of {@link awaitDriverRunning}. */
export interface AwaitDriverOptions {
  pods: PodSource;
  namespace: string;
  name: string;
  /** The pod's uid: a successor with the same name is not this launch's pod. */
  uid: string;
  /** Named in the image-pull error. */
  profileId: string;
  /** Rejects the wait with its reason (the manager's start timeout, a shutdown). */
  signal: AbortSignal;
  onPhase?: (phase: LaunchPhase, detail?: string) => void;
  /** The per-user claims this launch just made sure of (see {@link claimsSettling}). */
  claims?: readonly string[];
}

/**
 * True when the scheduler refuses the pod only because its claims are not ready for it yet: a claim
 * created a moment ago that its cache has not seen (`persistentvolumeclaim "…" not found`), or one
 * with Immediate binding whose volume is still being provisioned. It retries by itself once they
 * are, so the launch waits (bounded by the start timeout) instead of failing fast.
 */
export function claimsSettling(message: string, claims: readonly string[]): boolean {
  // Both are the volume binding plugin's PreFilter verdicts, so they come alone (no node was tried).
  return claims.length > 0 && (message.includes('pod has unbound immediate PersistentVolumeClaims') || claims.some(c => message.includes(`persistentvolumeclaim "${c}" not found`)));
}

/**
 * The kubelet's reason when it cannot make the kernel container from its spec
 * (`CreateContainerConfigError`: a variable's Secret or key missing, `secret "s3" not found`,
 * `couldn't find key k in Secret ns/s3`); null otherwise. The kubelet retries it, but nothing of
 * the launch's will change it: the profile's Secrets were checked to exist just before.
 */
export function containerConfigError(pod: V1Pod): string | null {
  const waiting = pod.status?.containerStatuses?.find(c => c.name === 'kernel')?.state?.waiting;
  return waiting?.reason === 'CreateContainerConfigError' ? `CreateContainerConfigError: ${waiting.message ?? 'no message'}` : null;
}

/**
 * Follows a driver pod through scheduling and image pull until its container runs; resolves with
 * the pod IP. Fails fast with the scheduler's or the kubelet's reason when the pod cannot get
 * there (unschedulable, image error, ended, deleted), and at once when `signal` aborts.
 */
export function awaitDriverRunning(o: AwaitDriverOptions): Promise<string> {
  const { pods, namespace, name, uid, signal } = o;
  return new Promise<string>((resolve, reject) => {
    let last: DriverState['kind'] | null = null;
    const check = (pod: V1Pod, deleted: boolean): void => {
      if (pod.metadata?.uid !== uid) {
        return;
      }
      if (deleted) {
        return done(new KernelLaunchError(`driver pod ${namespace}/${name} was deleted before the kernel started`));
      }
      const config = containerConfigError(pod);
      if (config !== null) {
        const hint = /secret/i.test(config) ? `; the profile's secrets must be in namespace ${namespace} with the keys its env names` : '';
        return done(new KernelLaunchError(`the driver container cannot be created (${o.profileId}): ${config}${hint}`));
      }
      const state = driverState(pod);
      if (state.kind !== last) {
        last = state.kind;
        if (state.kind === 'scheduled') {
          o.onPhase?.('pulling', `on node ${state.node}`);
        }
      }
      switch (state.kind) {
        case 'unschedulable':
          if (claimsSettling(state.message, o.claims ?? [])) {
            return undefined;
          }
          return done(new KernelUnschedulableError(`the driver pod cannot be scheduled: ${state.message}`));
        case 'image-error':
          return done(new KernelLaunchError(`the driver image cannot be pulled (${o.profileId}): ${state.message}`));
        case 'ended':
          return done(new KernelLaunchError(`the driver pod ended during start (exit ${state.code ?? '?'}): ${state.message}`));
        case 'running':
          o.onPhase?.('starting');
          return done(null, state.podIP);
        case 'pending':
        case 'scheduled':
          return undefined;
      }
    };
    const onAbort = (): void => done(abortReason(signal));
    const done = (error: Error | null, podIP?: string): void => {
      pods.off('pod', check);
      signal.removeEventListener('abort', onAbort);
      if (error) {
        reject(error);
      } else {
        resolve(podIP ?? '');
      }
    };
    pods.on('pod', check);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) {
      return onAbort();
    }
    const cached = pods.pod(namespace, name);
    if (cached) {
      check(cached, false);
    }
  });
}
