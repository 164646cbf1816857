/**
 * The Spark progress of one cell run, drawn under the cell's output area: each job with its
 * stages and a task bar while the cell runs, folded to a one-line summary after.
 */

import { Widget } from '@lumino/widgets';

import { h, replaceChildren } from '../dom';
import { sparkUiUrl } from '../urls';
import {
  barLabel,
  barPercents,
  countsText,
  formatElapsed,
  hiddenText,
  jobStatusLabel,
  jobTitle,
  orderJobs,
  orderStages,
  runningTitle,
  spanMs,
  stageStatusLabel,
  summaryText,
  waitingText
} from './format';
import type { ICellJob, ICellProgress, ICellStage, ITaskCounts, ITrans } from './types';

/** How often running elapsed times are redrawn. */
const TICK_MS = 1000;

/** Makes each view's body id unique, for the toggle's `aria-controls`. */
let nextBodyId = 0;

/**
 * One cell run's Spark jobs.
 *
 * #### Notes
 * It lives in the cell's layout, not in its output model, so nothing of it is saved with the
 * notebook; "Keep in notebook" hands the summary to `onKeep`, which appends a normal output.
 * The header (fold toggle, title, keep button) is built once so focus survives updates; only the
 * job list is redrawn per event, and a 1 s timer (running and unfolded only) redraws elapsed times.
 */
export class CellProgressView extends Widget {
  constructor(options: CellProgressView.IOptions) {
    super();
    this.addClass('sg-CellProgress');
    this._msgId = options.msgId;
    this._baseUrl = options.baseUrl;
    this._trans = options.trans;
    this._onKeep = options.onKeep;
    this._locale = options.locale;
    this.node.dataset.cell = options.msgId;

    const trans = this._trans;
    const bodyId = `sg-CellProgress-body-${nextBodyId++}`;
    this._toggle = h('button', {
      className: 'sg-CellProgress-toggle',
      title: trans.__('Show or hide the Spark jobs of this cell'),
      attrs: { type: 'button', 'aria-controls': bodyId, 'aria-expanded': 'true' }
    });
    this._toggle.append(h('span', { className: 'sg-CellProgress-caret', attrs: { 'aria-hidden': 'true' } }), h('span', { text: trans.__('Spark') }));
    this._toggle.addEventListener('click', () => this._setExpanded(!this._expanded));
    this._heading = h('span', { className: 'sg-CellProgress-title' });
    this._keep = h('button', {
      className: 'sg-CellProgress-keep',
      text: trans.__('Keep in notebook'),
      title: trans.__('Add this summary to the cell outputs, so it is saved with the notebook'),
      attrs: { type: 'button' }
    });
    this._keep.addEventListener('click', () => this._keepSummary());
    this._keep.hidden = true;
    this._waiting = h('div', { className: 'sg-CellProgress-waiting', attrs: { role: 'status' } });
    this._waiting.hidden = true;
    this._body = h('div', { className: 'sg-CellProgress-body', attrs: { id: bodyId } });
    this.node.append(h('div', { className: 'sg-CellProgress-header' }, this._toggle, this._heading, this._keep), this._waiting, this._body);
  }

  /** The `msg_id` of the `execute_request` this view shows. */
  get msgId(): string {
    return this._msgId;
  }

  /** The last progress shown, if any. */
  get progress(): ICellProgress | null {
    return this._progress;
  }

  /** Whether the cell's Spark work is still running (no final event yet). */
  get isRunning(): boolean {
    return this._progress?.running ?? true;
  }

  /** Whether the job list is shown (unfolded). */
  get expanded(): boolean {
    return this._expanded;
  }

  /**
   * Shows a new snapshot of the cell's jobs. The first final one (`running: false`) folds the
   * view to its summary; the user may unfold it again.
   */
  setProgress(progress: ICellProgress): void {
    if (this.isDisposed) {
      return;
    }
    const wasRunning = this.isRunning;
    this._progress = progress;
    if (!progress.running) {
      this._endedAt ??= Date.now();
    }
    if (wasRunning && !progress.running) {
      this._expanded = false;
    }
    this._render();
  }

