/**
 * A cluster as the gateway reports it (REST `sparkgate/api/clusters` and the `/status` events)
 * and as the extension's panel and notebook widget show it. One cluster is one kernel: the Spark
 * driver, plus its executors.
 */

import type { Sizing } from './sizing.js';

/** Lifecycle of a cluster as a whole. */
export type ClusterState = 'requested' | 'launching' | 'ready' | 'busy' | 'failed' | 'dead';

/** Where a launch is, in order. */
export type LaunchPhase = 'requested' | 'scheduling' | 'pulling' | 'starting' | 'kernel-ready' | 'spark-ready';

/** The Spark job a cluster is running now. */
export interface JobProgress {
  id: number;
  name: string;
  stages: { done: number; total: number };
  tasks: { done: number; running: number; total: number };
}

/**
 * One executor of a cluster: its pod as Kubernetes sees it (Kubernetes backend) merged with what
 * Spark says of it once registered (cores, GPU addresses, tasks).
 */
export interface ExecutorModel {
  /** Spark's executor id once registered (`"driver"` for a local master's in-driver executor), else null. */
  id: string | null;
  /** Pod name (Kubernetes backend), else null. */
  pod: string | null;
  node: string | null;
  state: 'pending' | 'running' | 'ended';
  /** Why it waits or ended, in the scheduler's or kubelet's words; null when running normally. */
  reason: string | null;
  cores: number;
  gpus: number;
  /** GPU addresses Spark assigned (its resource discovery), e.g. `["0", "1"]`; empty when unknown. */
  gpuAddresses: string[];
  /** Tasks from Spark; null before it registered. */
  tasks: { active: number; completed: number; failed: number } | null;
}

/** One cluster. */
export interface ClusterModel {
  id: string;
  /** Kernelspec name that attaches a notebook to this cluster: `<profile kernelspec>--<cluster id>`. */
  kernelName: string;
  profile: string;
  displayName: string;
  sizing: Sizing;
  state: ClusterState;
  phase: LaunchPhase | null;
  reason: string | null;
  /** ISO 8601. */
  createdAt: string;
  /** The Jupyter kernel id, which is the cluster id. */
  kernelId: string;
  driver: { state: string; reason: string | null; gpus: number };
  executors: {
    ready: number;
    pending: number;
    desired: number;
    pendingReason: string | null;
    /** One row per executor (pods, merged with Spark's view); running first, then pending, then ended. */
    list: ExecutorModel[];
  };
  gpus: { held: number };
  /** Spark UI path relative to the gateway root, e.g. `ui/<id>/`; `null` without Spark. */
  sparkUi: string | null;
  /** Only while the cluster is busy. */
  job: JobProgress | null;
  /**
   * When the gateway will shut the idle cluster down (ISO 8601), announced ahead; `null` when no
   * cull is due. Any activity, or `POST sparkgate/api/clusters/{id}/keep`, withdraws it.
   */
  cullAt: string | null;
  /** Since when the cluster is idle (ISO 8601), with `cullAt`; `null` otherwise. */
  idleSince: string | null;
}

/** `POST sparkgate/api/clusters` body: a profile and, optionally, a sizing overriding its defaults. */
export interface LaunchRequest {
  profile: string;
  sizing?: Sizing;
}
