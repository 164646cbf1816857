/**
 * One kernel as a driver pod (`DriverPodKernel`). Over 250 lines: its end (the watched pod), its
 * stop (delete, then wait for the watch) and its claim read and set the same few flags
 * (`_gone`, `_podDeleted`, `_terminating`, `_claimed`) of the same pod; what stands alone lives
 * beside it (activityNote.ts, presence.ts, nodeLoss.ts, podStatus.ts, poolLease.ts).
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../log.js';
import type { ConnectionInfo } from '../../protocol/messages.js';
import { DRIVER_PORTS } from '../../spark/kubernetesConf.js';
import { ConflictError, NotAllowedError } from '../../errors.js';
import { defaultDelay, type DelayFn } from '../../util/retry.js';
import { type ClaimApplied, type ClusterStatus, type KernelClaim, type KernelExit, type LaunchedKernel, POOL_USER, type StopNote } from '../types.js';
import { ActivityNote, type ActivityNoteOptions } from './activityNote.js';
import { ANNOTATIONS, LABELS, STOPPED_REMOVED } from './labels.js';
import { NodeLossCheck, type NodeLossCheckOptions, tcpReachable } from './nodeLoss.js';
import type { PoolLease } from './poolLease.js';
import { Presence } from './presence.js';
import { deletionReason, describePod, driverState, executorStatus, lostNode } from './podStatus.js';
import type { KernelConnection, PodSource } from './types.js';

/** Options of {@link DriverPodKernel}. */
export interface DriverPodKernelOptions {
  /** The pod cache and its change events. */
  pods: PodSource;
  namespace: string;
  podName: string;
  /** The driver pod's uid: only this pod's end is the kernel's end (a restart makes a new pod). */
  uid: string;
  podIP: string;
  connection: KernelConnection;
  kernelId: string;
  spark: boolean;
  /** GPUs the driver holds while it runs. */
  driverGpus: number;
  /** Called when the kernel's pods change (executors came or went). */
  onStatus?: () => void;
  /** Merges annotations into this driver pod (by uid); never rejects (failures are logged). */
  annotate?: (annotations: Record<string, string>) => Promise<void>;
  /** The same merge, `null` removing one; rejects with a gateway error when the API did not apply it (the claim). */
  patchAnnotations?: (annotations: Record<string, string | null>) => Promise<void>;
  /** A warm pool driver (`LaunchRequest.pooled`): its tenant and the lease its gateway renews until the claim. */
  pool?: { tenant: string; lease: PoolLease; requestExecutors?: number };
  /**
   * How often to renew the "clients attached here" note for other replicas (presence.ts); null =
   * never (no culler reads it: fleet/culler.ts `presenceRefreshMs`). Absent: the activity interval (30 s).
   */
  presenceRefreshMs?: number | null;
  /** Pacing of the last-activity annotation (activityNote.ts); tests set clock and timer. */
  activity?: Omit<ActivityNoteOptions, 'write'>;
  /** Deletes this driver pod (by uid) with the given grace; never rejects. */
  deletePod: (graceSeconds: number) => Promise<void>;
  /** The last `lines` lines of the kernel container's log; rejects when the API cannot serve it. */
  readLog: (lines: number) => Promise<string>;
  logger: Logger;
  /** Waits out the terminate deadline. Default an unref'd timer. */
  delay?: DelayFn;
  /** How a node reported lost is confirmed (nodeLoss.ts); default a TCP connect to the kernel's shell port. */
  nodeLoss?: NodeLossCheckOptions;
}

/** How long one connect to a kernel on a node reported lost may take before it counts as unanswered. */
const REACH_TIMEOUT_MS = 5000;

/** How long after the grace period `terminate()` still waits for the watch to report the pod gone. */
const GONE_SLACK_MS = 30_000;

/**
 * A kernel running as a driver pod, followed through the pod watch: its end is the pod's end
 * (container terminated or pod deleted), its executors are the pods Spark created for it.
 */
export class DriverPodKernel implements LaunchedKernel {
  readonly connection: ConnectionInfo;
  readonly exited: Promise<KernelExit>;
  readonly sparkUi: string | null;
  // Pods get no signals from the gateway: the manager sends interrupt_request on the control channel.
  readonly interruptMode = 'message' as const;

