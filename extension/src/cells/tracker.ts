/**
 * Puts each `cell:progress` event under the notebook cell that sent the `execute_request`.
 */

import { CodeCell } from '@jupyterlab/cells';
import type { Cell } from '@jupyterlab/cells';
import { NotebookActions } from '@jupyterlab/notebook';
import type { INotebookTracker, Notebook, NotebookPanel } from '@jupyterlab/notebook';
import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import type { PanelLayout } from '@lumino/widgets';

import type { ClusterStore } from '../store';
import { keptOutput } from './format';
import type { ICellProgress, ITrans } from './types';
import { CellProgressView } from './widget';

/** Class of the panel holding a code cell's output area (JupyterLab 4.5 `CodeCell.initializeDOM`). */
const OUTPUT_WRAPPER_CLASS = 'jp-Cell-outputWrapper';

/** How long after its cell finished a view waits for the final event before folding by itself. */
const FINAL_GRACE_MS = 60_000;

/** Runs remembered per tracker; beyond this the oldest are forgotten (a cell re-run replaces its own). */
const MAX_RUNS = 2000;

/**
 * Matches events to cells and owns their progress views.
 *
 * #### Notes
 * A cell's run is known by the `msg_id` of its `execute_request`: read from
 * `outputArea.future` right after JupyterLab schedules the cell (the future is set synchronously
 * by `CodeCell.execute`), or, for runs started some other way, by looking through the cells of
 * the notebooks on that cluster when an unknown id arrives. The mapping is kept, because the
 * final event comes after the cell finished.
 */
export class CellProgressTracker implements IDisposable {
  constructor(options: CellProgressTracker.IOptions) {
    this._tracker = options.tracker;
    this._store = options.store;
    this._baseUrl = options.baseUrl;
    this._trans = options.trans;
    this._enabled = options.enabled;
    this._store.cellProgress.connect(this._onProgress, this);
    NotebookActions.executionScheduled.connect(this._onScheduled, this);
  }

  /** Whether the tracker is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The progress view under `cell`, if it has one. */
  viewFor(cell: Cell): CellProgressView | undefined {
    return this._views.get(cell);
  }

  /** Disconnects and removes every progress view. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._store.cellProgress.disconnect(this._onProgress, this);
    NotebookActions.executionScheduled.disconnect(this._onScheduled, this);
    this._clearViews();
    for (const panel of this._panels) {
      panel.sessionContext.statusChanged.disconnect(this._onSessionStatus, this);
      panel.sessionContext.kernelChanged.disconnect(this._onKernelChanged, this);
    }
    this._panels.clear();
    for (const cell of this._watched) {
      cell.disposed.disconnect(this._onCellDisposed, this);
    }
    this._watched.clear();
    this._runs.clear();
    this._current.clear();
  }

  /** A re-run replaces the cell's progress: drop the old view and learn the new run's id. */
  private _onScheduled(_: unknown, args: { notebook: Notebook; cell: Cell }): void {
    const cell = args.cell;
    if (!(cell instanceof CodeCell)) {
      return;
    }
    this._views.get(cell)?.dispose();
    this._views.delete(cell);
    const previous = this._current.get(cell);
    if (previous !== undefined) {
      this._runs.delete(previous);
      this._current.delete(cell);
    }
    if (!this._enabled()) {
      this._clearViews();
      return;
    }
    // The signal fires just before `CodeCell.execute`, which sets the new future synchronously:
    // it is there once the current task yields.
    queueMicrotask(() => {
      const msgId = Private.runId(cell);
      // `execute` bails out (empty cell, no kernel) before making a future: then it is not a new run.
      if (!this._isDisposed && !cell.isDisposed && msgId && msgId !== previous) {
        this._remember(msgId, cell);
      }
    });
  }

  private _onProgress(_: ClusterStore, progress: ICellProgress): void {
    if (!this._enabled()) {
      this._clearViews();
      return;
    }
    const cell = this._runs.get(progress.cell) ?? this._find(progress);
    if (!cell || cell.isDisposed || this._current.get(cell) !== progress.cell) {
      // Not a cell open here, or a run the cell has since replaced.
      return;
    }
    let view = this._views.get(cell);
    if (view && view.msgId !== progress.cell) {
      view.dispose();
      view = undefined;
    }
    if (!view) {
      if (!progress.jobs.length && !progress.waiting) {
        // A cell without Spark work gets nothing under it.
        return;
      }
      view = this._createView(cell, progress.cell);
      if (!view) {
        return;
      }
    }
    view.setProgress(progress);
  }

  private _createView(cell: CodeCell, msgId: string): CellProgressView | undefined {
    const layout = cell.layout as PanelLayout | null;
    // A windowed notebook's cell not drawn yet has no output area to go under: the next event retries.
    if (!layout || cell.isPlaceholder()) {
      return undefined;
    }
    const view = new CellProgressView({
      msgId,
      baseUrl: this._baseUrl,
      trans: this._trans,
      onKeep: (progress, now) => {
        cell.model.outputs.add({ output_type: 'display_data', data: keptOutput(progress, now, this._trans), metadata: {} });
      }
    });
    // Below the output area (not in the output model: nothing of it is saved), above the footer.
    const wrapper = layout.widgets.findIndex(w => w.hasClass(OUTPUT_WRAPPER_CLASS));
    layout.insertWidget(wrapper >= 0 ? wrapper + 1 : layout.widgets.length, view);
    this._views.set(cell, view);
    view.disposed.connect(() => {
      if (this._views.get(cell) === view) {
        this._views.delete(cell);
      }
    });
    const panel = this._panelOf(cell);
    if (panel) {
      this._watchPanel(panel);
    }
    this._finishLate(cell, view);
    return view;
  }

