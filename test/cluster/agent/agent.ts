import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CoordinationV1Api,
  CoreV1Api,
  ListWatch,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1Pod
} from '@kubernetes/client-node';
import { gpuContainers, parseGpuState, type FakeGpu } from './dcgm.js';
import { DeviceAllocator, IpAllocator } from './devices.js';
import type { KeyReader } from './env.js';
import { MountPoints } from './mountPoints.js';
import { buildNode, nodeResources, registerNode } from './nodes.js';
import { PodWorker } from './podWorker.js';
import type { NodeAgentOptions, PodRecord } from './types.js';
import { claimResolver, type ClaimResolver, type TokenIssuer } from './volumes.js';

const HOST_IP = '127.0.0.1';
const KUBELET_VERSION = 'v1.36.3';

interface NodeState {
  name: string;
  allocatable: Record<string, string>;
  ips: IpAllocator;
  devices: DeviceAllocator;
  informer: ListWatch<V1Pod>;
  stopLease: () => void;
}

const decode = (data: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

/**
 * A node agent for tests ("proc-kubelet"): registers the given nodes, keeps their leases, and runs
 * the pods the scheduler binds to them as host processes on 127.x pod IPs. One pod watch per node
 * (fieldSelector spec.nodeName) drives everything; nothing polls.
 */
export class NodeAgent {
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly nodes = new Map<string, NodeState>();
  private readonly workers = new Map<string, { worker: PodWorker; record: PodRecord }>();
  /** Every pod ever run, by namespace/name (latest uid wins), so logs stay findable after deletion. */
  private readonly known = new Map<string, { worker: PodWorker; record: PodRecord }>();
  private readonly log: (line: string) => void;
  private readonly mountPoints = new MountPoints();
  private stopped = false;
  /** Nodes `loseNode` took away: nothing is written to the API for them any more. */
  private readonly lost = new Set<string>();

  constructor(private readonly options: NodeAgentOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.coordination = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.log = options.log ?? (() => undefined);
  }

  /** Registers every node and starts its pod watch; resolves once the watches are synced. */
  async start(): Promise<void> {
    const net = this.options.podNetwork ?? 0;
    for (const [i, spec] of this.options.nodes.entries()) {
      const prefix = `127.${net}.${i + 1}`;
      const stopLease = await registerNode(
        this.core,
        this.coordination,
        buildNode(spec, `${prefix}.0/24`, HOST_IP, KUBELET_VERSION, new Date()),
        this.options.leaseRenewMs ?? 10_000,
        this.log
      );
      const informer = this.podInformer(spec.name);
      this.nodes.set(spec.name, {
        name: spec.name,
        allocatable: nodeResources(spec),
        ips: new IpAllocator(prefix),
        devices: new DeviceAllocator(spec.name, spec.gpus ?? 0),
        informer,
        stopLease
      });
    }
    await Promise.all([...this.nodes.values()].map((n) => n.informer.start()));
  }

  /** Stops watches and leases and kills every pod process (SIGKILL). Pod objects stay in the API. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const n of this.nodes.values()) {
      n.stopLease();
      await n.informer.stop();
    }
    await Promise.all([...this.workers.values()].map((w) => w.worker.remove()));
    this.workers.clear();
    await this.mountPoints.sweep();
  }

  /**
   * A node lost as when it powers off: its lease is no longer renewed, its pod watch stops and its
   * pods' processes are killed, and nothing more is written to the API for it (no final status, no
   * pod deletion). kube-controller-manager marks it NotReady after its node-monitor grace period.
   */
  async loseNode(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) {
      throw new Error(`no node ${name}`);
    }
    this.lost.add(name);
    node.stopLease();
    await node.informer.stop();
    const gone = [...this.workers.entries()].filter(([, w]) => w.record.node === name);
    for (const [uid] of gone) {
      this.workers.delete(uid);
    }
    await Promise.all(gone.map(([, w]) => w.worker.remove()));
  }

  /** What the agent knows about a pod it runs or ran (undefined if never on one of its nodes). */
  pod(namespace: string, name: string): PodRecord | undefined {
    const entry = this.known.get(`${namespace}/${name}`);
    return entry ? { ...entry.record, podIP: entry.worker.podIP, gpus: [...entry.worker.gpus] } : undefined;
  }

  /** Path of a container's log file (stdout + stderr, appended across restarts). */
  logFile(namespace: string, name: string, container: string): string {
    const rec = this.pod(namespace, name);
    if (!rec) {
      throw new Error(`pod ${namespace}/${name} is not run by this agent`);
    }
    return path.join(rec.dir, 'logs', `${container}.log`);
  }

  /**
   * Every fake GPU of the nodes still up, with the pod and container holding it and what the pod wrote to its
   * state file (read now; a missing or unreadable file is an idle GPU): what the fake DCGM exporter serves.
   */
  async fakeGpus(): Promise<FakeGpu[]> {
    const out: FakeGpu[] = [];
    for (const n of this.nodes.values()) {
      if (this.lost.has(n.name)) {
        continue; // a powered-off node's exporter is gone with it
      }
      for (const [index, uuid] of n.devices.devices.entries()) {
        const uid = n.devices.ownerOf(uuid);
        const entry = uid === undefined ? undefined : this.workers.get(uid);
        if (!entry) {
          out.push({ node: n.name, index, uuid });
          continue;
        }
        const { worker, record } = entry;
        const container = gpuContainers(worker.current, worker.gpus).get(uuid) ?? '';
        const text = await readFile(path.join(worker.gpuStateDir, uuid), 'utf8').catch(() => '');
        out.push({ node: n.name, index, uuid, holder: { namespace: record.namespace, pod: record.name, container }, use: parseGpuState(text) });
      }
    }
    return out;
  }

  private podInformer(node: string): ListWatch<V1Pod> {
    const fieldSelector = `spec.nodeName=${node}`;
    const informer = new ListWatch<V1Pod>(
      '/api/v1/pods',
      new Watch(this.options.kubeConfig),
      () => this.core.listPodForAllNamespaces({ fieldSelector }),
      false,
      undefined,
      fieldSelector
    );
    informer.on('add', (pod) => this.onPod(node, pod));
    informer.on('update', (pod) => this.onPod(node, pod));
    informer.on('delete', (pod) => this.onDelete(pod));
    informer.on('error', (err) => {
      if (this.stopped) {
        return;
      }
      // ListWatch does not restart itself after an error; re-list after a short pause.
      this.log(`agent: pod watch of ${node} failed (${String(err)}); restarting`);
      setTimeout(() => void informer.start().catch(() => undefined), 500).unref();
    });
    return informer;
  }

  private onPod(nodeName: string, pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const node = this.nodes.get(nodeName);
    if (this.stopped || !node || this.lost.has(nodeName)) {
      return;
    }
    let entry = this.workers.get(uid);
    if (!entry) {
      const ns = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      const dir = path.join(this.options.dir, 'pods', `${ns}_${name}_${uid}`);
      const worker = new PodWorker(pod, {
        node: { name: nodeName, hostIP: HOST_IP, allocatable: node.allocatable, ips: node.ips, devices: node.devices },
        dir,
        read: this.read,
        issueToken: this.issueToken,
        resolveClaim: this.resolveClaim,
        patchStatus: async (p, status) => {
          if (this.lost.has(nodeName)) {
            return;
          }
          await this.core.patchNamespacedPodStatus(
            { name: p.metadata?.name ?? '', namespace: p.metadata?.namespace ?? '', body: { status } },
            setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
          );
        },
        deletePod: async (p) => {
          if (this.lost.has(nodeName)) {
            return;
          }
          await this.core
            .deleteNamespacedPod({
              name: p.metadata?.name ?? '',
              namespace: p.metadata?.namespace ?? '',
              body: { gracePeriodSeconds: 0, preconditions: { uid: p.metadata?.uid } }
            })
            .catch((err: { code?: number }) => {
              if (err?.code !== 404 && err?.code !== 409) {
                throw err;
              }
            });
        },
        event: async (p, type, reason, message) => {
          if (this.lost.has(nodeName)) {
            return;
          }
          const now = new Date();
          await this.core.createNamespacedEvent({
            namespace: ns,
            body: {
              metadata: { generateName: `${p.metadata?.name}.` },
              involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: ns, name: p.metadata?.name, uid: p.metadata?.uid },
              type,
              reason,
              message,
              source: { component: 'kubelet', host: nodeName },
              reportingComponent: 'kubelet',
              reportingInstance: nodeName,
              firstTimestamp: now,
              lastTimestamp: now,
              count: 1
            }
          });
        },
        baseEnv: this.options.baseEnv ?? {},
        apiServer: this.options.apiServer,
        imageEntrypoints: this.options.imageEntrypoints ?? {},
        mountPoints: this.mountPoints,
        gpuStateFiles: this.options.gpuStateFiles,
        log: this.log
      });
      entry = { worker, record: { namespace: ns, name, uid, node: nodeName, podIP: undefined, gpus: [], dir } };
      this.workers.set(uid, entry);
      this.known.set(`${ns}/${name}`, entry);
    }
    entry.worker.update(pod);
  }

  private onDelete(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const entry = this.workers.get(uid);
    if (entry) {
      this.workers.delete(uid);
      void entry.worker.remove();
    }
  }

  // Not claimResolver(this.core) here: field initializers run before the constructor sets core.
  private readonly resolveClaim: ClaimResolver = (namespace, claim) => claimResolver(this.core)(namespace, claim);

  private readonly read: KeyReader = async (kind, namespace, name) => {
    try {
      if (kind === 'Secret') {
        const s = await this.core.readNamespacedSecret({ name, namespace });
        return { ...decode(s.data), ...(s.stringData ?? {}) };
      }
      const cm = await this.core.readNamespacedConfigMap({ name, namespace });
      return { ...(cm.data ?? {}), ...decode(cm.binaryData) };
    } catch (err) {
      if ((err as { code?: number }).code === 404) {
        return undefined;
      }
      throw err;
    }
  };

  private readonly issueToken: TokenIssuer = async ({ namespace, serviceAccount, audience, expirationSeconds, pod }) => {
    const res = await this.core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: audience ? [audience] : [],
          expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid }
        }
      }
    });
    const token = res.status?.token;
    if (!token) {
      throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
    }
    return token;
  };
}
