import { PatchStrategy, setHeaderOptions, V1MicroTime, type CoordinationV1Api, type CoreV1Api, type V1Node, type V1Taint } from '@kubernetes/client-node';
import type { NodeSpec } from './types.js';

/** Conventional taint of GPU nodes; GPU pods carry the matching toleration. */
export const GPU_TAINT: V1Taint = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' };

const LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_SECONDS = 40;

/** Capacity (= allocatable) of a node spec. */
export function nodeResources(spec: NodeSpec): Record<string, string> {
  const r: Record<string, string> = {
    cpu: spec.cpu ?? '8',
    memory: spec.memory ?? '32Gi',
    pods: String(spec.pods ?? 110),
    'ephemeral-storage': '100Gi'
  };
  if ((spec.gpus ?? 0) > 0) {
    r['nvidia.com/gpu'] = String(spec.gpus);
  }
  return r;
}

/** The Node object the agent registers (pure). The pod CIDR documents the node's 127.x pod range. */
export function buildNode(spec: NodeSpec, podCidr: string, hostIP: string, version: string, now: Date): V1Node {
  const gpu = (spec.gpus ?? 0) > 0;
  const resources = nodeResources(spec);
  const t = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const cond = (type: string, status: string, reason: string) => ({ type, status, reason, lastHeartbeatTime: t, lastTransitionTime: t });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        ...(gpu ? { 'nvidia.com/gpu.present': 'true' } : {}),
        ...spec.labels
      }
    },
    spec: { podCIDR: podCidr, podCIDRs: [podCidr], taints: spec.taints ?? (gpu ? [GPU_TAINT] : []) },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID'),
        cond('Ready', 'True', 'KubeletReady')
      ],
      addresses: [
        { type: 'InternalIP', address: hostIP },
        { type: 'Hostname', address: spec.name }
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: '',
        containerRuntimeVersion: 'sparkgate-proc://0.1.0',
        kernelVersion: '',
        kubeProxyVersion: '',
        kubeletVersion: version,
        machineID: '',
        operatingSystem: 'linux',
        osImage: 'host processes',
        systemUUID: ''
      }
    }
  } as unknown as V1Node;
}

/**
 * Registers a node (create, then a status write, since create may drop status) and keeps its
 * Lease renewed so node-lifecycle keeps it Ready. Returns a function that stops renewing.
 */
export async function registerNode(
  core: CoreV1Api,
  coordination: CoordinationV1Api,
  node: V1Node,
  renewMs: number,
  log: (line: string) => void
): Promise<() => void> {
  const name = node.metadata?.name ?? '';
  const created = await core.createNode({ body: { ...node, status: undefined } as V1Node });
  await core.patchNodeStatus(
    { name, body: { status: node.status } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch)
  );
  await coordination.createNamespacedLease({
    namespace: LEASE_NAMESPACE,
    body: {
      metadata: { name, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: created.metadata?.uid ?? '' }] },
      spec: { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime: new V1MicroTime() }
    }
  });
  const timer = setInterval(() => {
    coordination
      .patchNamespacedLease(
        { name, namespace: LEASE_NAMESPACE, body: { spec: { renewTime: new V1MicroTime() } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch)
      )
      .catch((err: unknown) => log(`agent: renewing lease of ${name}: ${String(err)}`));
  }, renewMs);
  timer.unref();
  return () => clearInterval(timer);
}