  constructor(options: DriverPodKernelOptions) {
    this._o = options;
    this.connection = { ...options.connection, ip: options.podIP };
    this.sparkUi = options.spark ? `${options.podIP}:${DRIVER_PORTS.ui}` : null;
    this.exited = new Promise<KernelExit>(resolve => (this._resolveExit = resolve));
    const annotate = options.annotate;
    this._activity = annotate ? new ActivityNote({ ...options.activity, write: at => annotate({ [ANNOTATIONS.lastActivity]: at.toISOString() }) }) : null;
    const { intervalMs, ...clock } = options.activity ?? {};
    const refreshMs = options.presenceRefreshMs === undefined ? intervalMs : options.presenceRefreshMs;
    this._presence =
      annotate && refreshMs !== null
        ? new Presence({ ...clock, ...(refreshMs === undefined ? {} : { refreshMs }), write: until => annotate({ [ANNOTATIONS.connectedUntil]: until.toISOString() }) })
        : null;
    this._nodeLoss = new NodeLossCheck(
      { reachable: () => tcpReachable(options.podIP, options.connection.shell_port, REACH_TIMEOUT_MS), ...options.nodeLoss },
      {
        stillReported: () => !this._gone && !this._terminating && this._lostNode() !== null,
        answered: () =>
          options.logger.warn('node reported lost but the kernel answers on its pod IP; kept (the control plane lost track of the node, e.g. after an API server outage)', {
            node: this._lostNode()
          }),
        lost: () => {
          const node = this._lostNode();
          const pod = this._current();
          if (node !== null && pod) {
            this._end(pod, false, {
              code: null,
              signal: null,
              reason: `node ${node} lost: the node controller marked driver pod ${options.namespace}/${options.podName} not ready (its kubelet stopped reporting)`
            });
          }
        }
      }
    );
    options.pods.on('pod', this._follow);
    // Adopted while its node is lost or its pod is being deleted: the watch may say nothing more.
    const current = options.pods.pod(options.namespace, options.podName);
    if (current?.metadata?.uid === options.uid) {
      this._ended(current, false);
    }
  }

  async interrupt(): Promise<void> {
    // Nothing to deliver: interruptMode is 'message'.
  }

  status(): ClusterStatus {
    const o = this._o;
    const executors = executorStatus(o.pods.list(o.namespace, 'executor', o.kernelId), o.uid);
    return {
      executors: { ready: executors.ready, pending: executors.pending, pendingReason: executors.pendingReason, pods: executors.pods },
      gpus: (this._gone ? 0 : o.driverGpus) + executors.gpus
    };
  }

  noteActivity(at: Date): void {
    this._activity?.note(at);
  }

  clientsAttached(attached: boolean): void {
    this._presence?.set(attached);
  }

  connectedElsewhere(): boolean {
    const o = this._o;
    const pod = o.pods.pod(o.namespace, o.podName);
    const text = pod?.metadata?.uid === o.uid ? pod.metadata.annotations?.[ANNOTATIONS.connectedUntil] : undefined;
    const until = text === undefined ? NaN : Date.parse(text);
    return !Number.isNaN(until) && until > (o.activity?.now ?? Date.now)();
  }

  recordedActivity(): Date | null {
    const o = this._o;
    const pod = o.pods.pod(o.namespace, o.podName);
    const text = pod?.metadata?.uid === o.uid ? pod.metadata.annotations?.[ANNOTATIONS.lastActivity] : undefined;
    const at = text === undefined ? NaN : Date.parse(text);
    return Number.isNaN(at) ? null : new Date(at);
  }

  terminate(graceMs: number, note?: StopNote): Promise<void> {
    this._terminating ??= (async () => {
      void this._o.pool?.lease.stop();
      this._activity?.stop();
      this._presence?.stop();
      this._nodeLoss.stop();
      if (!this._podDeleted) {
        // Told first, so the other gateways serving this kernel drop it (or list it culled), not dead.
        if (note && this._o.annotate) {
          await this._o.annotate({ [ANNOTATIONS.stopped]: 'removed' in note ? STOPPED_REMOVED : note.culled });
        }
        await this._o.deletePod(Math.ceil(graceMs / 1000));
      }
      // The pod is gone once the watch says so (the kubelet has stopped its containers).
      const deadline = new AbortController();
      await Promise.race([
        this.exited.then(() => undefined),
        (this._o.delay ?? defaultDelay)(graceMs + GONE_SLACK_MS, deadline.signal).catch(() => undefined)
      ]);
      deadline.abort();
    })();
    return this._terminating;
  }

