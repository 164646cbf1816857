/**
 * Progress of the latest launch: requested → scheduling → pulling/starting → kernel ready →
 * Spark ready → executors ready (n/m, with why they are pending), or why it failed.
 */

import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import type { IClusterModel } from '../api';
import { h, replaceChildren } from '../dom';
import { shortId } from './labels';
import { failureReason, isFullyUp, launchSteps, launchSummary } from './steps';
import type { ITrans } from '../trans';

/**
 * Step list for one launch. Its live region stays in the DOM (empty when there is no launch) so
 * screen readers announce each new summary; it changes only when the summary does.
 */
export class LaunchProgressView extends Widget {
  constructor(options: LaunchProgressView.IOptions) {
    super();
    this.addClass('sg-LaunchProgress');
    this._trans = options.trans;
    this._live = h('div', { className: 'sg-VisuallyHidden sg-LaunchProgress-live', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.node.append(this._live, this._body);
    this.render(null);
  }

  /** Emitted when the user closes the view; with the cluster if it failed (to dismiss its entry). */
  get closeRequested(): ISignal<this, IClusterModel> {
    return this._closeRequested;
  }

  /** Shows a cluster's launch; `null` clears the view. */
  render(cluster: IClusterModel | null): void {
    const t = this._trans;
    this.node.classList.toggle('sg-mod-empty', !cluster);
    if (!cluster) {
      replaceChildren(this._body);
      this._setLive('');
      return;
    }
    const steps = launchSteps(cluster, t);
    const failed = cluster.state === 'failed' || cluster.state === 'dead';
    const up = isFullyUp(cluster);
    const close = h('button', {
      className: 'jp-mod-styled sg-LaunchProgress-close',
      text: failed ? t.__('Dismiss') : t.__('Hide'),
      attrs: { type: 'button', title: failed ? t.__('Remove this failed launch from the list') : t.__('Hide the launch progress') }
    });
    close.addEventListener('click', () => this._closeRequested.emit(cluster));
    replaceChildren(
      this._body,
      h(
        'div',
        { className: 'sg-LaunchProgress-head' },
        h('h3', { className: 'sg-LaunchProgress-title', text: t.__('Launch of %1 · %2', cluster.displayName, shortId(cluster.id)) }),
        failed || up ? close : null
      ),
      h(
        'ol',
        { className: 'sg-LaunchProgress-steps' },
        ...steps.map(s =>
          h(
            'li',
            { className: `sg-LaunchProgress-step sg-mod-${s.status}`, attrs: { 'data-step': s.key } },
            h('span', { className: 'sg-LaunchProgress-label', text: s.label }),
            h('span', { className: 'sg-VisuallyHidden', text: ` (${Private.statusText(s.status, t)})` }),
            s.detail ? h('div', { className: 'sg-LaunchProgress-detail', text: s.detail }) : null
          )
        )
      ),
      failed ? h('div', { className: 'sg-LaunchProgress-reason', text: t.__('Launch failed: %1', failureReason(cluster, t)) }) : null
    );
    this._setLive(launchSummary(cluster, t));
  }

  private _setLive(text: string): void {
    if (this._live.textContent !== text) {
      this._live.textContent = text;
    }
  }

  private _trans: ITrans;
  private _live: HTMLElement;
  private _body = h('div', { className: 'sg-LaunchProgress-body' });
  private _closeRequested = new Signal<this, IClusterModel>(this);
}

/** A namespace for LaunchProgressView statics. */
export namespace LaunchProgressView {
  /** Options of a LaunchProgressView. */
  export interface IOptions {
    trans: ITrans;
  }
}

namespace Private {
  export function statusText(status: 'done' | 'active' | 'todo' | 'failed', t: ITrans): string {
    switch (status) {
      case 'done':
        return t.__('done');
      case 'active':
        return t.__('in progress');
      case 'todo':
        return t.__('to do');
      case 'failed':
        return t.__('failed');
    }
  }
}
