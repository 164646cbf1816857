import { describe, expect, it } from '@jest/globals';
import { clusterModel, executorList, MAX_EXECUTOR_ROWS } from '../../../../../server/src/api/sparkgate/model.js';
import type { ClusterStatus, ExecutorPod } from '../../../../../server/src/backends/types.js';
import type { Kernel } from '../../../../../server/src/kernels/types.js';
import type { SparkExecutorInfo } from '../../../../../server/src/spark/executorInfo.js';

const pod = (over: Partial<ExecutorPod>): ExecutorPod => ({
  name: 'k-exec-1',
  node: 'gpu-1',
  state: 'running',
  reason: null,
  cores: 2,
  gpus: 1,
  podIP: '10.0.0.1',
  execId: '1',
  ...over
});

const spark = (over: Partial<SparkExecutorInfo>): SparkExecutorInfo => ({
  id: '1',
  hostPort: '10.0.0.1:40000',
  isActive: true,
  cores: 4,
  gpuAddresses: [],
  activeTasks: 0,
  completedTasks: 0,
  failedTasks: 0,
  ...over
});

const DRIVER = spark({ id: 'driver', hostPort: 'sg-driver-svc:7079', cores: 0 });

describe('executorList', () => {
  it("should merge each pod with Spark's executor of its exec id: GPU addresses and tasks from Spark, the pending one with the scheduler's reason", () => {
    const rows = executorList(
      [
        pod({ name: 'k-exec-2', node: null, state: 'pending', reason: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.', podIP: null, execId: '2' }),
        pod({ name: 'k-exec-1', execId: '1', podIP: '10.0.0.1' })
      ],
      [DRIVER, spark({ id: '1', gpuAddresses: ['0'], activeTasks: 3, completedTasks: 40, failedTasks: 1 })]
    );
    expect(rows).toEqual([
      { id: '1', pod: 'k-exec-1', node: 'gpu-1', state: 'running', reason: null, cores: 4, gpus: 1, gpuAddresses: ['0'], tasks: { active: 3, completed: 40, failed: 1 } },
      {
        id: null,
        pod: 'k-exec-2',
        node: null,
        state: 'pending',
        reason: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.',
        cores: 2,
        gpus: 1,
        gpuAddresses: [],
        tasks: null
      }
    ]);
  });

  it('should match by pod IP when a pod has no exec id label, and not reuse a Spark executor for two pods', () => {
    const rows = executorList(
      [pod({ name: 'a', execId: null, podIP: '10.0.0.9' }), pod({ name: 'b', execId: null, podIP: '10.0.0.9', state: 'ended', reason: 'OOMKilled (exit code 137)' })],
      [spark({ id: '7', hostPort: '10.0.0.9:35000', gpuAddresses: ['1'], completedTasks: 5 })]
    );
    expect(rows.map(r => [r.pod, r.id, r.state, r.gpuAddresses, r.tasks?.completed ?? null])).toEqual([
      ['a', '7', 'running', ['1'], 5],
      ['b', null, 'ended', [], null]
    ]);
    expect(rows[1]?.reason).toBe('OOMKilled (exit code 137)');
  });

  it('should order running, then pending, then ended, by executor id in number order then pod name', () => {
    const rows = executorList(
      [
        pod({ name: 'x-exec-12', state: 'ended', execId: '12' }),
        pod({ name: 'x-exec-11', state: 'pending', execId: '11', podIP: null }),
        pod({ name: 'x-exec-9', state: 'pending', execId: '9', podIP: null }),
        pod({ name: 'x-exec-10', execId: '10', podIP: '10.0.0.10' }),
        pod({ name: 'x-exec-2', execId: '2', podIP: '10.0.0.2' })
      ],
      [spark({ id: '10', hostPort: '10.0.0.10:1' }), spark({ id: '2', hostPort: '10.0.0.2:1' })]
    );
    expect(rows.map(r => r.pod)).toEqual(['x-exec-2', 'x-exec-10', 'x-exec-9', 'x-exec-11', 'x-exec-12']);
  });

  it("should keep Spark's active executors the pod watch has not shown yet, and drop its dead ones", () => {
    const rows = executorList([], [DRIVER, spark({ id: '3', hostPort: '10.0.0.3:1' }), spark({ id: '4', isActive: false })]);
    expect(rows).toEqual([{ id: '3', pod: null, node: '10.0.0.3', state: 'running', reason: null, cores: 4, gpus: 0, gpuAddresses: [], tasks: { active: 0, completed: 0, failed: 0 } }]);
  });

  it("should show a local master's driver as the one executor, with its tasks and GPU addresses, and no driver beside real executors", () => {
    const local = spark({ id: 'driver', hostPort: '127.0.0.1:41000', cores: 8, gpuAddresses: ['0'], activeTasks: 8, completedTasks: 100 });
    expect(executorList(null, [local])).toEqual([
      { id: 'driver', pod: null, node: '127.0.0.1', state: 'running', reason: null, cores: 8, gpus: 1, gpuAddresses: ['0'], tasks: { active: 8, completed: 100, failed: 0 } }
    ]);
    expect(executorList(null, [local, spark({ id: '1' })]).map(r => r.id)).toEqual(['1']);
    // A Kubernetes master's driver runs no tasks (0 cores): with no executor pods there is no row.
    expect(executorList([], [DRIVER])).toEqual([]);
    expect(executorList(null, null)).toEqual([]);
  });

  it(`should give at most ${MAX_EXECUTOR_ROWS} rows`, () => {
    const pods = Array.from({ length: MAX_EXECUTOR_ROWS + 50 }, (_, i) => pod({ name: `x-exec-${i}`, execId: String(i), podIP: null, state: i < 10 ? 'running' : 'pending' }));
    const rows = executorList(pods, []);
    expect(rows).toHaveLength(MAX_EXECUTOR_ROWS);
    expect(rows.slice(0, 10).every(r => r.state === 'running')).toBe(true);
  });
});

describe('clusterModel executors', () => {
  const kernel = (status: ClusterStatus | null, sparkExecutors: SparkExecutorInfo[] | null): Kernel =>
    ({
      id: 'k1',
      name: 'pyspark-gpu--k1',
      profile: { id: 'pyspark-gpu', displayName: 'PySpark GPU', spark: true, sizing: { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 2, cores: 2, memoryMiB: 2048, gpus: 1 } } },
      sizing: { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 2, cores: 2, memoryMiB: 2048, gpus: 1 } },
      state: 'idle',
      reason: null,
      phase: 'spark-ready',
      createdAt: new Date('2026-12-03T00:00:00Z'),
      launched: { sparkUi: '10.0.0.5:4040', status: () => status },
      job: null,
      sparkExecutors,
      cullNotice: null
    }) as unknown as Kernel;

  it("should list the backend's executor pods merged with Spark's executors beside the counts", () => {
    const status: ClusterStatus = {
      executors: {
        ready: 1,
        pending: 1,
        pendingReason: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.',
        pods: [pod({ name: 'k1-exec-1' }), pod({ name: 'k1-exec-2', execId: '2', node: null, podIP: null, state: 'pending', reason: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.' })]
      },
      gpus: 1
    };
    const model = clusterModel(kernel(status, [DRIVER, spark({ id: '1', gpuAddresses: ['0'], activeTasks: 2 })]), null);
    expect(model.executors).toMatchObject({ ready: 1, pending: 1, desired: 2, pendingReason: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.' });
    expect(model.executors.list.map(r => [r.pod, r.node, r.state, r.reason, r.gpuAddresses, r.tasks?.active ?? null])).toEqual([
      ['k1-exec-1', 'gpu-1', 'running', null, ['0'], 2],
      ['k1-exec-2', null, 'pending', '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.', [], null]
    ]);
  });

  it("should list Spark's executors where the backend has no pods (local)", () => {
    const model = clusterModel(kernel(null, [spark({ id: 'driver', hostPort: 'localhost:4100', cores: 4, completedTasks: 9 })]), null);
    expect(model.executors.list.map(r => [r.id, r.pod, r.state, r.cores, r.tasks])).toEqual([['driver', null, 'running', 4, { active: 0, completed: 9, failed: 0 }]]);
  });
});
