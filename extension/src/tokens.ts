/**
 * What the core sparkgate plugin provides to the others.
 */

import type { NotebookPanel } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Token } from '@lumino/coreutils';

import type { ISharedShape } from './api';
import type { SparkgateClient } from './client';
import type { ISparkgateSettings } from './settings';
import type { ClusterStore } from './store';

/** The sparkgate services of this JupyterLab: API client, live cluster table, settings, relaunch. */
export interface ISparkgate {
  readonly client: SparkgateClient;
  readonly store: ClusterStore;
  /** Strings of domain `sparkgate_lab`. */
  readonly trans: TranslationBundle;
  /** The user settings (schema/plugin.json), current: read them on use. Defaults until the registry answers. */
  readonly settings: Readonly<ISparkgateSettings>;
  /**
   * Opens the Spark panel with `shape` filled in; with `target`, its Launch attaches that
   * notebook to the new cluster instead of opening a new notebook.
   */
  relaunch(shape: ISharedShape, target?: NotebookPanel): Promise<void>;
}

/** The token of {@link ISparkgate}. */
export const ISparkgate = new Token<ISparkgate>('sparkgate-lab:ISparkgate', 'sparkgate API client, live cluster status and the Spark panel.');
