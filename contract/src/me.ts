/**
 * `GET sparkgate/api/me`: who the caller is, what their tenant may hold and holds now, the
 * profiles they may launch, and what the gateway can tell of the cluster's nodes. The gateway
 * builds it (server/src/api/sparkgate/routes.ts); the extension's panel reads it.
 */

import type { ExecutorSizing, JvmSizing, Resources } from './sizing.js';

/** Resources a tenant may hold at once; `null` means unlimited. */
export interface Limits {
  gpus: number | null;
  cores: number | null;
  memoryMiB: number | null;
}

/** A number a user may pick for one sizing field: within bounds (`null` = no bound of its own), or one of the choices. */
export type NumberOption = { min: number | null; max: number | null } | { choices: number[] };

/** Whether `value` is one `option` allows: within its bounds, or among its choices (the gateway and the panel judge alike). */
export function optionAllows(option: NumberOption, value: number): boolean {
  return 'choices' in option ? option.choices.includes(value) : (option.min === null || value >= option.min) && (option.max === null || value <= option.max);
}

/** A text a user may pick (a GPU type): one of the choices. */
export interface TextOption {
  choices: string[];
}

/**
 * What a user may change at launch (config `profiles.<id>.options`), in the shape of `Sizing`:
 * a field given here may be set within its option, every other field stays the profile's. The
 * gateway refuses anything else with 400, naming the field and its bound.
 */
export interface ProfileOptions {
  driver: { cores?: NumberOption; memoryMiB?: NumberOption; gpus?: NumberOption; gpuType?: TextOption };
  executors: {
    count?: NumberOption;
    min?: NumberOption;
    max?: NumberOption;
    cores?: NumberOption;
    memoryMiB?: NumberOption;
    gpus?: NumberOption;
    gpuType?: TextOption;
  };
}

/** A launchable profile: a kernelspec plus default sizing, set by the operator per tenant. */
export interface Profile {
  id: string;
  displayName: string;
  kernelspec: string;
  /** Whether the kernel starts a SparkSession (otherwise executors do not apply). */
  spark: boolean;
  /** Cores may be fractional (a driver is mostly idle); GPUs and memory are whole. */
  driver: JvmSizing;
  executors: ExecutorSizing;
  /**
   * What a user may change; `null` = every sizing field (as before profiles had options), bounded
   * only by the tenant's limits and the nodes, and no GPU type choice.
   */
  options: ProfileOptions | null;
  /** Upper bound on executors for this profile; `null` means none beyond the tenant limits. */
  maxExecutors: number | null;
  /** What the profile's defaults hold at most (`totalsOf`). */
  totals: Resources;
  /** Warm drivers ready for a launch at this profile's own sizing; absent from gateways without pools. */
  warm?: number;
}

/** Allocatable GPUs of one type on the cluster's schedulable nodes. */
export interface GpuType {
  /** The nodes' `nvidia.com/gpu.product` label ("NVIDIA-A100-SXM4-80GB"), `"unknown"` without it. */
  type: string;
  /** Allocatable GPUs of this type, over all its nodes (not minus what pods hold now). */
  gpus: number;
  /** Schedulable nodes with GPUs of this type. */
  nodes: number;
  /** The most GPUs of this type on one node: what one pod can ask for at most. */
  perNode: number;
}

/** The cluster's schedulable (Ready, not cordoned) nodes, when the gateway may read them. */
export interface NodeCapacity {
  /** Schedulable nodes. */
  nodes: number;
  /**
   * The most any one node offers, per resource (allocatable). A pod bigger than this in any
   * resource fits no node; a GPU pod also needs its cores and memory on a GPU node.
   */
  largest: Resources;
  /** Allocatable GPUs by type, sorted by type. */
  gpuTypes: GpuType[];
}

/** The answer of `GET sparkgate/api/me`. */
export interface Me {
  user: string;
  tenant: string;
  backend: 'local' | 'kubernetes';
  /** The GPUs are fakes (the demo cluster's simulated `nvidia.com/gpu`): config key `simulatedGpus`. */
  simulatedGpus: boolean;
  limits: Limits;
  /** What the tenant's clusters hold now. */
  usage: Resources;
  /** `null` when the gateway cannot see nodes (local backend, or no permission to read Nodes). */
  nodes: NodeCapacity | null;
  profiles: Profile[];
}

/**
 * Memory a driver or executor pod asks of its node beyond the JVM heap (off-heap, Python
 * workers), in MiB: 40% of the heap, at least 512 MiB for a driver, 384 MiB for an executor. The
 * gateway compares heap plus this with the nodes; the panel does the same so it agrees.
 */
export function podOverheadMiB(role: 'driver' | 'executor', heapMiB: number): number {
  return Math.max(role === 'driver' ? 512 : 384, Math.ceil(heapMiB * 0.4));
}

/** A pod's memory beyond the heap: the profile's `memoryOverhead` when it sets one, else {@link podOverheadMiB}. */
export function podMemoryOverheadMiB(role: 'driver' | 'executor', jvm: JvmSizing): number {
  return jvm.memoryOverheadMiB ?? podOverheadMiB(role, jvm.memoryMiB);
}
