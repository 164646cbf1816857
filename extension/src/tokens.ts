/**
 * What the core sparkgate plugin provides to the others.
 */

import { Token } from '@lumino/coreutils';

import type { ISharedShape } from './api';
import type { SparkgateClient } from './client';
import type { ClusterStore } from './store';

/** The sparkgate services of this JupyterLab: API client, live cluster table, relaunch. */
export interface ISparkgate {
  readonly client: SparkgateClient;
  readonly store: ClusterStore;
  /** Opens the Spark panel with `shape` filled in. */
  relaunch(shape: ISharedShape): Promise<void>;
}

/** The token of {@link ISparkgate}. */
export const ISparkgate = new Token<ISparkgate>('sparkgate-lab:ISparkgate', 'sparkgate API client, live cluster status and the Spark panel.');
