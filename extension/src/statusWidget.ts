/**
 * Notebook toolbar item: the live status of the Spark cluster behind the notebook's kernel.
 */

import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import type { IClusterModel, ISharedShape } from './api';
import { renderCullNotice } from './cullNotice';
import { h, replaceChildren } from './dom';
import { gpuToolbar } from './gpu/format';
import type { ITrans } from './trans';
import { cellSources, isBlankNotebook, readShape } from './sharing';
import { clusterForNotebook, driverLabel, driverStatus, executorsInline, executorsTitle, jobBar, relaunchedCluster, toolbarView, visibleReason } from './status';
import type { IRelaunch, IToolbarView } from './status';
import type { ClusterStore } from './store';
import { sparkUiUrl } from './urls';

/** How often an announced cull's countdown is redrawn. */
const COUNTDOWN_MS = 15_000;

/**
 * Shows driver state, executors ready/pending/desired (with why they wait), GPUs held, the running
 * job's progress and a Spark UI link for a notebook whose kernel is a sparkgate cluster. Hidden
 * for other kernels; says when the notebook's cluster was shut down, and offers to relaunch a
 * shape stored in the notebook when no cluster of its own runs or launches. An idle cluster's
 * announced cull shows as a countdown with a Keep button; a culled one shows why.
 */
export class SparkStatus extends Widget {
  constructor(options: SparkStatus.IOptions) {
    super();
    this.addClass('sg-SparkStatus');
    this._panel = options.panel;
    this._store = options.store;
    this._baseUrl = options.baseUrl;
    this._trans = options.trans;
    this._onRelaunch = options.onRelaunch;
    this._onKeep = options.onKeep;
    this._onExecutors = options.onExecutors ?? null;

    const ctx = this._panel.sessionContext;
    ctx.kernelChanged.connect(this._render, this);
    ctx.statusChanged.connect(this._render, this);
    ctx.kernelPreferenceChanged.connect(this._render, this);
    this._store.changed.connect(this._render, this);
    this._store.connectionChanged.connect(this._render, this);
    // Live GPU numbers arrive every poll interval: only the GPU item of this notebook's cluster is
    // repainted, in place, so focus on the toolbar and the popup's anchor survive.
    this._store.gpu.changed.connect((_, kernelId) => {
      const c = this.cluster;
      if (c && (kernelId === null || kernelId === c.kernelId)) {
        if (this._gpus?.isConnected) {
          this._paintGpus(this._gpus, c);
        } else {
          this._render();
        }
      }
    }, this);
    const model = this._panel.context.model;
    model.metadataChanged.connect(this._render, this);
    // Blank ↔ not blank decides the relaunch offer; typing must not redraw the item each time.
    model.contentChanged.connect(() => {
      if (this._blank !== this._isBlank()) {
        this._render();
      }
    }, this);
    this._render();
  }

  /** The cluster this notebook runs on, or whose launch it waits for. */
  get cluster(): IClusterModel | undefined {
    return SparkStatus.clusterOf(this._panel, this._store);
  }

  /** Stops the countdown timer with the widget. */
  override dispose(): void {
    this._tick(false);
    super.dispose();
  }

  private _kernel(): Kernel.IKernelConnection | null | undefined {
    return this._panel.sessionContext.session?.kernel;
  }

  private _isBlank(): boolean {
    this._blank = isBlankNotebook(cellSources(this._panel));
    return this._blank;
  }

