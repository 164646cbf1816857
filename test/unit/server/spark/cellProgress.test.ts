// One cell's Spark work from Spark's REST answers (issue 16, item 1): jobs belong to a cell by the
// tag the kernel gives them (cellTag of the execute_request's msg_id), so two cells never mix;
// stages and tasks as the cell shows them; bounded to MAX_JOBS jobs and MAX_STAGES stages.
import { describe, expect, it } from '@jest/globals';
import { cellTag, CellWork, isoTime, MAX_JOBS, MAX_STAGES } from '../../../../server/src/spark/cellProgress.js';
import type { SparkJob, SparkStage } from '../../../../server/src/spark/restClient.js';

const CELL = 'a1b2c3d4-0000-4000-8000-000000000001';
const OTHER = 'a1b2c3d4-0000-4000-8000-000000000002';

function job(id: number, cell: string | null, over: Partial<SparkJob> = {}): SparkJob {
  return {
    jobId: id,
    name: `count at <ipython-input>:${id}`,
    status: 'RUNNING',
    submissionTime: '2026-12-03T00:03:40.045GMT',
    jobTags: cell === null ? [] : ['user-tag', cellTag(cell)],
    numTasks: 10,
    numActiveTasks: 2,
    numCompletedTasks: 3,
    numCompletedIndices: 3,
    numSkippedTasks: 0,
    numFailedTasks: 1,
    numCompletedStages: 0,
    numSkippedStages: 0,
    stageIds: [id * 10, id * 10 + 1],
    ...over
  };
}

function stage(id: number, status: string, over: Partial<SparkStage> = {}): SparkStage {
  return { stageId: id, attemptId: 0, name: `stage ${id}`, status, numTasks: 4, numActiveTasks: 2, numCompleteTasks: 1, numFailedTasks: 0, ...over };
}

