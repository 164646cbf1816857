/**
 * The executors popup: one row per executor of a cluster (pod, node, state, cores, GPUs, tasks)
 * and, for one that waits, the scheduler's or kubelet's words. Anchored under the element that
 * opened it (the executor count); live from the cluster store.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import type { IClusterModel } from '../api';
import { h, replaceChildren } from '../dom';
import { gpuColumns, gpuSection } from '../gpu/format';
import type { ClusterStore } from '../store';
import { executorColumns, executorRows, executorsHeader } from './format';

/** Options of {@link openExecutorsPopup}. */
export interface IExecutorsPopupOptions {
  /** The element the popup opens under; focus returns to it on close. */
  anchor: HTMLElement;
  store: ClusterStore;
  clusterId: string;
  trans: TranslationBundle;
}

/**
 * Opens the executors popup of a cluster under `anchor`, or closes it when it is already open
 * for that anchor (a second click on the count toggles). Escape, the close button and a click
 * outside close it; focus moves into it and back to the anchor. Disposing the result closes it.
 */
export function openExecutorsPopup(options: IExecutorsPopupOptions): IDisposable {
  const open = Private.open.current;
  if (open && !open.isDisposed) {
    const same = open.anchor === options.anchor && open.clusterId === options.clusterId;
    open.dispose();
    if (same) {
      return open;
    }
  }
  const popup = new ExecutorsPopup(options);
  Private.open.current = popup;
  popup.open();
  return popup;
}

/** The popup widget; use {@link openExecutorsPopup}. */
export class ExecutorsPopup extends Widget {
  constructor(options: IExecutorsPopupOptions) {
    super();
    this.anchor = options.anchor;
    this.clusterId = options.clusterId;
    this._store = options.store;
    this._trans = options.trans;
    const trans = options.trans;
    const node = this.node;
    node.classList.add('sg-ExecutorsPopup');
    node.setAttribute('role', 'dialog');
    node.setAttribute('aria-modal', 'true');
    node.tabIndex = -1;
    const title = h('div', { className: 'sg-ExecutorsPopup-title' });
    this._title = title;
    this._close = h('button', {
      className: 'sg-ExecutorsPopup-close jp-Button jp-mod-minimal',
      title: trans.__('Close'),
      text: '×',
      attrs: { type: 'button', 'aria-label': trans.__('Close executors') }
    });
    this._close.addEventListener('click', () => this.dispose());
    this._summary = h('div', { className: 'sg-ExecutorsPopup-summary', attrs: { 'aria-live': 'polite' } });
    this._pendingReason = h('div', { className: 'sg-ExecutorsPopup-pendingReason' });
    this._body = h('div', { className: 'sg-ExecutorsPopup-body' });
    this._gpu = h('div', { className: 'sg-ExecutorsPopup-gpu', attrs: { 'aria-live': 'off' } });
    node.append(
      h('div', { className: 'sg-ExecutorsPopup-header' }, h('div', { className: 'sg-ExecutorsPopup-heading' }, title, this._summary), this._close),
      this._pendingReason,
      this._body,
      this._gpu
    );
  }

  /** The element the popup is anchored to. */
  readonly anchor: HTMLElement;
  readonly clusterId: string;

