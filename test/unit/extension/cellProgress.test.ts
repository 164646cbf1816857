import { describe, expect, it } from '@jest/globals';
import {
  barLabel,
  barPercents,
  cellSpanMs,
  cellTotals,
  countsText,
  escapeHtml,
  formatCount,
  formatElapsed,
  hiddenText,
  jobLine,
  keptOutput,
  orderJobs,
  orderStages,
  runningTitle,
  spanMs,
  summaryText,
  waitingText
} from '../../../extension/src/cells/format.js';
import type { ICellJob, ICellProgress, ICellStage, ITrans } from '../../../extension/src/cells/types.js';

/** The null translator's behaviour (JupyterLab `NullLanguageBundle`): `_n` puts `n` first. */
const trans: ITrans = {
  __: (msgid, ...args) => fmt(msgid, args),
  _n: (msgid, plural, n, ...args) => fmt(n === 1 ? msgid : plural, [n, ...args])
};

function fmt(s: string, args: unknown[]): string {
  return s.replace(/%(\d+)/g, (_, i: string) => String(args[Number(i) - 1]));
}

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

function stage(id: number, over: Partial<ICellStage> = {}): ICellStage {
  return { id, name: `stage ${id}`, status: 'complete', tasks: { done: 8, running: 0, failed: 0, total: 8 }, ...over };
}

function job(id: number, over: Partial<ICellJob> = {}): ICellJob {
  return {
    id,
    name: 'count at <stdin>:1',
    status: 'succeeded',
    submittedAt: at(0),
    completedAt: at(10),
    stages: [stage(id * 10)],
    tasks: { done: 8, running: 0, failed: 0, total: 8 },
    uiPath: `ui/k-1/jobs/job/?id=${id}`,
    ...over
  };
}

