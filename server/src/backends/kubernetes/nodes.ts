/**
 * What the gateway can tell about the cluster's nodes when it may read them (a ClusterRole to
 * list and watch Nodes; without one it knows only its tenants' quotas): the largest pod a node can
 * hold and the GPUs there are, by type. A launch whose driver or executor no node could ever hold
 * (3 GPUs per executor where nodes have 2) is refused up front, naming the limit, instead of
 * waiting forever as an unschedulable pod.
 */
import type { V1Node } from '@kubernetes/client-node';
import { maxExecutors, podMemoryOverheadMiB, type Resources, type Sizing } from '@sparkgate/contract';
import type { NodeCapacity } from '../types.js';

export type { NodeCapacity };

/** Label the NVIDIA GPU feature discovery puts on GPU nodes ("NVIDIA-A100-SXM4-80GB"). */
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';

/** One schedulable node's allocatable resources. */
export interface NodeShape extends Resources {
  name: string;
  /** Its GPU model (the `nvidia.com/gpu.product` label), null without GPUs or label. */
  gpuType: string | null;
}

/** Pure: a node's allocatable shape, or null when nothing can be scheduled on it (not Ready, cordoned). */
export function nodeShape(node: V1Node): NodeShape | null {
  const ready = node.status?.conditions?.find(c => c.type === 'Ready')?.status === 'True';
  if (!ready || node.spec?.unschedulable) {
    return null;
  }
  const allocatable = node.status?.allocatable ?? {};
  const gpus = Math.floor(Number(allocatable['nvidia.com/gpu'] ?? 0) || 0);
  return {
    name: node.metadata?.name ?? '',
    gpus,
    cores: cpuCores(allocatable.cpu),
    memoryMiB: memoryMiB(allocatable.memory),
    gpuType: gpus > 0 ? (node.metadata?.labels?.[GPU_PRODUCT_LABEL] ?? null) : null
  };
}

/** Pure: the summary of schedulable nodes. */
export function nodeCapacity(shapes: readonly NodeShape[]): NodeCapacity {
  const largest: Resources = { gpus: 0, cores: 0, memoryMiB: 0 };
  const types = new Map<string, { gpus: number; nodes: number; perNode: number }>();
  for (const s of shapes) {
    largest.gpus = Math.max(largest.gpus, s.gpus);
    largest.cores = Math.max(largest.cores, s.cores);
    largest.memoryMiB = Math.max(largest.memoryMiB, s.memoryMiB);
    if (s.gpus > 0) {
      const t = types.get(s.gpuType ?? 'unknown') ?? { gpus: 0, nodes: 0, perNode: 0 };
      types.set(s.gpuType ?? 'unknown', { gpus: t.gpus + s.gpus, nodes: t.nodes + 1, perNode: Math.max(t.perNode, s.gpus) });
    }
  }
  return {
    nodes: shapes.length,
    largest,
    gpuTypes: [...types].map(([type, t]) => ({ type, ...t })).sort((a, b) => a.type.localeCompare(b.type))
  };
}

/**
 * Pure: why no schedulable node could ever hold a pod asking `pod` (its requests: heap plus
 * overhead), or null when one could. Only allocatable is compared — what other pods use now is
 * the scheduler's to say while the pod waits. GPU pods are compared with GPU nodes only.
 */
export function fitProblem(shapes: readonly NodeShape[], what: string, pod: Resources & { gpuType?: string | undefined }): string | null {
  // A GPU pod of a type selects that type's nodes only (objects.ts puts the label in its nodeSelector).
  const gpuType = pod.gpus > 0 ? pod.gpuType : undefined;
  const typed = gpuType === undefined ? shapes : shapes.filter(s => s.gpuType === gpuType);
  if (shapes.length === 0 || typed.some(s => holds(s, pod))) {
    return null;
  }
  const candidates = pod.gpus > 0 ? typed.filter(s => s.gpus > 0) : shapes;
  if (candidates.length === 0 && gpuType !== undefined && shapes.some(s => s.gpus > 0)) {
    const types = [...new Set(shapes.filter(s => s.gpus > 0).map(s => s.gpuType ?? 'unknown'))].sort();
    return `no node has ${gpuType} GPUs (${GPU_PRODUCT_LABEL}): the ${what} asks for that type, the nodes have ${types.join(', ')}; choose another GPU type`;
  }
  if (candidates.length === 0) {
    return `no node has GPUs: ${what} asks for ${pod.gpus} nvidia.com/gpu; ask for 0 GPUs or ask your platform team for GPU nodes`;
  }
  const best = [...candidates].sort((a, b) => score(b, pod) - score(a, pod))[0]!;
  const short: string[] = [];
  if (pod.gpus > best.gpus) {
    short.push(`${pod.gpus} GPUs (the most on a node is ${Math.max(...candidates.map(s => s.gpus))})`);
  }
  if (pod.cores > best.cores) {
    short.push(`${pod.cores} cores (node ${best.name} has ${best.cores})`);
  }
  if (pod.memoryMiB > best.memoryMiB) {
    short.push(`${gib(pod.memoryMiB)} GiB of memory with overhead (node ${best.name} has ${gib(best.memoryMiB)} GiB)`);
  }
  return `no node can hold the ${what}: it needs ${short.join(', ')}; make the ${what} smaller`;
}

function holds(s: NodeShape, pod: Resources): boolean {
  return s.gpus >= pod.gpus && s.cores >= pod.cores && s.memoryMiB >= pod.memoryMiB;
}

/** How close a node comes to holding the pod (resources it satisfies, then headroom): the one to name. */
function score(s: NodeShape, pod: Resources): number {
  const ok = Number(s.gpus >= pod.gpus) + Number(s.cores >= pod.cores) + Number(s.memoryMiB >= pod.memoryMiB);
  return ok * 1e6 + s.gpus * 1e4 + s.cores * 10 + s.memoryMiB / 1e4;
}

function gib(mib: number): string {
  return (Math.round((mib / 1024) * 10) / 10).toString();
}

/** A Kubernetes CPU quantity ("4", "3500m") in cores; 0 when unreadable. */
export function cpuCores(text: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec((text ?? '').trim());
  if (!m) {
    return 0;
  }
  return m[2] === 'm' ? Number(m[1]) / 1000 : Number(m[1]);
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes memory quantity ("16Gi", "16777216Ki", "17179869184", "16G") in whole MiB; 0 when unreadable. */
export function memoryMiB(text: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec((text ?? '').trim());
  if (!m) {
    return 0;
  }
  const unit = m[2] ?? '';
  const bytes = Number(m[1]) * (BINARY[unit] ?? DECIMAL[unit] ?? 1);
  return Math.floor(bytes / 2 ** 20);
}

/**
 * Pure: why no node could hold this sizing's driver or one of its executors (each pod's requests:
 * heap plus the overhead objects.ts and kubernetesConf.ts add; a GPU pod of a type on that type's nodes), or null.
 */
export function sizingFitProblem(shapes: readonly NodeShape[], sizing: Sizing): string | null {
  const d = sizing.driver;
  const driver = fitProblem(shapes, 'driver', { gpus: d.gpus, cores: d.cores, memoryMiB: d.memoryMiB + podMemoryOverheadMiB('driver', d), gpuType: d.gpuType });
  if (driver || maxExecutors(sizing) === 0) {
    return driver;
  }
  const e = sizing.executors;
  return fitProblem(shapes, 'executor', { gpus: e.gpus, cores: e.cores, memoryMiB: e.memoryMiB + podMemoryOverheadMiB('executor', e), gpuType: e.gpuType });
}