  /** Attaches, positions and focuses the popup, and starts following the store. */
  open(): void {
    this._returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this._store.changed.connect(this._onChanged, this);
    this._store.gpu.changed.connect(this._onGpu, this);
    this._render(true);
    Widget.attach(this, document.body);
    this._position();
    document.addEventListener('keydown', this._onKeydown, true);
    document.addEventListener('pointerdown', this._onPointerdown, true);
    window.addEventListener('resize', this._onResize);
    this._close.focus();
  }

  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    const hadFocus = this.node.contains(document.activeElement) || document.activeElement === document.body;
    document.removeEventListener('keydown', this._onKeydown, true);
    document.removeEventListener('pointerdown', this._onPointerdown, true);
    window.removeEventListener('resize', this._onResize);
    this._store.changed.disconnect(this._onChanged, this);
    this._store.gpu.changed.disconnect(this._onGpu, this);
    if (Private.open.current === this) {
      Private.open.current = null;
    }
    super.dispose();
    if (hadFocus) {
      const target = [this.anchor, this._returnFocus].find(el => el?.isConnected);
      target?.focus();
    }
  }

  private _onChanged(): void {
    this._render(false);
  }

  private _onGpu(_: unknown, kernelId: string | null): void {
    const cluster = this._store.get(this.clusterId);
    if (cluster && (kernelId === null || kernelId === cluster.kernelId)) {
      this._renderGpu(cluster);
      this._position();
    }
  }

  /** The cluster's live GPU use (`gpu:metrics`): one row per executor and GPU, or why there is none. */
  private _renderGpu(cluster: IClusterModel | null): void {
    const section = cluster ? gpuSection(cluster, this._store.gpu.view(cluster.kernelId), this._trans) : null;
    this._gpu.hidden = section === null;
    replaceChildren(this._gpu, section ? Private.gpuTable(section, this._trans) : null);
  }

  /** Re-renders the rows when this cluster's model changed (the store signals any cluster's change). */
  private _render(force: boolean): void {
    const cluster = this._store.get(this.clusterId) ?? null;
    if (!force && cluster === this._rendered) {
      return;
    }
    this._rendered = cluster;
    const trans = this._trans;
    this._title.textContent = cluster ? trans.__('Executors of %1', cluster.displayName) : trans.__('Executors');
    this.node.setAttribute('aria-label', this._title.textContent);
    if (!cluster) {
      this._summary.textContent = '';
      this._pendingReason.hidden = true;
      replaceChildren(this._body, h('div', { className: 'sg-ExecutorsPopup-empty', text: trans.__('This cluster is gone.') }));
      this._renderGpu(null);
      return;
    }
    const header = executorsHeader(cluster, trans);
    this._summary.textContent = header.summary;
    this._pendingReason.hidden = header.pendingReason === null;
    this._pendingReason.textContent = header.pendingReason === null ? '' : trans.__('Pending: %1', header.pendingReason);
    replaceChildren(this._body, Private.table(cluster, trans));
    this._renderGpu(cluster);
    this._position();
  }

  /** Under the anchor, kept inside the window. */
  private _position(): void {
    // An anchor re-rendered away leaves the popup where it is (its rect would read 0, 0).
    if (!this.isAttached || !this.anchor.isConnected) {
      return;
    }
    const margin = 8;
    const a = this.anchor.getBoundingClientRect();
    const style = this.node.style;
    style.maxWidth = `${Math.max(200, window.innerWidth - 2 * margin)}px`;
    const width = this.node.offsetWidth;
    const height = this.node.offsetHeight;
    const left = Math.max(margin, Math.min(a.left, window.innerWidth - width - margin));
    const below = a.bottom + 4;
    const top = below + height + margin <= window.innerHeight || a.top - 4 - height < margin ? below : a.top - 4 - height;
    style.left = `${Math.round(left)}px`;
    style.top = `${Math.round(Math.max(margin, top))}px`;
    style.maxHeight = `${Math.max(120, window.innerHeight - Math.max(margin, top) - margin)}px`;
  }

  private readonly _onKeydown = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      this.dispose();
    } else if (event.key === 'Tab') {
      Private.trapTab(this.node, event);
    }
  };

  private readonly _onPointerdown = (event: PointerEvent): void => {
    const target = event.target as Node | null;
    // A press on the anchor is left to its click, which toggles the popup through openExecutorsPopup.
    if (target && (this.node.contains(target) || this.anchor.contains(target))) {
      return;
    }
    this.dispose();
  };

  private readonly _onResize = (): void => this._position();

  private readonly _store: ClusterStore;
  private readonly _trans: TranslationBundle;
  private readonly _title: HTMLElement;
  private readonly _summary: HTMLElement;
  private readonly _pendingReason: HTMLElement;
  private readonly _body: HTMLElement;
  private readonly _gpu: HTMLElement;
  private readonly _close: HTMLButtonElement;
  private _rendered: IClusterModel | null = null;
  private _returnFocus: HTMLElement | null = null;
}

namespace Private {
  /** The one open popup (opening another closes it). */
  export const open: { current: ExecutorsPopup | null } = { current: null };