  /**
   * Hands a warm pool driver to `claim.owner`: stops renewing its lease (after a renewal in
   * flight, which could re-add the pool-until otherwise), then one merge patch writes the owner's
   * annotations as a cold launch has them and removes both pool marks, so the pod reads as that
   * user's kernel everywhere (codec.ts) or, if the patch fails, stays a pool driver whose lease runs
   * out. Once only: a pool driver is never handed out twice. `claim.env` is not the pod's: a
   * running container's env cannot change, the manager sets it inside the kernel; the working
   * directory is the pod's fixed one, as for a cold launch. Returns the executors the manager
   * asks Spark for (a fixed-count profile's warm driver started without them).
   */
  async claim(claim: KernelClaim): Promise<ClaimApplied> {
    const o = this._o;
    const pod = `driver pod ${o.namespace}/${o.podName}`;
    if (!o.pool || !o.patchAnnotations) {
      throw new ConflictError(`${pod} is not a warm pool driver: it cannot be claimed`);
    }
    if (this._claimed) {
      throw new ConflictError(`${pod} was claimed already: a warm pool driver is handed out once`);
    }
    if (this._gone || this._terminating) {
      throw new ConflictError(`${pod} has ended or is being stopped: it cannot be claimed`);
    }
    if (claim.owner.tenant !== o.pool.tenant || claim.owner.user === POOL_USER) {
      throw new NotAllowedError(`${pod} is a warm driver of tenant ${o.pool.tenant}: it cannot be claimed by user '${claim.owner.user}' of tenant ${claim.owner.tenant}`);
    }
    this._claimed = true;
    await o.pool.lease.stop();
    if (this._gone || this._terminating) {
      throw new ConflictError(`${pod} ended or began stopping while it was claimed`);
    }
    await o.patchAnnotations({
      [ANNOTATIONS.user]: claim.owner.user,
      [ANNOTATIONS.tenant]: claim.owner.tenant,
      [ANNOTATIONS.kernelName]: claim.kernelName,
      [ANNOTATIONS.pool]: null,
      [ANNOTATIONS.poolUntil]: null
    });
    o.logger.info('warm pool driver claimed', { user: claim.owner.user, kernelName: claim.kernelName });
    return o.pool.requestExecutors ? { requestExecutors: o.pool.requestExecutors } : {};
  }

  async logTail(lines: number): Promise<string> {
    const o = this._o;
    try {
      return await o.readLog(lines);
    } catch {
      const pod = o.pods.pod(o.namespace, o.podName);
      return pod ? describePod(pod) : `driver pod ${o.namespace}/${o.podName} is gone`;
    }
  }

  /** Hears every managed pod: this kernel's driver ending settles `exited`; any change of its pods is a status change. */
  private readonly _follow = (pod: V1Pod, deleted: boolean): void => {
    const o = this._o;
    if (pod.metadata?.labels?.[LABELS.kernelId] !== o.kernelId) {
      return;
    }
    if (pod.metadata?.uid === o.uid && this._ended(pod, deleted)) {
      return;
    }
    o.onStatus?.();
  };

  /**
   * Settles `exited` when this driver pod is over: deleted, its container ended, its deletion
   * requested by someone else (its clients hear at once, not after the grace period), or its
   * node lost (else the kernel would stay `busy` forever: no kubelet reports on it any more) —
   * that one once the pod does not answer either (nodeLoss.ts).
   */
  private _ended(pod: V1Pod, deleted: boolean): boolean {
    const o = this._o;
    const state = driverState(pod);
    let exit: KernelExit | null = null;
    const stopped = pod.metadata?.annotations?.[ANNOTATIONS.stopped];
    if (stopped !== undefined && !this._terminating) {
      // Another gateway (a replica) stopped it on purpose.
      exit = stopped === STOPPED_REMOVED
        ? { code: null, signal: null, reason: 'shut down through another gateway', byGateway: 'removed' }
        : { code: null, signal: null, reason: stopped, byGateway: 'culled' };
    } else if (deleted) {
      exit = { code: null, signal: null, reason: deletionReason(pod) ?? `driver pod ${o.namespace}/${o.podName} was deleted` };
    } else if (state.kind === 'ended') {
      exit = { code: state.code, signal: null, reason: state.message };
    } else if (!this._terminating) {
      const deletion = deletionReason(pod);
      if (deletion) {
        exit = { code: null, signal: null, reason: deletion };
      } else if (lostNode(pod)) {
        // Only once the pod does not answer either: the report alone also follows an API server outage.
        this._nodeLoss.start();
      }
    }
    if (!exit) {
      return false;
    }
    this._end(pod, deleted, exit);
    return true;
  }

  private _end(pod: V1Pod, deleted: boolean, exit: KernelExit): void {
    const o = this._o;
    this._gone = true;
    this._podDeleted = deleted;
    void o.pool?.lease.stop();
    this._activity?.stop();
    this._presence?.stop();
    this._nodeLoss.stop();
    o.pods.off('pod', this._follow);
    o.logger.info('driver pod ended', { deleted, state: driverState(pod).kind, reason: exit.reason });
    this._resolveExit(exit);
  }

  /** This kernel's driver pod in the cache. */
  private _current(): V1Pod | undefined {
    const o = this._o;
    const pod = o.pods.pod(o.namespace, o.podName);
    return pod?.metadata?.uid === o.uid ? pod : undefined;
  }

  /** The node the control plane reports lost under this kernel's pod, or null. */
  private _lostNode(): string | null {
    const pod = this._current();
    return pod ? lostNode(pod) : null;
  }

  private readonly _o: DriverPodKernelOptions;
  private _resolveExit!: (exit: KernelExit) => void;
  /** The driver has ended: its GPUs are free. */
  private _gone = false;
  // An ended pod still exists (and owns its Secret, Service and policy) until it is deleted.
  private _podDeleted = false;
  private _terminating: Promise<void> | undefined;
  private _claimed = false;
  private readonly _activity: ActivityNote | null;
  private readonly _presence: Presence | null;
  private readonly _nodeLoss: NodeLossCheck;
}
