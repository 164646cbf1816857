import { describe, expect, it } from '@jest/globals';
import type { V1Node } from '@kubernetes/client-node';
import {
  cpuCores,
  fitProblem,
  memoryMiB,
  nodeCapacity,
  nodeShape,
  sizingFitProblem,
  type NodeShape
} from '../../../../../server/src/backends/kubernetes/nodes.js';
import { NodeWatch } from '../../../../../server/src/backends/kubernetes/nodeWatch.js';
import { createLogger } from '../../../../../server/src/log.js';

function node(name: string, allocatable: Record<string, string>, extra: { ready?: boolean; cordoned?: boolean; product?: string } = {}): V1Node {
  return {
    metadata: { name, labels: extra.product ? { 'nvidia.com/gpu.product': extra.product } : {} },
    spec: { unschedulable: extra.cordoned ?? false },
    status: { allocatable, conditions: [{ type: 'Ready', status: extra.ready === false ? 'False' : 'True' }] }
  };
}

const CPU_NODE: NodeShape = { name: 'cpu-1', gpus: 0, cores: 8, memoryMiB: 32 * 1024, gpuType: null };
const GPU_NODE: NodeShape = { name: 'gpu-1', gpus: 2, cores: 16, memoryMiB: 64 * 1024, gpuType: 'NVIDIA-A100' };

describe('nodes', () => {
  it('should read allocatable quantities in every unit Kubernetes writes', () => {
    expect(cpuCores('4')).toBe(4);
    expect(cpuCores('3500m')).toBe(3.5);
    expect(cpuCores('lots')).toBe(0);
    expect(memoryMiB('16Gi')).toBe(16384);
    expect(memoryMiB('16777216Ki')).toBe(16384);
    expect(memoryMiB(String(16 * 2 ** 30))).toBe(16384);
    expect(memoryMiB('1G')).toBe(953);
    expect(memoryMiB(undefined)).toBe(0);
  });

  it('should count only Ready, uncordoned nodes, with their GPU model', () => {
    expect(nodeShape(node('gpu-1', { cpu: '16', memory: '64Gi', 'nvidia.com/gpu': '2' }, { product: 'NVIDIA-A100' }))).toEqual(GPU_NODE);
    expect(nodeShape(node('down', { cpu: '16', memory: '64Gi' }, { ready: false }))).toBeNull();
    expect(nodeShape(node('cordoned', { cpu: '16', memory: '64Gi' }, { cordoned: true }))).toBeNull();
    expect(nodeShape(node('plain', { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '0' }, { product: 'ignored' }))?.gpuType).toBeNull();
  });

  it('should sum GPUs by type and name the largest node figures', () => {
    const other: NodeShape = { name: 'gpu-2', gpus: 4, cores: 32, memoryMiB: 128 * 1024, gpuType: null };
    expect(nodeCapacity([CPU_NODE, GPU_NODE, { ...GPU_NODE, name: 'gpu-1b' }, other])).toEqual({
      nodes: 4,
      largest: { gpus: 4, cores: 32, memoryMiB: 128 * 1024 },
      gpuTypes: [
        { type: 'NVIDIA-A100', gpus: 4, nodes: 2, perNode: 2 },
        { type: 'unknown', gpus: 4, nodes: 1, perNode: 4 }
      ]
    });
  });

  it('should refuse a pod no node can hold, naming the limit and by how much', () => {
    expect(fitProblem([CPU_NODE, GPU_NODE], 'executor', { gpus: 2, cores: 4, memoryMiB: 8192 })).toBeNull();
    expect(fitProblem([CPU_NODE, GPU_NODE], 'executor', { gpus: 3, cores: 4, memoryMiB: 8192 })).toBe(
      'no node can hold the executor: it needs 3 GPUs (the most on a node is 2); make the executor smaller'
    );
    expect(fitProblem([CPU_NODE, GPU_NODE], 'driver', { gpus: 0, cores: 24, memoryMiB: 1024 })).toBe(
      'no node can hold the driver: it needs 24 cores (node gpu-1 has 16); make the driver smaller'
    );
    expect(fitProblem([CPU_NODE], 'executor', { gpus: 1, cores: 1, memoryMiB: 1024 })).toMatch(/^no node has GPUs: executor asks for 1 nvidia.com\/gpu/);
    // A GPU pod is compared with GPU nodes only: a big CPU node does not make it fit.
    expect(fitProblem([{ ...CPU_NODE, memoryMiB: 512 * 1024 }, GPU_NODE], 'executor', { gpus: 1, cores: 2, memoryMiB: 100 * 1024 })).toBe(
      'no node can hold the executor: it needs 100 GiB of memory with overhead (node gpu-1 has 64 GiB); make the executor smaller'
    );
    // Nothing known: no verdict (the scheduler will say).
    expect(fitProblem([], 'driver', { gpus: 8, cores: 1000, memoryMiB: 1 })).toBeNull();
  });

  it("should check a sizing's driver and executor pods with their memory overhead", () => {
    const sizing = (executorMiB: number, count = 2) => ({
      driver: { gpus: 0, cores: 1, memoryMiB: 2048 },
      executors: { gpus: 1, cores: 4, memoryMiB: executorMiB, count }
    });
    expect(sizingFitProblem([CPU_NODE, GPU_NODE], sizing(40 * 1024))).toBeNull();
    // 60 GiB heap + 40% overhead = 84 GiB > 64 GiB on the GPU node.
    expect(sizingFitProblem([CPU_NODE, GPU_NODE], sizing(60 * 1024))).toMatch(/executor: it needs 84 GiB of memory with overhead \(node gpu-1 has 64 GiB\)/);
    // No executors: only the driver counts.
    expect(sizingFitProblem([CPU_NODE, GPU_NODE], sizing(60 * 1024, 0))).toBeNull();
  });

  it('should stay empty, and say why once, when the gateway may not read Nodes', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (line: string) => lines.push(line) });
    let informers = 0;
    const watch = new NodeWatch(
      {
        probe: () => Promise.reject(Object.assign(new Error('nodes is forbidden'), { code: 403 })),
        informer: () => {
          informers++;
          throw new Error('not reached');
        }
      },
      logger
    );
    await watch.start();
    expect(watch.shapes()).toBeNull();
    expect(informers).toBe(0);
    expect(lines.filter(l => l.includes('nodes cannot be read'))).toHaveLength(1);
  });

  it('should list schedulable node shapes once the informer runs', async () => {
    const nodes = [node('gpu-1', { cpu: '16', memory: '64Gi', 'nvidia.com/gpu': '2' }, { product: 'NVIDIA-A100' }), node('down', { cpu: '4', memory: '8Gi' }, { ready: false })];
    const watch = new NodeWatch(
      {
        probe: () => Promise.resolve(),
        informer: () => ({ start: () => Promise.resolve(), stop: () => Promise.resolve(), list: () => nodes, on: () => undefined })
      },
      createLogger({ level: 'silent' })
    );
    await watch.start();
    expect(watch.shapes()).toEqual([GPU_NODE]);
    await watch.stop();
  });
});
