/**
 * What the gateway counts (README "Metrics"), as one-line calls the rest of the code makes. The
 * Prometheus implementation is `prometheus.ts`; `NO_METRICS` stands in where nothing is wired,
 * so call sites never branch (CHP `lib/metrics.js` `MockMetrics`).
 */

/** What the metrics read of a kernel (the kernel manager's `Kernel` is one). */
export interface MeteredKernel {
  readonly id: string;
  readonly state: string;
  readonly phase: string | null;
  readonly pooled: boolean;
  readonly owner: { readonly user: string; readonly tenant: string };
  readonly profile: { readonly id: string };
}

/** Which way a relayed message went: `in` from a websocket client to the kernel, `out` from the kernel to a client. */
export type RelayDirection = 'in' | 'out';

/** The four Jupyter channels a websocket carries. */
export type RelayChannel = 'shell' | 'iopub' | 'stdin' | 'control';

/** The calls the gateway makes; every one is cheap and never throws. */
export interface GatewayMetrics {
  /**
   * A launch began (new kernel, restart, or a warm pool's driver): counted by outcome when
   * `launching` settles, and its phases timed from now (`kernelChanged`). `signal` is the
   * launch's abort: a launch that ends aborted without a typed error was cancelled (shut down).
   */
  launchStarted(kernel: MeteredKernel, launching: Promise<unknown>, options: { pooled: boolean; signal: AbortSignal }): void;
  /** A user got a warm pool's driver instead of a launch. */
  launchClaimed(kernel: MeteredKernel): void;
  /** Any change of a kernel (the manager's `changed` event): a launch phase reached is timed. */
  kernelChanged(kernel: MeteredKernel): void;
  /** The kernel left the registry. */
  kernelRemoved(kernelId: string): void;
  /** A kernel websocket opened / closed. */
  websocketOpened(kernel: Pick<MeteredKernel, 'owner'>): void;
  websocketClosed(kernel: Pick<MeteredKernel, 'owner'>): void;
  /** One message relayed on `channel`, `bytes` long as framed on the websocket. */
  relayed(channel: RelayChannel, direction: RelayDirection, bytes: number): void;
  /** The culler stopped an idle kernel. */
  culled(kernel: Pick<MeteredKernel, 'owner'>, reason: 'idle'): void;
  /** The orphan sweep removed `count` objects of `kind` (Pod, Secret, Service, NetworkPolicy, process, directory). */
  reaped(kind: string, count?: number): void;
  /** One Kubernetes API request answered with `code` (an HTTP status, or `error` when none came). */
  kubernetesRequest(verb: string, resource: string, code: string): void;
  /** A watch on `resource` broke and is being re-established. */
  watchRestarted(resource: string): void;
  /** An error answered to a client or caught by the crash guard, counted by its name. */
  error(error: unknown): void;
}

/** Counts nothing: for gateways and tests that wire no metrics. */
export const NO_METRICS: GatewayMetrics = {
  launchStarted: () => undefined,
  launchClaimed: () => undefined,
  kernelChanged: () => undefined,
  kernelRemoved: () => undefined,
  websocketOpened: () => undefined,
  websocketClosed: () => undefined,
  relayed: () => undefined,
  culled: () => undefined,
  reaped: () => undefined,
  kubernetesRequest: () => undefined,
  watchRestarted: () => undefined,
  error: () => undefined
};
