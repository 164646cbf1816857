/**
 * Pure presentation of per-cell Spark progress: ordering, bar widths, elapsed time, the folded
 * summary line and the output "Keep in notebook" stores. No DOM, no clock (callers pass `now`).
 */

import type { ICellJob, ICellProgress, ICellStage, ITaskCounts, ITrans } from './types';

/** Jobs drawn under one cell; a cell looping over thousands of jobs shows the latest ones. */
export const MAX_JOBS_SHOWN = 50;

/** Stages drawn under one job. */
export const MAX_STAGES_SHOWN = 30;

/** A list cut to what is drawn, and how many were left out. */
export interface IShown<T> {
  shown: T[];
  hidden: number;
}

/** Bar segment widths in percent of the task total; their sum never exceeds 100. */
export interface IBarPercents {
  done: number;
  running: number;
  failed: number;
}

/** `4096` → `4,096` (in `locale`; the browser's when omitted). */
export function formatCount(n: number, locale?: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

/** `done/total`, the text the bar shows. */
export function countsText(tasks: ITaskCounts, locale?: string): string {
  return `${formatCount(tasks.done, locale)}/${formatCount(tasks.total, locale)}`;
}

/** `38 s`, `2 min 5 s`, `1 h 3 min`; negative spans (clock skew) read as 0 s. */
export function formatElapsed(ms: number, trans: ITrans): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) {
    return trans.__('%1 s', s);
  }
  if (s < 3600) {
    const sec = s % 60;
    return sec ? trans.__('%1 min %2 s', Math.floor(s / 60), sec) : trans.__('%1 min', Math.floor(s / 60));
  }
  const min = Math.floor((s % 3600) / 60);
  return min ? trans.__('%1 h %2 min', Math.floor(s / 3600), min) : trans.__('%1 h', Math.floor(s / 3600));
}

/** Milliseconds from `start` to `end`, or to `now` while there is no end; null without a start. */
export function spanMs(start: string | null, end: string | null, now: number): number | null {
  const from = start ? Date.parse(start) : NaN;
  if (Number.isNaN(from)) {
    return null;
  }
  const to = end ? Date.parse(end) : NaN;
  return (Number.isNaN(to) ? now : to) - from;
}

/**
 * How long the cell's Spark work took (or takes so far): first submission to last completion,
 * wall clock, so jobs running side by side are not counted twice.
 */
export function cellSpanMs(jobs: readonly ICellJob[], now: number): number | null {
  let first = Infinity;
  let last = -Infinity;
  for (const j of jobs) {
    const from = j.submittedAt ? Date.parse(j.submittedAt) : NaN;
    if (Number.isNaN(from)) {
      continue;
    }
    const to = j.completedAt ? Date.parse(j.completedAt) : NaN;
    first = Math.min(first, from);
    last = Math.max(last, Number.isNaN(to) ? now : to);
  }
  return first === Infinity ? null : last - first;
}

/** Widths of the done / running / failed segments, clamped so a bad count cannot overflow the bar. */
export function barPercents(tasks: ITaskCounts): IBarPercents {
  if (!(tasks.total > 0)) {
    return { done: 0, running: 0, failed: 0 };
  }
  const pct = (n: number): number => Math.round((Math.max(0, n) / tasks.total) * 1000) / 10;
  const done = Math.min(100, pct(tasks.done));
  const failed = Math.min(100 - done, pct(tasks.failed));
  const running = Math.min(Math.round((100 - done - failed) * 10) / 10, pct(tasks.running));
  return { done, running, failed };
}

/** Jobs in submission (id) order, cut to the latest `max`. */
export function orderJobs(jobs: readonly ICellJob[], max = MAX_JOBS_SHOWN): IShown<ICellJob> {
  const sorted = [...jobs].sort((a, b) => a.id - b.id);
  const hidden = Math.max(0, sorted.length - max);
  return { shown: sorted.slice(hidden), hidden };
}

/** Stages in id order, cut to the last `max`. */
export function orderStages(stages: readonly ICellStage[], max = MAX_STAGES_SHOWN): IShown<ICellStage> {
  const sorted = [...stages].sort((a, b) => a.id - b.id);
  const hidden = Math.max(0, sorted.length - max);
  return { shown: sorted.slice(hidden), hidden };
}

/** Totals over a cell's jobs; a stage shared by several jobs (skipped in the later ones) counts once. */
export function cellTotals(jobs: readonly ICellJob[]): { jobs: number; stages: number; tasks: number; failedJobs: number } {
  const stageIds = new Set<number>();
  let tasks = 0;
  let failedJobs = 0;
  for (const j of jobs) {
    j.stages.forEach(s => stageIds.add(s.id));
    tasks += Math.max(0, j.tasks.total);
    if (j.status === 'failed') {
      failedJobs++;
    }
  }
  return { jobs: jobs.length, stages: stageIds.size, tasks, failedJobs };
}

/** The folded one-liner: `3 jobs · 12 stages · 4,096 tasks · 38 s` (then `· 1 failed` if any). */
export function summaryText(jobs: readonly ICellJob[], now: number, trans: ITrans, locale?: string): string {
  if (!jobs.length) {
    // The cell waited (no executors) and ended before any job started.
    return trans.__('no Spark jobs ran');
  }
  const t = cellTotals(jobs);
  const parts = [
    trans._n('%2 job', '%2 jobs', t.jobs, formatCount(t.jobs, locale)),
    trans._n('%2 stage', '%2 stages', t.stages, formatCount(t.stages, locale)),
    trans._n('%2 task', '%2 tasks', t.tasks, formatCount(t.tasks, locale))
  ];
  const span = cellSpanMs(jobs, now);
  if (span !== null) {
    parts.push(formatElapsed(span, trans));
  }
  if (t.failedJobs) {
    parts.push(trans._n('%2 failed', '%2 failed', t.failedJobs, formatCount(t.failedJobs, locale)));
  }
  return parts.join(' · ');
}

