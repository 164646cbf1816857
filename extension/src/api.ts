/**
 * The sparkgate gateway API as the extension sees it: REST under `<baseUrl>sparkgate/api/` and the
 * socket.io `/status` namespace under `<baseUrl>sparkgate/socket.io`.
 *
 * What the gateway also speaks (cluster model, sizing, `/status` events; per-cell progress in
 * cells/types.ts) comes from `@sparkgate/contract`, under this extension's `I`-prefixed names;
 * the rest is the extension's view of answers only it reads (`GET api/me`, checked at runtime by
 * validate.ts) and of notebook metadata. Types only (no runtime code), so pure modules and unit
 * tests can import it freely.
 */

import type { ClusterModel, ExecutorSizing, JobProgress, LaunchRequest, Resources, Sizing } from '@sparkgate/contract';

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
export interface ILimits {
  gpus: number | null;
  cores: number | null;
  memoryMiB: number | null;
}

/** A launchable profile: a kernelspec plus default sizing, set by the operator per tenant. */
export interface IProfile {
  id: string;
  displayName: string;
  kernelspec: string;
  /** Whether the kernel starts a SparkSession (otherwise executors do not apply). */
  spark: boolean;
  driver: IDriverSizing;
  executors: IExecutorSizing;
  /** Upper bound on executors for this profile; `null` means none beyond the tenant limits. */
  maxExecutors: number | null;
  /** Warm drivers ready for a launch at this profile's own sizing (absent: a gateway without pools). */
  warm?: number;
}

/** `GET sparkgate/api/me`. */
export interface IMe {
  user: string;
  tenant: string;
  backend: 'local' | 'kubernetes';
  limits: ILimits;
  usage: IResources;
  profiles: IProfile[];
}

/** What a notebook stores under `metadata.sparkgate`: a shape, never identity or secrets. */
export interface ISharedShape {
  profile: string;
  sizing: ISizing;
}
