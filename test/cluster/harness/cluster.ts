import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ensureK8sBinary } from '../k8sbin/build.mjs';
import { NodeAgent } from '../agent/agent.js';
import { startDcgmExporter, type DcgmExporter } from '../agent/dcgmExporter.js';
import type { ImageEntrypoints, NodeSpec } from '../agent/types.js';
import { startControlPlane, type ControlPlane } from './controlPlane.js';
import { createPki } from './pki.js';
import { startStorageProvisioner, type StorageProvisioner } from './storage.js';
import { waitFor, waitForNodeReady } from './wait.js';

/** Options of {@link startCluster}; every field has a default. */
export interface ClusterOptions {
  /** Nodes the agent registers. Default: one CPU node `cpu-1` and one GPU node `gpu-1` with 2 fake GPUs. */
  nodes?: NodeSpec[];
  /** Image → host entrypoint for containers without `command` (e.g. Spark executors: `args: ["executor"]`). */
  imageEntrypoints?: ImageEntrypoints;
  /** Host variables every container starts from. Default: PATH, HOME, LANG, JAVA_HOME, SPARK_HOME of this process when set. */
  baseEnv?: Record<string, string>;
  /** Bound on each component's start, in ms. Default 120 s (the API server's first start on 2 busy cores is slow). */
  timeoutMs?: number;
  /** Progress lines. Default: silent. */
  log?: (line: string) => void;
  /** Prebuilt k8sbin binary. Default: the cached build, built now if missing. */
  binary?: string;
  /** Node lease renewal period in ms. Default 10 s (node-lifecycle's grace period is 50 s). */
  leaseRenewMs?: number;
  /** kube-controller-manager's node-monitor grace period in seconds (a lost node goes NotReady after it). Default 50 s. */
  nodeMonitorGracePeriodSeconds?: number;
  /** Extra kube-apiserver flags (the bench's audit log: `--audit-policy-file`, `--audit-log-path`). Default none. */
  apiServerArgs?: string[];
  /**
   * Serve the fake GPUs as a DCGM exporter on 127.0.0.1 (`cluster.gpuExporterUrl` + `/metrics`), labelled with the
   * pods holding them, and give GPU pods writable per-GPU state files (`$FAKE_GPU_STATE_DIR/<device id>`) whose
   * `util=` / `fb_used_mib=` the exporter serves (agent/dcgm.ts). Default false.
   */
  gpuExporter?: boolean;
  /**
   * Dynamic provisioning (harness/storage.ts): a default StorageClass `sparkgate-hostpath`
   * (WaitForFirstConsumer) whose claims get hostPath PersistentVolumes under `<dir>/storage/`, which the
   * node agent bind-mounts for persistentVolumeClaim volumes. Default false: claims stay Pending.
   */
  storage?: boolean;
}

/** A running test cluster. `stop()` leaves no process and no files behind. */
export interface Cluster {
  /** https://127.0.0.1:<port> */
  server: string;
  apiPort: number;
  /** Admin (system:masters) kubeconfig file and a KubeConfig loaded from it. */
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  caFile: string;
  /** The temp folder holding data, certificates, logs (`logs/<component>.log`) and pods (`pods/`). */
  dir: string;
  agent: NodeAgent;
  nodes: NodeSpec[];
  /** etcd's client URL (tests change what the API server would not, e.g. during its outage). */
  etcdUrl: string;
  /** The fake DCGM exporter (only with `gpuExporter`): `http://127.0.0.1:<port>`, series at `/metrics`. */
  gpuExporterUrl?: string;
  /** The same as a Prometheus scrape target, `127.0.0.1:<port>`. */
  gpuExporterTarget?: string;
  /** The storage provisioner (only with `storage`): `hostPath(ns, claim)` is a bound claim's host folder. */
  storage?: StorageProvisioner;
  /** Stops kube-apiserver alone; `startApiServer()` starts it again on the same port. */
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
}