  /** Redraws from the store; cheap enough to run on every event. */
  private _render(): void {
    if (this.isDisposed) {
      return;
    }
    const kernel = this._kernel();
    const kernelId = kernel?.id ?? null;
    const cluster = this.cluster;
    const shape = readShape(this._panel);
    if (cluster) {
      this._shown = { kernelId, clusterId: cluster.id };
    } else if (this._shown && this._shown.kernelId !== kernelId) {
      this._shown = null;
    }
    const view = toolbarView({
      cluster,
      kernelName: kernel?.name ?? this._panel.sessionContext.kernelPreference.name,
      clusterGone: !cluster && !!this._shown && !this._store.get(this._shown.clusterId),
      connection: this._store.connection,
      hasSnapshot: this._store.hasSnapshot,
      hasShape: !!shape,
      emptyNotebook: this._isBlank()
    });
    // The cull countdown needs redrawing as time passes, not only on events.
    this._tick(!!cluster?.cullAt);
    this._show(view.mode === 'none' ? null : view.mode);
    const relaunch = view.relaunch && shape ? this._relaunchButton(shape) : null;
    const trans = this._trans;
    switch (view.mode) {
      case 'cluster':
        this._renderCluster(cluster as IClusterModel, relaunch);
        return;
      case 'unreachable':
        replaceChildren(
          this.node,
          h('span', {
            className: 'sg-Chip sg-mod-error',
            text: trans.__('sparkgate gateway unreachable'),
            title: this._store.connectionError ?? trans.__('The live status connection to sparkgate failed; retrying.')
          })
        );
        return;
      case 'starting':
        // Named like a cluster, but live status has not listed the clusters yet.
        replaceChildren(this.node, h('span', { className: 'sg-Chip sg-mod-pending', text: trans.__('Spark: starting…') }));
        return;
      case 'shut-down':
        replaceChildren(
          this.node,
          h('span', {
            className: 'sg-Chip sg-mod-off',
            text: trans.__('Spark cluster shut down'),
            title: trans.__('The Spark cluster of this notebook was shut down; its kernel is gone.')
          }),
          relaunch
        );
        return;
      case 'relaunch':
        replaceChildren(this.node, h('span', { className: 'sg-SparkStatus-note', text: trans.__('No Spark cluster') }), relaunch);
        return;
      case 'none':
        replaceChildren(this.node);
        return;
    }
  }

  private _renderCluster(c: IClusterModel, relaunch: HTMLElement | null): void {
    const trans = this._trans;
    const driver = driverStatus(c);
    const ui = sparkUiUrl(this._baseUrl, c);
    const job = c.job ? jobBar(c.job, trans) : null;
    const reason = visibleReason(driver);
    const executors = executorsInline(c, trans);
    const executorsNode = this._onExecutors
      ? h('button', {
          className: 'sg-SparkStatus-executors',
          text: executors.text,
          title: executorsTitle(c, trans),
          attrs: { type: 'button', 'aria-label': executors.label, 'aria-haspopup': 'dialog' }
        })
      : h('span', { className: 'sg-SparkStatus-executors', text: executors.text, title: executorsTitle(c, trans), attrs: { 'aria-label': executors.text } });
    executorsNode.classList.toggle('sg-mod-pending', executors.pending);
    const onExecutors = this._onExecutors;
    if (onExecutors) {
      executorsNode.addEventListener('click', () => onExecutors(executorsNode, c.id));
    }
    replaceChildren(
      this.node,
      h('span', {
        className: `sg-Chip sg-mod-${driver.tone}`,
        text: trans.__('Driver: %1', driverLabel(driver.label, trans)),
        title: driver.reason ? `${driverLabel(driver.label, trans)}: ${driver.reason}` : `${c.displayName} (${c.kernelName})`
      }),
      // Why it waits, or why it is gone ("culled after 60 min idle").
      reason ? h('span', { className: 'sg-SparkStatus-reason', text: reason, title: reason }) : null,
      renderCullNotice(c, { now: Date.now(), keeping: this._keeping === c.id, onKeep: id => void this._keep(id), trans }),
      executorsNode,
      this._gpusNode(c),
      job
        ? h(
            'span',
            { className: 'sg-SparkStatus-job', title: job.title, attrs: { role: 'progressbar', 'aria-label': job.label, 'aria-valuenow': String(Math.round(job.done * 100)) } },
            h('span', { className: 'sg-SparkStatus-jobDone', attrs: { style: `width:${(job.done * 100).toFixed(1)}%` } }),
            h('span', { className: 'sg-SparkStatus-jobRunning', attrs: { style: `width:${(job.running * 100).toFixed(1)}%` } }),
            h('span', { className: 'sg-SparkStatus-jobLabel', text: trans.__('%1/%2 stages', c.job?.stages.done ?? 0, c.job?.stages.total ?? 0) })
          )
        : null,
      ui ? h('a', { className: 'sg-SparkStatus-ui', text: trans.__('Spark UI'), attrs: { href: ui, target: '_blank', rel: 'noopener' } }) : null,
      relaunch
    );
  }

  /** `4 GPUs · 63%`: the GPUs held and, with live numbers (`gpuMetrics`), their mean utilisation. */
  private _gpusNode(c: IClusterModel): HTMLElement {
    this._gpus = h('span', { className: 'sg-SparkStatus-gpus' });
    this._paintGpus(this._gpus, c);
    return this._gpus;
  }

