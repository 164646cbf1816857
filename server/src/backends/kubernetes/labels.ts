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
  stopped: 'sparkgate.io/stopped-by-gateway',
  /**
   * `warm` (`POOL_WARM`) on a pool's driver that belongs to nobody yet (issue 15): it has no `user`,
   * so no gateway adopts it as anyone's kernel; its claim sets the owner's annotations and removes
   * this one in the same patch.
   */
  pool: 'sparkgate.io/pool',
  /**
   * Until when the gateway that started an unclaimed pool driver keeps it (ISO time, renewed by
   * that gateway: poolLease.ts). Only that gateway knows the pod; once the time has passed it is
   * gone, and any replica's orphan sweep removes the pod.
   */
  poolUntil: 'sparkgate.io/pool-until'
} as const;

/** The value of `ANNOTATIONS.pool` on an unclaimed warm pool driver. */
export const POOL_WARM = 'warm';

/** Who a pool driver's Spark app is named after (`spark.app.name`): its user is not known at start. */
export const POOL_SPARK_USER = 'pool';

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