  /**
   * Folds a view whose final event never came (gateway gone, event lost) once the cell has been
   * done for a while, so no view shows "running" and ticks forever.
   */
  private _finishLate(cell: CodeCell, view: CellProgressView): void {
    const future = cell.outputArea.future as CodeCell['outputArea']['future'] | null;
    if (!future || future.msg.header.msg_id !== view.msgId) {
      return;
    }
    let timer: number | null = null;
    const clear = (): void => {
      if (timer !== null) {
        window.clearTimeout(timer);
        timer = null;
      }
    };
    view.disposed.connect(clear);
    void future.done
      .catch(() => undefined)
      .finally(() => {
        if (!view.isDisposed && view.isRunning) {
          timer = window.setTimeout(() => {
            timer = null;
            view.finish();
          }, FINAL_GRACE_MS);
        }
      });
  }

  /** Looks through the code cells of the notebooks running on `progress.clusterId`. */
  private _find(progress: ICellProgress): CodeCell | undefined {
    let found: CodeCell | undefined;
    this._tracker.forEach(panel => {
      if (found || !this._onCluster(panel.sessionContext.session?.kernel, progress.clusterId)) {
        return;
      }
      for (const cell of panel.content.widgets) {
        if (cell instanceof CodeCell && Private.runId(cell) === progress.cell) {
          found = cell;
          break;
        }
      }
    });
    if (found) {
      this._remember(progress.cell, found);
    }
    return found;
  }

  private _onCluster(kernel: Kernel.IKernelConnection | null | undefined, clusterId: string): boolean {
    if (!kernel) {
      return false;
    }
    // The cluster id is the kernel id; the store's mapping covers a gateway that ever splits them.
    return kernel.id === clusterId || this._store.forKernel(kernel.id)?.id === clusterId;
  }

  private _remember(msgId: string, cell: CodeCell): void {
    const previous = this._current.get(cell);
    if (previous !== undefined && previous !== msgId) {
      this._runs.delete(previous);
    }
    this._runs.set(msgId, cell);
    this._current.set(cell, msgId);
    if (!this._watched.has(cell)) {
      this._watched.add(cell);
      cell.disposed.connect(this._onCellDisposed, this);
    }
    if (this._runs.size > MAX_RUNS) {
      const oldest = this._runs.keys().next().value;
      if (oldest !== undefined) {
        this._runs.delete(oldest);
      }
    }
  }

  private _onCellDisposed(cell: Cell): void {
    const msgId = this._current.get(cell);
    if (msgId !== undefined) {
      this._runs.delete(msgId);
    }
    this._current.delete(cell);
    this._views.delete(cell);
    this._watched.delete(cell);
  }

  private _panelOf(cell: Cell): NotebookPanel | undefined {
    return this._tracker.find(panel => panel.content.widgets.includes(cell));
  }

  /** A restart or kernel change ends the notebook's runs: their final events will not come. */
  private _watchPanel(panel: NotebookPanel): void {
    if (this._panels.has(panel)) {
      return;
    }
    this._panels.add(panel);
    panel.sessionContext.statusChanged.connect(this._onSessionStatus, this);
    panel.sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    panel.disposed.connect(() => {
      this._panels.delete(panel);
    });
  }

  private _onSessionStatus(ctx: ISessionContext, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this._finishPanel(ctx);
    }
  }

  private _onKernelChanged(ctx: ISessionContext): void {
    this._finishPanel(ctx);
  }

  private _finishPanel(ctx: ISessionContext): void {
    const panel = this._tracker.find(p => p.sessionContext === ctx);
    if (!panel) {
      return;
    }
    for (const cell of panel.content.widgets) {
      this._views.get(cell)?.finish();
    }
  }

  private _clearViews(): void {
    for (const view of [...this._views.values()]) {
      view.dispose();
    }
    this._views.clear();
  }

  private _tracker: INotebookTracker;
  private _store: ClusterStore;
  private _baseUrl: string;
  private _trans: ITrans;
  private _enabled: () => boolean;
  private _isDisposed = false;
  /** Run (`msg_id`) → the cell that made it. */
  private _runs = new Map<string, CodeCell>();
  /** Cell → its current run. */
  private _current = new Map<Cell, string>();
  private _views = new Map<Cell, CellProgressView>();
  private _watched = new Set<Cell>();
  private _panels = new Set<NotebookPanel>();
}

/** A namespace for CellProgressTracker statics. */
export namespace CellProgressTracker {
  /** Options of a CellProgressTracker. */
  export interface IOptions {
    tracker: INotebookTracker;
    store: ClusterStore;
    /** Jupyter base URL (`ServerConnection.ISettings.baseUrl`), for the Spark UI links. */
    baseUrl: string;
    /** Strings of the `sparkgate_lab` domain. */
    trans: ITrans;
    /** Whether per-cell progress is on (the `showCellProgress` setting); read on every event. */
    enabled: () => boolean;
  }
}

namespace Private {
  /** The `msg_id` of the cell's current (or last) execution, if it ran in this session. */
  export function runId(cell: CodeCell): string | undefined {
    // Typed non-null, but null until the cell first runs.
    const future = cell.outputArea.future as CodeCell['outputArea']['future'] | null;
    return future?.msg.header.msg_id;
  }
}
