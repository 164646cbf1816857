import type { V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

/** What the agent tracks per container. */
export interface ContainerState {
  name: string;
  image: string;
  restartCount: number;
  /** Readiness from the readinessProbe; undefined = no probe (ready while running). */
  ready?: boolean;
  state:
    | { kind: 'waiting'; reason: string; message?: string }
    | { kind: 'running'; startedAt: Date }
    | { kind: 'terminated'; exitCode: number; reason: string; message?: string; startedAt?: Date; finishedAt: Date };
  /** Last terminated state before a restart. */
  last?: { exitCode: number; reason: string; startedAt?: Date; finishedAt: Date };
}

/** Pod-level facts for the status. */
export interface PodFacts {
  podIP?: string;
  hostIP: string;
  startTime: Date;
  initDone: boolean;
  /** Pod rejected at admission (e.g. no free GPU device): phase Failed with this reason. */
  rejected?: { reason: string; message: string };
}

// Timestamps are sent as strings: the patch body is passed to the API as-is.
const ts = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

function containerStatus(c: ContainerState, ready: boolean): V1ContainerStatus {
  const s = c.state;
  const state =
    s.kind === 'waiting'
      ? { waiting: { reason: s.reason, message: s.message } }
      : s.kind === 'running'
        ? { running: { startedAt: ts(s.startedAt) } }
        : {
            terminated: {
              exitCode: s.exitCode,
              reason: s.reason,
              message: s.message,
              startedAt: s.startedAt ? ts(s.startedAt) : undefined,
              finishedAt: ts(s.finishedAt)
            }
          };
  const last = c.last
    ? { terminated: { exitCode: c.last.exitCode, reason: c.last.reason, startedAt: c.last.startedAt ? ts(c.last.startedAt) : undefined, finishedAt: ts(c.last.finishedAt) } }
    : {};
  return {
    name: c.name,
    image: c.image,
    imageID: '',
    containerID: `proc://${c.name}`,
    ready,
    started: s.kind === 'running',
    restartCount: c.restartCount,
    state,
    lastState: last
  } as unknown as V1ContainerStatus;
}

/** Phase from container states and restart policy, the kubelet's way. */
export function podPhase(pod: V1Pod, init: ContainerState[], containers: ContainerState[], facts: PodFacts): string {
  if (facts.rejected) {
    return 'Failed';
  }
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Never' && init.some((c) => c.state.kind === 'terminated' && c.state.exitCode !== 0)) {
    return 'Failed';
  }
  const states = containers.map((c) => c.state);
  if (!facts.initDone || states.some((s) => s.kind === 'waiting')) {
    // An init container failed for good → Failed; otherwise still starting.
    return 'Pending';
  }
  if (states.some((s) => s.kind === 'running')) {
    return 'Running';
  }
  const failed = states.some((s) => s.kind === 'terminated' && s.exitCode !== 0);
  if (policy === 'Always' || (policy === 'OnFailure' && failed)) {
    return 'Running'; // about to restart
  }
  return failed ? 'Failed' : 'Succeeded';
}

/**
 * The status the agent writes with a strategic-merge patch (conditions merge by type, so the
 * scheduler's PodScheduled stays). Pure: same inputs, same status.
 */
export function buildStatus(pod: V1Pod, init: ContainerState[], containers: ContainerState[], facts: PodFacts, now: Date): V1PodStatus {
  const phase = podPhase(pod, init, containers, facts);
  const isReady = (c: ContainerState): boolean => c.state.kind === 'running' && c.ready !== false;
  const allRunning = containers.length > 0 && containers.every(isReady);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  // Keep a condition's transition time while its status stays the same, as the kubelet does.
  const since = (type: string, status: string): string => {
    const prev = pod.status?.conditions?.find((c) => c.type === type);
    return prev && prev.status === status && prev.lastTransitionTime ? String(prev.lastTransitionTime instanceof Date ? ts(prev.lastTransitionTime) : prev.lastTransitionTime) : ts(now);
  };
  const cond = (type: string, ok: boolean, reason?: string): V1PodCondition =>
    ({
      type,
      status: ok ? 'True' : 'False',
      reason: ok ? undefined : reason,
      lastTransitionTime: since(type, ok ? 'True' : 'False'),
      lastProbeTime: null
    }) as unknown as V1PodCondition;
  const notReadyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const status: Record<string, unknown> = {
    phase,
    hostIP: facts.hostIP,
    hostIPs: [{ ip: facts.hostIP }],
    startTime: ts(facts.startTime),
    conditions: [
      cond('PodReadyToStartContainers', facts.podIP !== undefined, 'SandboxNotReady'),
      cond('Initialized', facts.initDone, completed ? 'PodCompleted' : 'ContainersNotInitialized'),
      cond('ContainersReady', allRunning, notReadyReason),
      cond('Ready', allRunning, notReadyReason)
      // PodScheduled is the scheduler's; the strategic merge keeps it.
    ],
    containerStatuses: containers.map((c) => containerStatus(c, isReady(c))),
    qosClass: pod.status?.qosClass
  };
  if (init.length > 0) {
    status.initContainerStatuses = init.map((c) => containerStatus(c, c.state.kind === 'terminated' && c.state.exitCode === 0));
  }
  if (facts.podIP) {
    status.podIP = facts.podIP;
    status.podIPs = [{ ip: facts.podIP }];
  }
  if (facts.rejected) {
    status.reason = facts.rejected.reason;
    status.message = facts.rejected.message;
  }
  return status as V1PodStatus;
}
