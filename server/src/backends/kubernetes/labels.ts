/**
 * The vocabulary sparkgate writes on Kubernetes objects and reads back: `objects.ts` encodes a
 * kernel with it, `codec.ts` decodes it, `podWatch.ts` selects by it. The gateway's table of
 * kernels lives in these labels, annotations and Secret keys, so they are one list.
 */

/** Labels of everything sparkgate creates. */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  kernelId: 'sparkgate.io/kernel-id'
} as const;

/** The value of `LABELS.name` and `LABELS.managedBy` on sparkgate's objects. */
export const MANAGER = 'sparkgate';

/** What `LABELS.component` says an object is. */
export type Component = 'driver' | 'executor' | 'kernel';

/** Annotations of a driver pod: who owns the kernel and its shape (never the key). */
export const ANNOTATIONS = {
  user: 'sparkgate.io/user',
  tenant: 'sparkgate.io/tenant',
  profile: 'sparkgate.io/profile',
  kernelName: 'sparkgate.io/kernel-name',
  sizing: 'sparkgate.io/sizing',
  /** The kernel's last user activity (ISO time), written by the gateways that serve it (culling). */
  lastActivity: 'sparkgate.io/last-activity',
  /** Until when some gateway has websocket clients of the kernel (ISO time; presence.ts). */
  connectedUntil: 'sparkgate.io/connected-until',
  /** Set by a gateway just before it deletes the pod on purpose: `removed`, or a cull's reason. */
  stopped: 'sparkgate.io/stopped-by-gateway'
} as const;

/** The value of `ANNOTATIONS.stopped` for a kernel shut down or restarted (not culled). */
export const STOPPED_REMOVED = 'removed';

/** Files of a kernel's Secret (mounted into the driver at `KERNEL_FILES_DIR`). */
export const SECRET_FILES = {
  connection: 'connection.json',
  sparkConf: 'spark-conf.json',
  executorTemplate: 'executor-template.json',
  /** Spark's RPC secret; the only key executors mount (at `EXECUTOR_SECRET_DIR`). */
  sparkAuth: 'spark-auth'
} as const;

/** The driver argument that turns Spark on (followed by the Spark conf file). */
export const SPARK_CONF_ARG = '--spark-conf';

/** Selects every pod sparkgate manages (drivers and the executors Spark creates for them). */
export const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGER}`;
