/**
 * The user's clusters: state, executors, GPUs, uptime, Spark UI link, Shut down.
 */

import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import type { IClusterModel } from '../api';
import { h, replaceChildren } from '../dom';
import { executorsText, executorsTitle, formatUptime, isActive, stateLabel, stateTone } from '../status';
import { sparkUiUrl } from '../urls';

/**
 * List of clusters. Re-rendered whole on change: a user has a handful of clusters, and nothing
 * in a row keeps focus or input state worth preserving.
 */
export class ClusterList extends Widget {
  constructor(options: ClusterList.IOptions) {
    super();
    this.addClass('sg-ClusterList');
    this._baseUrl = options.baseUrl;
    this.render([], Date.now());
  }

  /** Emitted when the user asks to shut a cluster down. */
  get shutdownRequested(): ISignal<this, IClusterModel> {
    return this._shutdownRequested;
  }

  /** Draws `clusters` with uptimes relative to `now`. */
  render(clusters: IClusterModel[], now: number): void {
    if (clusters.length === 0) {
      replaceChildren(this.node, h('div', { className: 'sg-ClusterList-empty', text: 'No clusters running.' }));
      return;
    }
    replaceChildren(this.node, ...clusters.map(c => this._row(c, now)));
  }

  private _row(c: IClusterModel, now: number): HTMLElement {
    const ui = sparkUiUrl(this._baseUrl, c);
    const shutdown = h('button', { className: 'jp-mod-styled jp-mod-warn sg-ClusterList-shutdown', text: 'Shut down' });
    shutdown.addEventListener('click', () => this._shutdownRequested.emit(c));
    const reason = c.reason ?? c.driver.reason;
    return h(
      'div',
      { className: 'sg-ClusterList-item', attrs: { 'data-cluster-id': c.id } },
      h(
        'div',
        { className: 'sg-ClusterList-head' },
        h('span', { className: 'sg-ClusterList-name', text: c.displayName, title: c.kernelName }),
        h('span', { className: `sg-Chip sg-mod-${stateTone(c.state)}`, text: stateLabel(c.state) })
      ),
      h(
        'div',
        { className: 'sg-ClusterList-facts' },
        h('span', { text: executorsText(c), title: executorsTitle(c) }),
        h('span', { text: `${c.gpus.held} ${c.gpus.held === 1 ? 'GPU' : 'GPUs'}` }),
        h('span', { text: `up ${formatUptime(c.createdAt, now)}`, title: c.createdAt })
      ),
      reason && !isActive(c.state) ? h('div', { className: 'sg-ClusterList-reason', text: reason }) : null,
      h(
        'div',
        { className: 'sg-ClusterList-actions' },
        ui
          ? h('a', { className: 'sg-ClusterList-ui', text: 'Spark UI', attrs: { href: ui, target: '_blank', rel: 'noopener' } })
          : null,
        shutdown
      )
    );
  }

  private _baseUrl: string;
  private _shutdownRequested = new Signal<this, IClusterModel>(this);
}

/** A namespace for ClusterList statics. */
export namespace ClusterList {
  /** Options of a ClusterList. */
  export interface IOptions {
    /** Jupyter base URL, for Spark UI links. */
    baseUrl: string;
  }
}
