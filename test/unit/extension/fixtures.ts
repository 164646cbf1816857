// Shared test data for the extension's pure modules.
import type { IClusterModel, IProfile } from '../../../extension/src/api.js';

export const GPU_PROFILE: IProfile = {
  id: 'pyspark-gpu',
  displayName: 'PySpark GPU',
  kernelspec: 'pyspark-gpu',
  spark: true,
  driver: { cores: 1, memoryMiB: 2048, gpus: 0 },
  executors: { count: 2, cores: 4, memoryMiB: 8192, gpus: 1 },
  maxExecutors: 8,
  options: null,
  totals: { gpus: 2, cores: 9, memoryMiB: 18432 }
};

export const DYNAMIC_PROFILE: IProfile = {
  id: 'pyspark-dyn',
  displayName: 'PySpark autoscale',
  kernelspec: 'pyspark',
  spark: true,
  driver: { cores: 0.5, memoryMiB: 1024, gpus: 0 },
  executors: { min: 1, max: 4, cores: 2, memoryMiB: 4096, gpus: 0 },
  maxExecutors: null,
  options: null,
  totals: { gpus: 0, cores: 8.5, memoryMiB: 17408 }
};

export const PYTHON_PROFILE: IProfile = {
  id: 'python',
  displayName: 'Python (no Spark)',
  kernelspec: 'python3',
  spark: false,
  driver: { cores: 1, memoryMiB: 1024, gpus: 0 },
  executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 },
  maxExecutors: null,
  options: null,
  totals: { gpus: 0, cores: 1, memoryMiB: 1024 }
};

export function cluster(over: Partial<IClusterModel> = {}): IClusterModel {
  return {
    id: 'a1b2c3',
    kernelName: 'pyspark-gpu--a1b2c3',
    profile: 'pyspark-gpu',
    displayName: 'PySpark GPU · a1b2c3',
    sizing: { driver: GPU_PROFILE.driver, executors: GPU_PROFILE.executors },
    state: 'ready',
    phase: 'spark-ready',
    reason: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    kernelId: 'k-1',
    driver: { state: 'Running', reason: null, gpus: 0 },
    executors: { ready: 2, pending: 0, desired: 2, pendingReason: null, list: [] },
    gpus: { held: 2 },
    sparkUi: 'ui/k-1/',
    job: null,
    cullAt: null,
    idleSince: null,
    ...over
  };
}

/**
 * A profile with options (issue 18): executors' count within 1–8, GPUs 1 or 2 of type L4 or
 * A100, driver memory 2–8 GiB; everything else fixed. Its executors ask a raised memory overhead
 * (RAPIDS' pinned memory), which is the profile's, never the user's.
 */
export const RAPIDS_PROFILE: IProfile = {
  id: 'rapids',
  displayName: 'RAPIDS',
  kernelspec: 'pyspark-rapids',
  spark: true,
  driver: { cores: 1, memoryMiB: 4096, gpus: 0 },
  executors: { count: 2, cores: 4, memoryMiB: 16384, gpus: 1, gpuType: 'NVIDIA-L4', memoryOverheadMiB: 8192 },
  maxExecutors: 8,
  options: {
    driver: { memoryMiB: { min: 2048, max: 8192 } },
    executors: { count: { min: 1, max: 8 }, gpus: { choices: [1, 2] }, gpuType: { choices: ['NVIDIA-L4', 'NVIDIA-A100-80GB'] } }
  },
  totals: { gpus: 2, cores: 9, memoryMiB: 36864 }
};

/** The same profile id at another tenant, with narrower options: up to 4 executors, 1 L4 each, 8 or 16 GiB. */
export const OTHER_TENANT_RAPIDS: IProfile = {
  ...RAPIDS_PROFILE,
  driver: { cores: 2, memoryMiB: 4096, gpus: 0 },
  executors: { count: 1, cores: 4, memoryMiB: 8192, gpus: 1, gpuType: 'NVIDIA-L4' },
  maxExecutors: null,
  options: {
    driver: {},
    executors: { count: { min: 1, max: 4 }, memoryMiB: { choices: [8192, 16384] }, gpus: { choices: [1] }, gpuType: { choices: ['NVIDIA-L4'] } }
  },
  totals: { gpus: 1, cores: 6, memoryMiB: 12288 }
};
