import type { KubeConfig, V1Taint } from '@kubernetes/client-node';

/** One node the agent registers and runs pods for. */
export interface NodeSpec {
  name: string;
  /** Capacity = allocatable. Defaults: cpu '8', memory '32Gi', pods 110. */
  cpu?: string;
  memory?: string;
  pods?: number;
  /** Fake `nvidia.com/gpu` devices; > 0 also adds the GPU taint unless `taints` is given. */
  gpus?: number;
  labels?: Record<string, string>;
  /** Default: `nvidia.com/gpu=present:NoSchedule` on GPU nodes, none on CPU nodes. */
  taints?: V1Taint[];
}

/**
 * Host entrypoints for images whose containers have no `command`: image → argv prefix; the
 * container's `args` are appended. Keys match the full reference first, then without digest, then
 * without tag (`sparkgate/executor:1.0` → `sparkgate/executor`).
 */
export type ImageEntrypoints = Record<string, string[]>;

/** Options of {@link NodeAgent}. */
export interface NodeAgentOptions {
  /** Credentials the agent uses (the harness passes the admin kubeconfig). */
  kubeConfig: KubeConfig;
  nodes: NodeSpec[];
  /** Pods' folders (volumes, logs) go under `<dir>/pods`. */
  dir: string;
  /** The real API server, given to pods as KUBERNETES_SERVICE_HOST/PORT. */
  apiServer: { host: string; port: number };
  imageEntrypoints?: ImageEntrypoints;
  /** Host variables every container starts from (PATH, HOME, …) before the pod's own env. */
  baseEnv?: Record<string, string>;
  /** Second octet of the pod network: node i (1-based) gets 127.<podNetwork>.<i>.0/24. */
  podNetwork?: number;
  /** Lease renewal period in ms (default 10 s; node-lifecycle grace is 50 s). */
  leaseRenewMs?: number;
  /**
   * Give GPU pods a writable per-GPU state folder (one file per device id, `FAKE_GPU_STATE_DIR`) that the fake
   * DCGM exporter reads at scrape time (dcgm.ts). Default false.
   */
  gpuStateFiles?: boolean;
  log?: (line: string) => void;
}

/** What the agent knows about one pod it runs; tests use it to find logs and devices. */
export interface PodRecord {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  podIP: string | undefined;
  /** Fake GPU device ids handed to the pod (`NVIDIA_VISIBLE_DEVICES`). */
  gpus: string[];
  /** Folder with `logs/<container>.log` and `volumes/<volume>/`. */
  dir: string;
}
