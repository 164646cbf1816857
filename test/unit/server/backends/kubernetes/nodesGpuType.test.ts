// A GPU pod of a chosen type (issue 18: sizing.*.gpuType) fits only nodes of that
// nvidia.com/gpu.product: a type no node has is refused up front, not left pending forever.
import { describe, expect, it } from '@jest/globals';
import type { Sizing } from '@sparkgate/contract';
import { fitProblem, sizingFitProblem, type NodeShape } from '../../../../../server/src/backends/kubernetes/nodes.js';

const CPU: NodeShape = { name: 'cpu-1', gpus: 0, cores: 8, memoryMiB: 32 * 1024, gpuType: null };
const L4: NodeShape = { name: 'gpu-l4', gpus: 1, cores: 8, memoryMiB: 32 * 1024, gpuType: 'NVIDIA-L4' };
const A100: NodeShape = { name: 'gpu-a100', gpus: 4, cores: 32, memoryMiB: 256 * 1024, gpuType: 'NVIDIA-A100-SXM4-80GB' };
const NODES = [CPU, L4, A100];

describe('nodes fitProblem with a GPU type', () => {
  it("should fit a GPU pod of a type on that type's nodes only", () => {
    expect(fitProblem(NODES, 'executor', { gpus: 1, cores: 4, memoryMiB: 8192, gpuType: 'NVIDIA-L4' })).toBeNull();
    expect(fitProblem(NODES, 'executor', { gpus: 2, cores: 4, memoryMiB: 8192, gpuType: 'NVIDIA-A100-SXM4-80GB' })).toBeNull();
    // An A100 node would hold 2 GPUs; the L4 nodes have 1 each.
    expect(fitProblem(NODES, 'executor', { gpus: 2, cores: 4, memoryMiB: 8192, gpuType: 'NVIDIA-L4' })).toBe(
      'no node can hold the executor: it needs 2 GPUs (the most on a node is 1); make the executor smaller'
    );
  });

  it('should name the type no node has and the types there are', () => {
    expect(fitProblem(NODES, 'executor', { gpus: 1, cores: 1, memoryMiB: 1024, gpuType: 'NVIDIA-H100' })).toBe(
      'no node has NVIDIA-H100 GPUs (nvidia.com/gpu.product): the executor asks for that type, the nodes have NVIDIA-A100-SXM4-80GB, NVIDIA-L4; choose another GPU type'
    );
  });

  it('should ignore the type of a pod without GPUs, and say so as before when no node has GPUs', () => {
    expect(fitProblem(NODES, 'driver', { gpus: 0, cores: 1, memoryMiB: 1024, gpuType: 'NVIDIA-H100' })).toBeNull();
    expect(fitProblem([CPU], 'executor', { gpus: 1, cores: 1, memoryMiB: 1024, gpuType: 'NVIDIA-L4' })).toMatch(/^no node has GPUs: executor asks for 1 nvidia.com\/gpu/);
  });

  it("should check each JVM of a sizing with its own type", () => {
    const sizing: Sizing = {
      driver: { cores: 1, memoryMiB: 2048, gpus: 0 },
      executors: { count: 2, cores: 4, memoryMiB: 8192, gpus: 1, gpuType: 'NVIDIA-H100' }
    };
    expect(sizingFitProblem(NODES, sizing)).toMatch(/^no node has NVIDIA-H100 GPUs/);
    expect(sizingFitProblem(NODES, { ...sizing, executors: { ...sizing.executors, gpuType: 'NVIDIA-L4' } })).toBeNull();
  });
});
