/**
 * The sparkgate commands (palette category "Spark", Kernel and View menu items from
 * schema/plugin.json) and when each applies. Pure: index.ts registers them with JupyterLab.
 */

import type { IClusterModel } from './api';
import type { ITrans } from './trans';
import { isActive } from './status';
import { sparkUiUrl } from './urls';

/** Command ids; the menus in schema/plugin.json name them too. */
export const CommandIDs = {
  /** Opens (activates) the Spark sidebar panel. */
  openPanel: 'sparkgate:open-panel',
  /** Launches a profile at its defaults; args `{ profile }`, default the `defaultProfile` setting. */
  launch: 'sparkgate:launch',
  /** Shuts down the current notebook's cluster, after a confirmation. */
  shutdownCluster: 'sparkgate:shutdown-cluster',
  /** Opens the current notebook's Spark UI in a new browser tab. */
  openSparkUi: 'sparkgate:open-spark-ui'
} as const;

/** Whether the notebook's cluster can be shut down: it exists and is not already failed or dead. */
export function canShutDown(cluster: Pick<IClusterModel, 'state'> | undefined): boolean {
  return !!cluster && isActive(cluster.state);
}

/** Where "Open Spark UI" goes: the live cluster's Spark UI, or `null` (disabled) while it has none. */
export function sparkUiTarget(baseUrl: string, cluster: Pick<IClusterModel, 'state' | 'sparkUi'> | undefined): string | null {
  return cluster && isActive(cluster.state) ? sparkUiUrl(baseUrl, cluster) : null;
}

/** The profile `sparkgate:launch` launches: its `profile` argument, else the `defaultProfile` setting. */
export function launchProfileOf(args: { readonly [key: string]: unknown }, defaultProfile: string | null): string | null {
  return typeof args.profile === 'string' && args.profile !== '' ? args.profile : defaultProfile;
}

/** The label of `sparkgate:launch` for its arguments. */
export function launchLabel(args: { readonly [key: string]: unknown }, trans: ITrans): string {
  return typeof args.profile === 'string' && args.profile !== ''
    ? trans.__("Launch a Spark Cluster ('%1')", args.profile)
    : trans.__('Launch a Spark Cluster (Default Profile)');
}

/**
 * What the notebook commands' enablement depends on, as one string: their menus and palette
 * entries are told only when it changes (the store changes every second while a job runs).
 */
export function enablementKey(baseUrl: string, cluster: Pick<IClusterModel, 'state' | 'sparkUi'> | undefined): string {
  return `${canShutDown(cluster)}|${sparkUiTarget(baseUrl, cluster) ?? ''}`;
}