  private _paintGpus(node: HTMLElement, c: IClusterModel): void {
    const gpu = gpuToolbar(c, this._store.gpu.view(c.kernelId), this._trans);
    node.textContent = gpu.text;
    node.title = gpu.title;
    node.classList.toggle('sg-mod-warn', gpu.warn);
    if (gpu.utilPercent === null) {
      delete node.dataset.util;
    } else {
      node.dataset.util = String(gpu.utilPercent);
    }
  }

  private _relaunchButton(shape: ISharedShape): HTMLElement {
    const button = h('button', {
      className: 'jp-ToolbarButtonComponent sg-SparkStatus-relaunch',
      text: this._trans.__('Relaunch this Spark cluster shape'),
      title: this._trans.__("This notebook ran on profile '%1'. Fill the Spark panel with that shape (checked against your limits).", shape.profile),
      attrs: { type: 'button' }
    });
    button.addEventListener('click', () => this._onRelaunch(shape));
    return button;
  }

  private async _keep(id: string): Promise<void> {
    this._keeping = id;
    this._render();
    try {
      await this._onKeep(id);
    } catch (err) {
      console.error(`sparkgate: could not keep cluster ${id}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this._keeping = null;
      this._render();
    }
  }

  private _tick(on: boolean): void {
    if (on && this._timer === null) {
      this._timer = window.setInterval(() => this._render(), COUNTDOWN_MS);
    } else if (!on && this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _show(mode: IToolbarView['mode'] | null): void {
    this.node.dataset.mode = mode ?? 'none';
    this.setHidden(mode === null);
  }

  private _panel: NotebookPanel;
  private _store: ClusterStore;
  private _baseUrl: string;
  private _trans: ITrans;
  private _onRelaunch: (shape: ISharedShape) => void;
  private _onKeep: (id: string) => Promise<unknown>;
  private _onExecutors: ((anchor: HTMLElement, clusterId: string) => void) | null;
  private _keeping: string | null = null;
  /** The GPU item drawn last (repainted in place when only the GPU numbers change). */
  private _gpus: HTMLElement | null = null;
  private _timer: number | null = null;
  /** The cluster last shown, and for which kernel: its disappearance means it was shut down. */
  private _shown: { kernelId: string | null; clusterId: string } | null = null;
  private _blank = true;
}

/** A namespace for SparkStatus statics. */
export namespace SparkStatus {
  /** Options of a SparkStatus. */
  export interface IOptions {
    panel: NotebookPanel;
    store: ClusterStore;
    /** Jupyter base URL, for the Spark UI link. */
    baseUrl: string;
    /** The `sparkgate_lab` translation bundle. */
    trans: ITrans;
    /** Called when the user asks to relaunch the notebook's stored shape. */
    onRelaunch: (shape: ISharedShape) => void;
    /** Keeps an idle cluster whose cull is announced (the gateway's keep endpoint). */
    onKeep: (id: string) => Promise<unknown>;
    /** Opens the executors list of a cluster under `anchor` (a click on the executor count). */
    onExecutors?: (anchor: HTMLElement, clusterId: string) => void;
  }

  /**
   * The cluster behind a notebook: its kernel's, the one it is starting, or the one a relaunch
   * from this notebook is launching for it (see {@link noteRelaunch}).
   */
  export function clusterOf(panel: NotebookPanel, store: ClusterStore): IClusterModel | undefined {
    const ctx = panel.sessionContext;
    const kernel = ctx.session?.kernel;
    const clusters = store.clusters;
    const own = clusterForNotebook(clusters, { id: kernel?.id, name: kernel?.name, pendingName: ctx.kernelPreference.name });
    if (own || kernel) {
      return own;
    }
    const relaunch = Private.relaunches.get(panel);
    return relaunch ? relaunchedCluster(clusters, relaunch) : undefined;
  }

  /**
   * Records that the user asked to relaunch `profile` from `panel`: a cluster of that profile that
   * appears after now, still requested or launching, is taken as this notebook's own (the launch
   * attaches it to the notebook once it is up), so the notebook shows its progress instead of
   * offering to relaunch again.
   */
  export function noteRelaunch(panel: NotebookPanel, store: ClusterStore, profile: string): void {
    Private.relaunches.set(panel, { profile, known: new Set(store.clusters.map(c => c.id)) });
  }
}

namespace Private {
  /** Relaunches asked per notebook, forgotten with the notebook. */
  export const relaunches = new WeakMap<NotebookPanel, IRelaunch>();
}