  /**
   * Ends a run whose final event will not come (the kernel restarted or changed): folds what
   * is known as final.
   */
  finish(): void {
    if (this._progress && this._progress.running) {
      this.setProgress({ ...this._progress, running: false, waiting: null });
    }
  }

  /** Stops the elapsed timer with the widget. */
  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._setTimer(false);
    super.dispose();
  }

  private _setExpanded(expanded: boolean): void {
    this._expanded = expanded;
    this._render();
  }

  private _now(): number {
    return this.isRunning ? Date.now() : (this._endedAt ?? Date.now());
  }

  private _render(): void {
    const p = this._progress;
    if (!p || this.isDisposed) {
      return;
    }
    const trans = this._trans;
    const running = p.running;
    this.toggleClass('sg-mod-running', running);
    this.toggleClass('sg-mod-done', !running);
    this.toggleClass('sg-mod-folded', !this._expanded);
    this.toggleClass('sg-mod-failed', p.jobs.some(j => j.status === 'failed'));
    this._toggle.setAttribute('aria-expanded', String(this._expanded));
    this._toggle.setAttribute('aria-label', this._expanded ? trans.__('Hide Spark jobs') : trans.__('Show Spark jobs'));

    // Folded or not, a finished run's header is its summary line.
    this._heading.className = running ? 'sg-CellProgress-title' : 'sg-CellProgress-summary';
    this._keep.hidden = running;

    const waiting = running ? p.waiting : null;
    this._waiting.hidden = !waiting;
    this._waiting.textContent = waiting ? waitingText(waiting, trans) : '';

    this._body.hidden = !this._expanded;
    this._elapsed = [];
    if (this._expanded) {
      this._renderJobs(p.jobs);
    } else {
      replaceChildren(this._body);
    }
    this._updateTimes();
    this._setTimer(running && this._expanded);
  }

  private _renderJobs(jobs: ICellJob[]): void {
    const { shown, hidden } = orderJobs(jobs);
    replaceChildren(
      this._body,
      hidden ? h('div', { className: 'sg-CellProgress-more', text: hiddenText(hidden, 'jobs', this._trans, this._locale) }) : null,
      ...shown.map(j => this._renderJob(j))
    );
  }

  private _renderJob(job: ICellJob): HTMLElement {
    const trans = this._trans;
    const url = sparkUiUrl(this._baseUrl, { sparkUi: job.uiPath });
    const elapsed = h('span', { className: 'sg-CellProgress-elapsed' });
    this._elapsed.push({ el: elapsed, job });
    const { shown, hidden } = orderStages(job.stages);
    return h(
      'div',
      { className: 'sg-CellProgress-job', attrs: { 'data-status': job.status, 'data-job': String(job.id) } },
      h(
        'div',
        { className: 'sg-CellProgress-jobHead' },
        h('span', { className: 'sg-CellProgress-jobName', text: jobTitle(job, trans), title: jobTitle(job, trans) }),
        h('span', { className: 'sg-CellProgress-jobStatus', text: jobStatusLabel(job.status, trans) }),
        this._renderBar(job.tasks, 'sg-CellProgress-bar', jobTitle(job, trans)),
        elapsed,
        url
          ? h('a', {
              className: 'sg-CellProgress-link',
              text: trans.__('Spark UI'),
              title: trans.__('Open job %1 in the Spark UI', job.id),
              attrs: { href: url, target: '_blank', rel: 'noopener' }
            })
          : null
      ),
      shown.length || hidden
        ? h(
            'ul',
            { className: 'sg-CellProgress-stages' },
            hidden ? h('li', { className: 'sg-CellProgress-more', text: hiddenText(hidden, 'stages', trans, this._locale) }) : null,
            ...shown.map(s => this._renderStage(s))
          )
        : null
    );
  }

  private _renderStage(stage: ICellStage): HTMLElement {
    const trans = this._trans;
    const name = stage.name ? trans.__('Stage %1: %2', stage.id, stage.name) : trans.__('Stage %1', stage.id);
    return h(
      'li',
      { className: 'sg-CellProgress-stage', attrs: { 'data-status': stage.status, 'data-stage': String(stage.id) } },
      h('span', { className: 'sg-CellProgress-stageName', text: name, title: name }),
      h('span', { className: 'sg-CellProgress-stageStatus', text: stageStatusLabel(stage.status, trans) }),
      this._renderBar(stage.tasks, 'sg-CellProgress-stageBar', name)
    );
  }

  /** A done/running/failed bar; its counts are attributes too, for tests and styling. */
  private _renderBar(tasks: ITaskCounts, className: string, what: string): HTMLElement {
    const pct = barPercents(tasks);
    const label = barLabel(tasks, this._trans, this._locale);
    return h(
      'div',
      {
        className,
        title: label,
        attrs: {
          role: 'progressbar',
          'aria-label': this._trans.__('%1 tasks', what),
          'aria-valuemin': '0',
          'aria-valuemax': String(tasks.total),
          'aria-valuenow': String(Math.min(tasks.done, tasks.total)),
          'aria-valuetext': label,
          'data-done': String(tasks.done),
          'data-running': String(tasks.running),
          'data-failed': String(tasks.failed),
          'data-total': String(tasks.total)
        }
      },
      h('span', { className: 'sg-CellProgress-barDone', attrs: { style: `width:${pct.done}%` } }),
      h('span', { className: 'sg-CellProgress-barRunning', attrs: { style: `width:${pct.running}%` } }),
      h('span', { className: 'sg-CellProgress-barFailed', attrs: { style: `width:${pct.failed}%` } }),
      h('span', { className: 'sg-CellProgress-barText', text: countsText(tasks, this._locale) })
    );
  }

  /** Redraws what depends on the clock: the header line and each job's elapsed time. */
  private _updateTimes(): void {
    const p = this._progress;
    if (!p) {
      return;
    }
    const now = this._now();
    this._heading.textContent = p.running ? runningTitle(p.jobs, now, this._trans, this._locale) : summaryText(p.jobs, now, this._trans, this._locale);
    for (const { el, job } of this._elapsed) {
      const ms = spanMs(job.submittedAt, job.completedAt, now);
      el.textContent = ms === null ? '' : formatElapsed(ms, this._trans);
    }
  }

  private _setTimer(on: boolean): void {
    if (on && this._timer === null) {
      this._timer = window.setInterval(() => this._updateTimes(), TICK_MS);
    } else if (!on && this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _keepSummary(): void {
    const p = this._progress;
    if (!p || this._kept) {
      return;
    }
    try {
      this._onKeep(p, this._now());
      this._kept = true;
      this._keep.disabled = true;
      this._keep.textContent = this._trans.__('Kept in notebook');
    } catch (err) {
      console.error(`sparkgate: could not keep the Spark summary: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private _msgId: string;
  private _baseUrl: string;
  private _trans: ITrans;
  private _locale: string | undefined;
  private _onKeep: (progress: ICellProgress, now: number) => void;
  private _progress: ICellProgress | null = null;
  private _endedAt: number | null = null;
  private _expanded = true;
  private _kept = false;
  private _timer: number | null = null;
  private _elapsed: { el: HTMLElement; job: ICellJob }[] = [];
  private _toggle: HTMLButtonElement;
  private _heading: HTMLElement;
  private _keep: HTMLButtonElement;
  private _waiting: HTMLElement;
  private _body: HTMLElement;
}

/** A namespace for CellProgressView statics. */
export namespace CellProgressView {
  /** Options of a CellProgressView. */
  export interface IOptions {
    /** The `msg_id` of the cell's `execute_request`. */
    msgId: string;
    /** Jupyter base URL, for the Spark UI links. */
    baseUrl: string;
    trans: ITrans;
    /** Stores the summary with the notebook (appends an output); `now` is the run's end. */
    onKeep: (progress: ICellProgress, now: number) => void;
    /** Number formatting locale; the browser's when omitted. */
    locale?: string;
  }
}
