/**
 * Notebook toolbar item: the live status of the Spark cluster behind the notebook's kernel.
 */

import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import type { IClusterModel, ISharedShape } from './api';
import { renderCullNotice } from './cullNotice';
import { h, replaceChildren } from './dom';
import { readShape } from './sharing';
import { driverStatus, executorsText, executorsTitle, isClusterKernelName, jobBar, visibleReason } from './status';
import type { ClusterStore } from './store';
import { sparkUiUrl } from './urls';

/** How often an announced cull's countdown is redrawn. */
const COUNTDOWN_MS = 15_000;

/**
 * Shows driver state, executors ready/pending/desired, GPUs held, the running job's progress
 * and a Spark UI link for a notebook whose kernel is a sparkgate cluster. Hidden for other
 * kernels; offers to relaunch a shape stored in the notebook when no cluster runs it. An idle
 * cluster's announced cull shows as a countdown with a Keep button; a culled one shows why.
 */
export class SparkStatus extends Widget {
  constructor(options: SparkStatus.IOptions) {
    super();
    this.addClass('sg-SparkStatus');
    this._panel = options.panel;
    this._store = options.store;
    this._baseUrl = options.baseUrl;
    this._onRelaunch = options.onRelaunch;
    this._onKeep = options.onKeep;

    const ctx = this._panel.sessionContext;
    ctx.kernelChanged.connect(this._render, this);
    ctx.statusChanged.connect(this._render, this);
    this._store.changed.connect(this._render, this);
    this._store.connectionChanged.connect(this._render, this);
    this._panel.context.model.metadataChanged.connect(this._render, this);
    this._render();
  }

  /** The cluster this notebook runs on, if any. */
  get cluster(): IClusterModel | undefined {
    const kernel = this._kernel();
    return this._store.forKernel(kernel?.id) ?? this._store.forKernelName(kernel?.name);
  }

  /** Stops the countdown timer with the widget. */
  override dispose(): void {
    this._tick(false);
    super.dispose();
  }

  private _kernel(): Kernel.IKernelConnection | null | undefined {
    return this._panel.sessionContext.session?.kernel;
  }

  /** Redraws from the store; cheap enough to run on every event. */
  private _render(): void {
    if (this.isDisposed) {
      return;
    }
    const kernel = this._kernel();
    const cluster = this.cluster;
    const shape = readShape(this._panel);
    // The cull countdown needs redrawing as time passes, not only on events.
    this._tick(!!cluster?.cullAt);
    if (cluster) {
      this._show('cluster');
      this._renderCluster(cluster);
      return;
    }
    const looksLikeCluster = isClusterKernelName(kernel?.name);
    if (this._store.connection === 'unreachable' && (looksLikeCluster || shape)) {
      this._show('error');
      replaceChildren(
        this.node,
        h('span', {
          className: 'sg-Chip sg-mod-error',
          text: 'sparkgate gateway unreachable',
          title: this._store.connectionError ?? 'The live status connection to sparkgate failed; retrying.'
        })
      );
      return;
    }
    if (looksLikeCluster) {
      // Named like a cluster, but live status has not reported that cluster (yet).
      this._show('pending');
      replaceChildren(this.node, h('span', { className: 'sg-Chip sg-mod-pending', text: 'Spark: starting…' }));
      return;
    }
    if (shape && this._store.hasSnapshot) {
      this._show('relaunch');
      this._renderRelaunch(shape);
      return;
    }
    this._show(null);
  }

  private _renderCluster(c: IClusterModel): void {
    const driver = driverStatus(c);
    const ui = sparkUiUrl(this._baseUrl, c);
    const job = c.job ? jobBar(c.job) : null;
    replaceChildren(
      this.node,
      h('span', {
        className: `sg-Chip sg-mod-${driver.tone}`,
        text: `Driver: ${driver.label}`,
        title: driver.reason ? `${driver.label}: ${driver.reason}` : `${c.displayName} (${c.kernelName})`
      }),
      // Why it waits, or why it is gone ("culled after 60 min idle").
      visibleReason(driver) ? h('span', { className: 'sg-SparkStatus-reason', text: visibleReason(driver) ?? '', title: driver.reason ?? '' }) : null,
      renderCullNotice(c, { now: Date.now(), keeping: this._keeping === c.id, onKeep: id => void this._keep(id) }),
      h('span', {
        className: `sg-SparkStatus-executors${c.executors.pending > 0 ? ' sg-mod-pending' : ''}`,
        text: executorsText(c),
        title: executorsTitle(c)
      }),
      h('span', { className: 'sg-SparkStatus-gpus', text: `${c.gpus.held} GPU${c.gpus.held === 1 ? '' : 's'}`, title: 'GPUs held by the driver and executors' }),
      job
        ? h(
            'span',
            { className: 'sg-SparkStatus-job', title: job.title, attrs: { role: 'progressbar', 'aria-label': job.label, 'aria-valuenow': String(Math.round(job.done * 100)) } },
            h('span', { className: 'sg-SparkStatus-jobDone', attrs: { style: `width:${(job.done * 100).toFixed(1)}%` } }),
            h('span', { className: 'sg-SparkStatus-jobRunning', attrs: { style: `width:${(job.running * 100).toFixed(1)}%` } }),
            h('span', { className: 'sg-SparkStatus-jobLabel', text: `${c.job?.stages.done}/${c.job?.stages.total} stages` })
          )
        : null,
      ui ? h('a', { className: 'sg-SparkStatus-ui', text: 'Spark UI', attrs: { href: ui, target: '_blank', rel: 'noopener' } }) : null
    );
  }

  private _renderRelaunch(shape: ISharedShape): void {
    const button = h('button', {
      className: 'jp-ToolbarButtonComponent sg-SparkStatus-relaunch',
      text: 'Relaunch this Spark cluster shape',
      title: `This notebook ran on profile '${shape.profile}'. Fill the Spark panel with that shape (checked against your limits).`
    });
    button.addEventListener('click', () => this._onRelaunch(shape));
    replaceChildren(this.node, button);
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

  private _show(mode: string | null): void {
    this.node.dataset.mode = mode ?? 'none';
    this.setHidden(mode === null);
  }

  private _panel: NotebookPanel;
  private _store: ClusterStore;
  private _baseUrl: string;
  private _onRelaunch: (shape: ISharedShape) => void;
  private _onKeep: (id: string) => Promise<unknown>;
  private _keeping: string | null = null;
  private _timer: number | null = null;
}

/** A namespace for SparkStatus statics. */
export namespace SparkStatus {
  /** Options of a SparkStatus. */
  export interface IOptions {
    panel: NotebookPanel;
    store: ClusterStore;
    /** Jupyter base URL, for the Spark UI link. */
    baseUrl: string;
    /** Called when the user asks to relaunch the notebook's stored shape. */
    onRelaunch: (shape: ISharedShape) => void;
    /** Keeps an idle cluster whose cull is announced (the gateway's keep endpoint). */
    onKeep: (id: string) => Promise<unknown>;
  }
}