  /** The rows as an ARIA table of divs: a row's reason spans the row under its cells. */
  export function table(cluster: IClusterModel, trans: TranslationBundle): HTMLElement {
    const rows = executorRows(cluster, trans);
    if (rows.length === 0) {
      return h('div', { className: 'sg-ExecutorsPopup-empty', text: trans.__('No executors yet.') });
    }
    const head = h(
      'div',
      { className: 'sg-ExecutorsPopup-columns', attrs: { role: 'row' } },
      ...executorColumns(trans).map(text => h('div', { className: 'sg-ExecutorsPopup-column', text, attrs: { role: 'columnheader' } }))
    );
    const cell = (className: string, text: string, extra?: Node) =>
      h('div', { className: `sg-ExecutorsPopup-cell ${className}`, attrs: { role: 'cell' } }, text, extra);
    const body = rows.map(r => {
      const addresses = r.gpuAddresses ? h('span', { className: 'sg-ExecutorsPopup-gpus', text: r.gpuAddresses, title: trans.__('GPU addresses') }) : undefined;
      const gpus = cell('sg-ExecutorsPopup-gpuCell', r.gpus, addresses);
      return h(
        'div',
        { className: 'sg-ExecutorsPopup-row', attrs: { role: 'row', 'data-state': r.state, 'data-pod': r.pod, 'data-executor': r.executorId } },
        cell('sg-ExecutorsPopup-id', r.id),
        cell('sg-ExecutorsPopup-pod', r.podText),
        cell('sg-ExecutorsPopup-node', r.node),
        cell(`sg-ExecutorsPopup-state sg-mod-${r.state}`, r.stateLabel),
        cell('sg-ExecutorsPopup-num', r.cores),
        gpus,
        cell('sg-ExecutorsPopup-num', r.tasksActive),
        cell('sg-ExecutorsPopup-num', r.tasksCompleted),
        cell('sg-ExecutorsPopup-num sg-ExecutorsPopup-failed', r.tasksFailed),
        r.reason ? h('div', { className: 'sg-ExecutorsPopup-reason', text: r.reason, attrs: { role: 'cell' } }) : null
      );
    });
    return h('div', { className: 'sg-ExecutorsPopup-table', attrs: { role: 'table', 'aria-label': trans.__('Executors') } }, head, ...body);
  }

  /** The GPU section: a heading with the time of the numbers, then rows (a bar per utilisation) or a sentence. */
  export function gpuTable(section: NonNullable<ReturnType<typeof gpuSection>>, trans: TranslationBundle): HTMLElement {
    const heading = h(
      'div',
      { className: 'sg-ExecutorsPopup-gpuHeading' },
      h('span', { className: 'sg-ExecutorsPopup-gpuTitle', text: section.heading }),
      section.updated ? h('span', { className: 'sg-ExecutorsPopup-gpuUpdated', text: section.updated }) : null
    );
    if (section.rows.length === 0) {
      const note = h('div', { className: `sg-ExecutorsPopup-gpuNote${section.warn ? ' sg-mod-warn' : ''}`, text: section.message ?? '' });
      return h('div', { className: 'sg-ExecutorsPopup-gpuSection' }, heading, note);
    }
    const head = h(
      'div',
      { className: 'sg-ExecutorsPopup-columns', attrs: { role: 'row' } },
      ...gpuColumns(trans).map(text => h('div', { className: 'sg-ExecutorsPopup-column', text, attrs: { role: 'columnheader' } }))
    );
    const cell = (className: string, text: string, extra?: Node, title?: string) =>
      h('div', { className: `sg-ExecutorsPopup-cell ${className}`, title, attrs: { role: 'cell' } }, text, extra);
    const rows = section.rows.map(r => {
      const bar =
        r.utilPercent === null
          ? undefined
          : h('span', { className: 'sg-ExecutorsPopup-utilBar', attrs: { 'aria-hidden': 'true' } }, h('span', { attrs: { style: `width:${r.utilPercent}%` } }));
      return h(
        'div',
        { className: 'sg-ExecutorsPopup-row', attrs: { role: 'row', 'data-pod': r.pod, 'data-gpu': r.gpu } },
        cell('sg-ExecutorsPopup-id', r.executor),
        cell('sg-ExecutorsPopup-pod', r.pod),
        cell('sg-ExecutorsPopup-num', r.gpu, undefined, r.gpuTitle),
        cell('sg-ExecutorsPopup-num sg-ExecutorsPopup-util', r.util, bar),
        cell('sg-ExecutorsPopup-num', r.memory),
        cell('sg-ExecutorsPopup-num', r.power)
      );
    });
    return h(
      'div',
      { className: 'sg-ExecutorsPopup-gpuSection' },
      heading,
      h('div', { className: 'sg-ExecutorsPopup-gpuTable', attrs: { role: 'table', 'aria-label': section.heading } }, head, ...rows)
    );
  }

  /** Keeps Tab and Shift+Tab among the popup's focusable elements (it is modal). */
  export function trapTab(root: HTMLElement, event: KeyboardEvent): void {
    const focusable = [...root.querySelectorAll<HTMLElement>('button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])')].filter(
      el => !el.hasAttribute('disabled')
    );
    if (focusable.length === 0) {
      event.preventDefault();
      root.focus();
      return;
    }
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    const active = document.activeElement;
    if (!root.contains(active)) {
      event.preventDefault();
      first.focus();
    } else if (event.shiftKey && (active === first || active === root)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  }
}