/** The default node set: one CPU node and one GPU node with two fake devices. */
export const DEFAULT_NODES: NodeSpec[] = [
  { name: 'cpu-1', cpu: '8', memory: '32Gi' },
  { name: 'gpu-1', cpu: '8', memory: '32Gi', gpus: 2 }
];

function hostEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'JAVA_HOME', 'SPARK_HOME', 'TMPDIR'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])));
}

/**
 * Starts a real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) on
 * 127.0.0.1 with RBAC and service-account tokens, plus a {@link NodeAgent} for the given nodes,
 * and resolves once the nodes are Ready and the `default` ServiceAccount exists.
 *
 * @example
 * const cluster = await startCluster({ nodes: [{ name: 'cpu-1' }, { name: 'gpu-1', gpus: 2 }] });
 * try { … cluster.kubeConfig … } finally { await cluster.stop(); }
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const nodes = options.nodes ?? DEFAULT_NODES;
  const binary = options.binary ?? (await ensureK8sBinary({ log }));
  const dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-cluster-'));
  let cp: ControlPlane | undefined;
  let agent: NodeAgent | undefined;
  let exporter: DcgmExporter | undefined;
  let storage: StorageProvisioner | undefined;
  const stop = async (): Promise<void> => {
    await exporter?.stop();
    await storage?.stop();
    await agent?.stop();
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const pki = await createPki(dir);
    cp = await startControlPlane({ binary, dir, pki, timeoutMs, log, nodeMonitorGracePeriodSeconds: options.nodeMonitorGracePeriodSeconds, apiServerArgs: options.apiServerArgs });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(cp.adminKubeconfig);
    agent = new NodeAgent({
      kubeConfig,
      nodes,
      dir,
      apiServer: { host: '127.0.0.1', port: cp.apiPort },
      imageEntrypoints: options.imageEntrypoints,
      baseEnv: options.baseEnv ?? hostEnv(),
      // A random second octet keeps two clusters on one machine (parallel CI jobs) off each other's pod IPs.
      podNetwork: 16 + Math.floor(Math.random() * 224),
      leaseRenewMs: options.leaseRenewMs,
      gpuStateFiles: options.gpuExporter === true,
      log
    });
    log('cluster: registering nodes');
    await agent.start();
    await Promise.all(nodes.map((n) => waitForNodeReady(kubeConfig, n.name, timeoutMs)));
    // Pods need the default ServiceAccount (admission rejects them before the controller made it).
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const fieldSelector = 'metadata.name=default';
    await waitFor({
      kubeConfig,
      path: '/api/v1/namespaces/default/serviceaccounts',
      list: () => core.listNamespacedServiceAccount({ namespace: 'default', fieldSelector }),
      fieldSelector,
      until: (sa) => sa !== undefined,
      timeoutMs,
      what: 'the default ServiceAccount (kube-controller-manager serviceaccount controller)'
    });
    if (options.gpuExporter) {
      const running = agent;
      exporter = await startDcgmExporter(() => running.fakeGpus());
      log(`cluster: fake DCGM exporter at ${exporter.url}/metrics`);
    }
    if (options.storage) {
      storage = await startStorageProvisioner({ kubeConfig, dir, log });
      log('cluster: storage provisioner for StorageClass sparkgate-hostpath');
    }
    log(`cluster: ready at ${cp.server}`);
    const plane = cp;
    return {
      server: cp.server,
      apiPort: cp.apiPort,
      kubeconfigPath: cp.adminKubeconfig,
      kubeConfig,
      caFile: pki.caCert,
      dir,
      agent,
      nodes,
      etcdUrl: cp.etcdUrl,
      ...(exporter ? { gpuExporterUrl: exporter.url, gpuExporterTarget: exporter.target } : {}),
      ...(storage ? { storage } : {}),
      stopApiServer: () => plane.stopApiServer(),
      startApiServer: () => plane.startApiServer(),
      stop
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