/** The header while the cell runs (after the "Spark" toggle): `2 jobs · 1 running · 12 s`. */
export function runningTitle(jobs: readonly ICellJob[], now: number, trans: ITrans, locale?: string): string {
  if (!jobs.length) {
    return trans.__('no jobs yet');
  }
  const running = jobs.filter(j => j.status === 'running').length;
  const parts = [trans._n('%2 job', '%2 jobs', jobs.length, formatCount(jobs.length, locale))];
  if (running) {
    parts.push(trans._n('%2 running', '%2 running', running, formatCount(running, locale)));
  }
  const span = cellSpanMs(jobs, now);
  if (span !== null) {
    parts.push(formatElapsed(span, trans));
  }
  return parts.join(' · ');
}

/** Accessible name of a task bar: `12 of 40 tasks done, 4 running, 1 failed`. */
export function barLabel(tasks: ITaskCounts, trans: ITrans, locale?: string): string {
  const parts = [trans._n('%2 of %3 task done', '%2 of %3 tasks done', tasks.total, formatCount(tasks.done, locale), formatCount(tasks.total, locale))];
  if (tasks.running) {
    parts.push(trans.__('%1 running', formatCount(tasks.running, locale)));
  }
  if (tasks.failed) {
    parts.push(trans.__('%1 failed', formatCount(tasks.failed, locale)));
  }
  return parts.join(', ');
}

/** A job's heading: `Job 3: count at <stdin>:1` (the name is Spark's call site). */
export function jobTitle(job: ICellJob, trans: ITrans): string {
  return job.name ? trans.__('Job %1: %2', job.id, job.name) : trans.__('Job %1', job.id);
}

/** A job status in words. */
export function jobStatusLabel(status: ICellJob['status'], trans: ITrans): string {
  switch (status) {
    case 'running':
      return trans.__('running');
    case 'succeeded':
      return trans.__('succeeded');
    case 'failed':
      return trans.__('failed');
    case 'unknown':
      return trans.__('unknown');
  }
}

/** A stage status in words. */
export function stageStatusLabel(status: ICellStage['status'], trans: ITrans): string {
  switch (status) {
    case 'pending':
      return trans.__('pending');
    case 'active':
      return trans.__('active');
    case 'complete':
      return trans.__('complete');
    case 'failed':
      return trans.__('failed');
    case 'skipped':
      return trans.__('skipped');
  }
}

/**
 * The waiting line: why the cell's Spark work does not start, in the scheduler's or Spark's words.
 * A reason that already says "waiting …" is shown as is (capitalized), others get a label.
 */
export function waitingText(waiting: string, trans: ITrans): string {
  const reason = waiting.trim();
  if (/^waiting\b/i.test(reason)) {
    return reason.charAt(0).toUpperCase() + reason.slice(1);
  }
  return trans.__('Waiting: %1', reason);
}

/** `12 earlier jobs not shown`. */
export function hiddenText(hidden: number, what: 'jobs' | 'stages', trans: ITrans, locale?: string): string {
  return what === 'jobs'
    ? trans._n('%2 earlier job not shown', '%2 earlier jobs not shown', hidden, formatCount(hidden, locale))
    : trans._n('%2 earlier stage not shown', '%2 earlier stages not shown', hidden, formatCount(hidden, locale));
}

/** One job as a line of text: `Job 3: count at <stdin>:1 — succeeded · 40/40 tasks · 2 s`. */
export function jobLine(job: ICellJob, now: number, trans: ITrans, locale?: string): string {
  const parts = [jobStatusLabel(job.status, trans), trans.__('%1 tasks', countsText(job.tasks, locale))];
  const span = spanMs(job.submittedAt, job.completedAt, now);
  if (span !== null) {
    parts.push(formatElapsed(span, trans));
  }
  return `${jobTitle(job, trans)} — ${parts.join(' · ')}`;
}

/**
 * What "Keep in notebook" appends as a normal output (`display_data`): the summary and one line
 * per job, as text/plain and text/html. No Spark UI links: they die with the cluster, and a saved
 * notebook is shared.
 */
export function keptOutput(progress: ICellProgress, now: number, trans: ITrans, locale?: string): { 'text/plain': string; 'text/html': string } {
  const { shown, hidden } = orderJobs(progress.jobs);
  const summary = trans.__('Spark: %1', summaryText(progress.jobs, now, trans, locale));
  const lines = shown.map(j => jobLine(j, now, trans, locale));
  if (hidden) {
    lines.unshift(hiddenText(hidden, 'jobs', trans, locale));
  }
  const plain = [summary, ...lines.map(l => `  ${l}`)].join('\n');
  const html =
    `<div class="sg-CellProgress-kept"><div><strong>${escapeHtml(summary)}</strong></div>` +
    (lines.length ? `<ul>${lines.map(l => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : '') +
    '</div>';
  return { 'text/plain': plain, 'text/html': html };
}

/** Escapes text for HTML (job names are user code call sites: `<stdin>`, quotes). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, c => Private.ENTITIES[c] ?? c);
}

namespace Private {
  export const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
}