describe('extension/cells/format', () => {
  describe('#formatCount()', () => {
    it('should group thousands', () => {
      expect(formatCount(4096, 'en-US')).toBe('4,096');
      expect(formatCount(1234567, 'en-US')).toBe('1,234,567');
      expect(formatCount(12, 'en-US')).toBe('12');
    });
  });

  describe('#formatElapsed()', () => {
    it('should show seconds under a minute', () => {
      expect(formatElapsed(38_400, trans)).toBe('38 s');
      expect(formatElapsed(0, trans)).toBe('0 s');
    });

    it('should show minutes and seconds under an hour', () => {
      expect(formatElapsed(125_000, trans)).toBe('2 min 5 s');
      expect(formatElapsed(120_000, trans)).toBe('2 min');
    });

    it('should show hours and minutes past an hour', () => {
      expect(formatElapsed(3_780_000, trans)).toBe('1 h 3 min');
      expect(formatElapsed(7_200_000, trans)).toBe('2 h');
    });

    it('should read a negative span (clock skew) as 0 s', () => {
      expect(formatElapsed(-5000, trans)).toBe('0 s');
    });
  });

  describe('#spanMs()', () => {
    it('should measure to the end, or to now while running, and give null without a start', () => {
      expect(spanMs(at(0), at(38), T0 + 99_000)).toBe(38_000);
      expect(spanMs(at(0), null, T0 + 12_000)).toBe(12_000);
      expect(spanMs(null, at(5), T0)).toBeNull();
      expect(spanMs('not a date', null, T0)).toBeNull();
    });
  });

  describe('#cellSpanMs()', () => {
    it('should count wall clock from the first submission to the last completion', () => {
      // Jobs 1 and 2 overlap: 0-20 s and 10-38 s make 38 s, not 48 s.
      const jobs = [job(1, { submittedAt: at(0), completedAt: at(20) }), job(2, { submittedAt: at(10), completedAt: at(38) })];
      expect(cellSpanMs(jobs, T0 + 99_000)).toBe(38_000);
    });

    it('should run to now while a job has no end, and be null without timestamps', () => {
      expect(cellSpanMs([job(1, { completedAt: null, status: 'running' })], T0 + 7000)).toBe(7000);
      expect(cellSpanMs([job(1, { submittedAt: null })], T0)).toBeNull();
      expect(cellSpanMs([], T0)).toBeNull();
    });
  });

  describe('#barPercents()', () => {
    it('should split the bar into done, running and failed', () => {
      expect(barPercents({ done: 25, running: 10, failed: 5, total: 100 })).toEqual({ done: 25, running: 10, failed: 5 });
      expect(barPercents({ done: 1, running: 1, failed: 0, total: 3 })).toEqual({ done: 33.3, running: 33.3, failed: 0 });
    });

    it('should give an empty bar for no tasks', () => {
      expect(barPercents({ done: 0, running: 0, failed: 0, total: 0 })).toEqual({ done: 0, running: 0, failed: 0 });
    });

    it('should never overflow 100% when counts exceed the total (retried tasks)', () => {
      const p = barPercents({ done: 90, running: 20, failed: 10, total: 100 });
      expect(p.done).toBe(90);
      expect(p.done + p.running + p.failed).toBeLessThanOrEqual(100);
      expect(barPercents({ done: 150, running: 5, failed: 0, total: 100 })).toEqual({ done: 100, running: 0, failed: 0 });
    });
  });

  describe('#countsText()', () => {
    it('should show done/total with separators', () => {
      expect(countsText({ done: 1024, running: 8, failed: 0, total: 4096 }, 'en-US')).toBe('1,024/4,096');
    });
  });

  describe('#barLabel()', () => {
    it('should name done, running and failed tasks for screen readers', () => {
      expect(barLabel({ done: 12, running: 4, failed: 1, total: 40 }, trans, 'en-US')).toBe('12 of 40 tasks done, 4 running, 1 failed');
      expect(barLabel({ done: 1, running: 0, failed: 0, total: 1 }, trans, 'en-US')).toBe('1 of 1 task done');
    });
  });

  describe('#orderJobs()', () => {
    it('should order jobs by id (submission order)', () => {
      expect(orderJobs([job(3), job(1), job(2)]).shown.map(j => j.id)).toEqual([1, 2, 3]);
    });

    it('should keep the latest jobs and count the rest', () => {
      const jobs = Array.from({ length: 7 }, (_, i) => job(i));
      const { shown, hidden } = orderJobs(jobs, 5);
      expect(shown.map(j => j.id)).toEqual([2, 3, 4, 5, 6]);
      expect(hidden).toBe(2);
    });
  });

  describe('#orderStages()', () => {
    it('should order stages by id', () => {
      expect(orderStages([stage(5), stage(2), stage(4)]).shown.map(s => s.id)).toEqual([2, 4, 5]);
    });
  });

  describe('#cellTotals()', () => {
    it('should count a stage shared by two jobs once and sum the tasks', () => {
      const jobs = [
        job(1, { stages: [stage(1), stage(2)], tasks: { done: 16, running: 0, failed: 0, total: 16 } }),
        job(2, { stages: [stage(2, { status: 'skipped' }), stage(3)], tasks: { done: 16, running: 0, failed: 0, total: 16 }, status: 'failed' })
      ];
      expect(cellTotals(jobs)).toEqual({ jobs: 2, stages: 3, tasks: 32, failedJobs: 1 });
    });
  });

  describe('#summaryText()', () => {
    it('should read "3 jobs · 12 stages · 4,096 tasks · 38 s"', () => {
      const jobs = [0, 1, 2].map(j =>
        job(j, {
          submittedAt: at(j * 10),
          completedAt: at(j === 2 ? 38 : j * 10 + 9),
          stages: [0, 1, 2, 3].map(s => stage(j * 4 + s)),
          tasks: { done: j === 0 ? 2048 : 1024, running: 0, failed: 0, total: j === 0 ? 2048 : 1024 }
        })
      );
      expect(summaryText(jobs, T0 + 99_000, trans, 'en-US')).toBe('3 jobs · 12 stages · 4,096 tasks · 38 s');
    });

    it('should say so when the cell ended before any job started', () => {
      expect(summaryText([], T0, trans, 'en-US')).toBe('no Spark jobs ran');
    });

    it('should use the singular and name failed jobs', () => {
      const jobs = [job(1, { status: 'failed', submittedAt: at(0), completedAt: at(125), tasks: { done: 0, running: 0, failed: 1, total: 1 } })];
      expect(summaryText(jobs, T0, trans, 'en-US')).toBe('1 job · 1 stage · 1 task · 2 min 5 s · 1 failed');
    });
  });

  describe('#runningTitle()', () => {
    it('should count jobs, running jobs and time so far', () => {
      const jobs = [job(1), job(2, { status: 'running', completedAt: null })];
      expect(runningTitle(jobs, T0 + 12_000, trans, 'en-US')).toBe('2 jobs · 1 running · 12 s');
    });

    it('should say when no job has started yet', () => {
      expect(runningTitle([], T0, trans, 'en-US')).toBe('no jobs yet');
    });
  });

  describe('#waitingText()', () => {
    it('should say why the cell waits, in the scheduler’s words, without saying waiting twice', () => {
      expect(waitingText('waiting for executors: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu', trans)).toBe(
        'Waiting for executors: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu'
      );
      expect(waitingText('Initial job has not accepted any resources', trans)).toBe('Waiting: Initial job has not accepted any resources');
    });
  });

  describe('#hiddenText()', () => {
    it('should count what is not drawn', () => {
      expect(hiddenText(1200, 'jobs', trans, 'en-US')).toBe('1,200 earlier jobs not shown');
      expect(hiddenText(1, 'stages', trans, 'en-US')).toBe('1 earlier stage not shown');
    });
  });

  describe('#jobLine()', () => {
    it('should give status, tasks and elapsed of one job', () => {
      expect(jobLine(job(3, { completedAt: at(2) }), T0, trans, 'en-US')).toBe('Job 3: count at <stdin>:1 — succeeded · 8/8 tasks · 2 s');
    });
  });

  describe('#keptOutput()', () => {
    const progress: ICellProgress = { clusterId: 'k-1', cell: 'msg-1', running: false, waiting: null, jobs: [job(2), job(1, { name: 'a <b> & "c"' })] };

    it('should give the summary and one line per job as text/plain', () => {
      expect(keptOutput(progress, T0, trans, 'en-US')['text/plain']).toBe(
        [
          'Spark: 2 jobs · 2 stages · 16 tasks · 10 s',
          '  Job 1: a <b> & "c" — succeeded · 8/8 tasks · 10 s',
          '  Job 2: count at <stdin>:1 — succeeded · 8/8 tasks · 10 s'
        ].join('\n')
      );
    });

    it('should escape job names in text/html and carry no Spark UI links', () => {
      const html = keptOutput(progress, T0, trans, 'en-US')['text/html'];
      expect(html).toContain('<li>Job 1: a &lt;b&gt; &amp; &quot;c&quot; — succeeded · 8/8 tasks · 10 s</li>');
      expect(html).toContain('<strong>Spark: 2 jobs · 2 stages · 16 tasks · 10 s</strong>');
      expect(html).not.toContain('<b>');
      expect(html).not.toContain('href');
    });
  });

  describe('#escapeHtml()', () => {
    it('should escape the five HTML specials', () => {
      expect(escapeHtml(`<a href='x'>&"</a>`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;');
    });
  });
});