describe('spark/cellProgress', () => {
  describe('cellTag()', () => {
    it('should use a plain msg_id as it is and hash any other into a tag without commas', () => {
      expect(cellTag(CELL)).toBe(`sparkgate-cell-${CELL}`);
      expect(cellTag('90e62606-8e883c77ae5282b4647c5dec_20625_1')).toBe('sparkgate-cell-90e62606-8e883c77ae5282b4647c5dec_20625_1');
      const odd = cellTag('a,b c');
      expect(odd).toMatch(/^sparkgate-cell-h-[0-9a-f]{32}$/);
      expect([cellTag('a,b c'), cellTag('a,b d') === odd, cellTag('x'.repeat(129)).length]).toEqual([odd, false, 'sparkgate-cell-h-'.length + 32]);
    });
  });

  describe('CellWork', () => {
    it('should turn REST answers into the cell’s jobs with stages, tasks, times and UI links', () => {
      const work = new CellWork('k1', CELL);
      work.addJobs([job(3, CELL)]);
      work.addStages([stage(30, 'COMPLETE', { numActiveTasks: 0, numCompleteTasks: 4 }), stage(31, 'ACTIVE')]);
      expect(work.progress(true, null)).toEqual({
        clusterId: 'k1',
        cell: CELL,
        running: true,
        waiting: null,
        jobs: [
          {
            id: 3,
            name: 'count at <ipython-input>:3',
            status: 'running',
            submittedAt: '2026-12-03T00:03:40.045Z',
            completedAt: null,
            uiPath: 'ui/k1/jobs/job/?id=3',
            tasks: { done: 3, running: 2, failed: 1, total: 10 },
            stages: [
              { id: 30, name: 'stage 30', status: 'complete', tasks: { done: 4, running: 0, failed: 0, total: 4 } },
              { id: 31, name: 'stage 31', status: 'active', tasks: { done: 1, running: 2, failed: 0, total: 4 } }
            ]
          }
        ]
      });
    });

    it('should show an ended job’s unrun stages as skipped and no task of it as running', () => {
      const work = new CellWork('k1', CELL);
      work.addJobs([job(1, CELL, { status: 'SUCCEEDED', completionTime: '2026-12-03T00:03:45.000GMT', numActiveTasks: 2, numSkippedTasks: 4, numCompletedIndices: 6 })]);
      work.addStages([stage(10, 'COMPLETE', { numActiveTasks: 0, numCompleteTasks: 4 })]);
      const [done] = work.progress(false, null).jobs;
      expect(done).toMatchObject({ status: 'succeeded', completedAt: '2026-12-03T00:03:45.000Z', tasks: { done: 10, running: 0, failed: 1, total: 10 } });
      expect(done?.stages.map(s => [s.id, s.status, s.tasks.done])).toEqual([
        [10, 'complete', 4],
        [11, 'skipped', 0]
      ]);
    });

    it('should keep only the jobs tagged with its own cell (two cells never mix)', () => {
      const mine = new CellWork('k1', CELL);
      const theirs = new CellWork('k1', OTHER);
      const answer = [job(1, CELL), job(2, OTHER), job(3, null), { ...job(4, null), jobTags: undefined }];
      mine.addJobs(answer);
      theirs.addJobs(answer);
      expect([mine.progress(true, null).jobs.map(j => j.id), theirs.progress(true, null).jobs.map(j => j.id)]).toEqual([[1], [2]]);
      // A tag that merely starts like the cell's is another cell's.
      const prefix = new CellWork('k1', CELL.slice(0, 20));
      prefix.addJobs(answer);
      expect(prefix.progress(true, null).jobs).toEqual([]);
    });

    it('should keep the newest MAX_JOBS jobs and MAX_STAGES stages, the newest jobs’ first', () => {
      const work = new CellWork('k1', CELL);
      work.addJobs(Array.from({ length: 30 }, (_, i) => job(i, CELL, { stageIds: [i * 10, i * 10 + 1, i * 10 + 2] })));
      const { jobs } = work.progress(true, null);
      expect(jobs.map(j => j.id)).toEqual(Array.from({ length: MAX_JOBS }, (_, i) => i + 10));
      expect(jobs.reduce((n, j) => n + j.stages.length, 0)).toBe(MAX_STAGES);
      expect(jobs[0]?.stages).toEqual([]);
      expect(jobs[MAX_JOBS - 1]?.stages.map(s => s.id)).toEqual([290, 291, 292]);
      // Stage answers of stages not shown are not kept, nor asked.
      expect(work.stagesToAsk(new Set())).toHaveLength(MAX_STAGES);
      expect(work.stagesToAsk(new Set()).includes(100)).toBe(false);
    });

    it('should ask stages one by one only when not listed and not final, and give up on one Spark does not know', () => {
      const work = new CellWork('k1', CELL);
      work.addJobs([job(1, CELL, { stageIds: [10, 11, 12] })]);
      work.addStages([stage(10, 'COMPLETE'), stage(11, 'ACTIVE')]);
      expect(work.stagesToAsk(new Set([11]))).toEqual([12]);
      expect(work.stagesToAsk(new Set())).toEqual([11, 12]);
      for (let i = 0; i < 3; i++) {
        work.stageUnanswered(12);
      }
      expect(work.stagesToAsk(new Set())).toEqual([11]);
      // The newest attempt of a stage wins.
      work.addStages([stage(11, 'FAILED', { attemptId: 0 }), stage(11, 'ACTIVE', { attemptId: 1 })]);
      expect(work.progress(true, null).jobs[0]?.stages[1]?.status).toBe('active');
    });

    it('should tell the running jobs, their tasks, and which ended since the last answer', () => {
      const work = new CellWork('k1', CELL);
      work.addJobs([job(1, CELL), job(2, CELL, { numActiveTasks: 0 })]);
      expect([work.running, work.tasksRunning(), work.endedJobIds([job(2, CELL)])]).toEqual([true, 2, [1]]);
      work.addJobs([job(1, CELL, { status: 'FAILED' }), job(2, CELL, { status: 'SUCCEEDED' })]);
      expect([work.running, work.tasksRunning(), work.progress(false, null).jobs.map(j => j.status)]).toEqual([false, 0, ['failed', 'succeeded']]);
    });
  });

  describe('isoTime()', () => {
    it('should read Spark’s GMT times and refuse anything else', () => {
      expect([isoTime('2026-12-03T00:03:40.045GMT'), isoTime(undefined), isoTime('soon')]).toEqual(['2026-12-03T00:03:40.045Z', null, null]);
    });
  });
});
