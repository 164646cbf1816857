/**
 * The sparkgate gateway API as the extension sees it: REST under `<baseUrl>sparkgate/api/` and the
 * socket.io `/status` namespace under `<baseUrl>sparkgate/socket.io`.
 *
 * What the gateway speaks (cluster model, sizing, `/status` events, `GET api/me`; per-cell
 * progress in cells/types.ts) comes from `@sparkgate/contract`, under this extension's
 * `I`-prefixed names, checked at runtime by validate.ts; the rest is notebook metadata. Types
 * only (no runtime code), so pure modules and unit tests can import it freely.
 */

import type {
  ClusterModel,
  ExecutorSizing,
  GpuType,
  JobProgress,
  LaunchRequest,
  Limits,
  Me,
  NodeCapacity,
  Profile,
  Resources,
  Sizing
} from '@sparkgate/contract';

export type { ClientToServerEvents, ClusterState, LaunchPhase, ServerToClientEvents } from '@sparkgate/contract';

/** Resources held or asked: GPUs, cores, memory in MiB. */
export type IResources = Resources;

/** Driver shape: cores may be fractional (a driver is mostly idle), GPUs and memory are whole. */
export type IDriverSizing = Resources;

/** Executor shape: either a fixed `count`, or `min` + `max` for Spark dynamic allocation. */
export type IExecutorSizing = ExecutorSizing;

/** The shape of a cluster: what the panel sends on launch and what notebooks carry. */
export type ISizing = Sizing;

/** The running Spark job, if any. */
export type IJobProgress = JobProgress;

/** One cluster (= one kernel: the Spark driver, plus its executors). */
export type IClusterModel = ClusterModel;

/** `POST sparkgate/api/clusters` body. */
export type ILaunchRequest = LaunchRequest;

/** Resources a tenant may hold at once; `null` means unlimited. */
export type ILimits = Limits;

/** A launchable profile: a kernelspec plus default sizing, set by the operator per tenant. */
export type IProfile = Profile;

/** Allocatable GPUs of one type on the cluster's schedulable nodes. */
export type IGpuType = GpuType;

/** The cluster's schedulable nodes (largest node, GPUs by type), when the gateway may read them. */
export type INodeCapacity = NodeCapacity;

/** `GET sparkgate/api/me`. */
export type IMe = Me;

/** What a notebook stores under `metadata.sparkgate`: a shape, never identity or secrets. */
export interface ISharedShape {
  profile: string;
  sizing: ISizing;
}
