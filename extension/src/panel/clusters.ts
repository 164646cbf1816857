/**
 * The user's clusters: name with a short id, state, start time, sizing, executors, uptime (or
 * how long it lasted), Spark UI link, Shut down (or Dismiss, for a failed or ended one).
 */

import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import type { IClusterModel } from '../api';
import { h, replaceChildren } from '../dom';
import { executorsTitle } from '../status';
import { sparkUiUrl } from '../urls';
import { clusterEntry } from './labels';
import type { ITrans } from '../trans';

/** What {@link ClusterList.render} draws. */
export interface IClusterListState {
  clusters: IClusterModel[];
  now: number;
  /** When the panel first saw each cluster failed or dead (ms since the epoch). */
  endedAt: ReadonlyMap<string, number>;
  /** A cluster whose failure the launch progress already tells (its reason is not repeated). */
  launching: string | null;
}

/**
 * List of clusters. Re-rendered whole on change: a user has a handful of clusters, and nothing
 * in a row keeps focus or input state worth preserving.
 */
export class ClusterList extends Widget {
  constructor(options: ClusterList.IOptions) {
    super();
    this.addClass('sg-ClusterList');
    this._baseUrl = options.baseUrl;
    this._trans = options.trans;
    this.render({ clusters: [], now: Date.now(), endedAt: new Map(), launching: null });
  }

  /** Emitted when the user asks to shut a cluster down. */
  get shutdownRequested(): ISignal<this, IClusterModel> {
    return this._shutdownRequested;
  }

  /** Emitted when the user dismisses a failed or ended cluster. */
  get dismissRequested(): ISignal<this, IClusterModel> {
    return this._dismissRequested;
  }

  /** Draws the clusters with uptimes relative to `now`. */
  render(state: IClusterListState): void {
    if (state.clusters.length === 0) {
      replaceChildren(this.node, h('div', { className: 'sg-ClusterList-empty', text: this._trans.__('No clusters running.') }));
      return;
    }
    replaceChildren(this.node, h('ul', { className: 'sg-ClusterList-items' }, ...state.clusters.map(c => this._row(c, state))));
  }

  private _row(c: IClusterModel, state: IClusterListState): HTMLElement {
    const t = this._trans;
    const e = clusterEntry({ cluster: c, now: state.now, endedAt: state.endedAt.get(c.id) ?? null, hideReason: c.id === state.launching }, t);
    const ui = e.sparkUi ? sparkUiUrl(this._baseUrl, c) : null;
    const label = `${e.name} ${e.shortId}`;
    const action =
      e.action === 'shutdown'
        ? h('button', {
            className: 'jp-mod-styled jp-mod-warn sg-ClusterList-shutdown',
            text: t.__('Shut down'),
            attrs: { type: 'button', 'aria-label': t.__('Shut down %1', label) }
          })
        : h('button', {
            className: 'jp-mod-styled sg-ClusterList-dismiss',
            text: t.__('Dismiss'),
            attrs: { type: 'button', 'aria-label': t.__('Dismiss %1', label) }
          });
    action.addEventListener('click', () => (e.action === 'shutdown' ? this._shutdownRequested : this._dismissRequested).emit(c));
    return h(
      'li',
      { className: `sg-ClusterList-item sg-mod-${e.chip.tone}`, attrs: { 'data-cluster-id': c.id } },
      h(
        'div',
        { className: 'sg-ClusterList-head' },
        h('span', { className: 'sg-ClusterList-name', text: e.name, title: c.kernelName }),
        h('span', { className: `sg-Chip sg-mod-${e.chip.tone}`, text: e.chip.label })
      ),
      h('div', { className: 'sg-ClusterList-sizing', text: e.sizing }),
      h(
        'div',
        { className: 'sg-ClusterList-facts' },
        h('code', { className: 'sg-ClusterList-id', text: e.shortId, title: c.id }),
        e.executors ? h('span', { className: 'sg-ClusterList-executors', text: e.executors, title: executorsTitle(c) }) : null,
        h('span', { className: 'sg-ClusterList-started', text: e.started, title: c.createdAt }),
        h('span', { className: 'sg-ClusterList-lifetime', text: e.lifetime })
      ),
      e.executors && c.executors.pending > 0 && c.executors.pendingReason
        ? h('div', { className: 'sg-ClusterList-pending', text: t.__('Pending: %1', c.executors.pendingReason) })
        : null,
      e.reason ? h('div', { className: 'sg-ClusterList-reason', text: e.reason }) : null,
      h(
        'div',
        { className: 'sg-ClusterList-actions' },
        ui
          ? h('a', {
              className: 'sg-ClusterList-ui',
              text: t.__('Spark UI'),
              attrs: { href: ui, target: '_blank', rel: 'noopener', 'aria-label': t.__('Spark UI of %1 (opens a new tab)', label) }
            })
          : h('span'),
        action
      )
    );
  }

  private _baseUrl: string;
  private _trans: ITrans;
  private _shutdownRequested = new Signal<this, IClusterModel>(this);
  private _dismissRequested = new Signal<this, IClusterModel>(this);
}

/** A namespace for ClusterList statics. */
export namespace ClusterList {
  /** Options of a ClusterList. */
  export interface IOptions {
    /** Jupyter base URL, for Spark UI links. */
    baseUrl: string;
    trans: ITrans;
  }
}
