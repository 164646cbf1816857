/**
 * Per-cell Spark progress: under each cell that runs Spark jobs, its jobs, stages and task bars
 * while it runs, folded to a one-line summary after. Nothing is saved unless the user keeps it.
 */

import type { INotebookTracker } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';

import type { ClusterStore } from '../store';
import { CellProgressTracker } from './tracker';

export { CellProgressTracker } from './tracker';
export { CellProgressView } from './widget';

/** Options of {@link attachCellProgress}. */
export interface ICellProgressOptions {
  tracker: INotebookTracker;
  store: ClusterStore;
  /** Jupyter base URL (`ServerConnection.ISettings.baseUrl`), for the Spark UI links. */
  baseUrl: string;
  /** Strings of the `sparkgate_lab` domain. */
  trans: TranslationBundle;
  /** Whether per-cell progress is on (the `showCellProgress` setting); read on every event. */
  enabled: () => boolean;
}

/**
 * Shows the store's `cell:progress` events under the notebook cells that ran them, until
 * disposed (which removes every view).
 */
export function attachCellProgress(options: ICellProgressOptions): IDisposable {
  return new CellProgressTracker(options);
}
