import { describe, expect, it } from '@jest/globals';
import { assertCellProgress, isCellProgress, ValidationError } from '../../../extension/src/validate.js';
import type { ICellProgress } from '../../../extension/src/cells/types.js';

function progress(over: Partial<ICellProgress> = {}): ICellProgress {
  return {
    clusterId: 'k-1',
    cell: 'msg-1',
    running: true,
    waiting: null,
    jobs: [
      {
        id: 0,
        name: 'count at <stdin>:1',
        status: 'running',
        submittedAt: '2026-12-02T10:00:00.000Z',
        completedAt: null,
        stages: [{ id: 0, name: 'count at <stdin>:1', status: 'active', tasks: { done: 3, running: 2, failed: 0, total: 8 } }],
        tasks: { done: 3, running: 2, failed: 0, total: 8 },
        uiPath: 'ui/k-1/jobs/job/?id=0'
      }
    ],
    ...over
  };
}

describe('extension/validate (cell:progress)', () => {
  describe('#assertCellProgress()', () => {
    it('should accept the documented payload, running, waiting or final', () => {
      expect(() => assertCellProgress(progress())).not.toThrow();
      expect(isCellProgress(progress({ jobs: [], waiting: 'waiting for executors: 0/2 nodes are available' }))).toBe(true);
      expect(isCellProgress(progress({ running: false }))).toBe(true);
    });

    it('should name the bad field', () => {
      const bad = progress();
      (bad.jobs[0] as { status: string }).status = 'done';
      expect(() => assertCellProgress(bad)).toThrow(new ValidationError('progress.jobs[0].status must be one of running, succeeded, failed, unknown'));
      expect(() => assertCellProgress({ ...progress(), running: 'yes' })).toThrow(new ValidationError('progress.running must be a boolean'));
      expect(() => assertCellProgress({ ...progress(), waiting: undefined })).toThrow(new ValidationError('progress.waiting must be a string'));
    });

    it('should refuse task counts a bar cannot draw', () => {
      const neg = progress();
      neg.jobs[0]!.stages[0]!.tasks.running = -1;
      expect(() => assertCellProgress(neg)).toThrow(new ValidationError('progress.jobs[0].stages[0].tasks.running must not be negative'));
      const nan = progress();
      nan.jobs[0]!.tasks.total = Number.NaN;
      expect(isCellProgress(nan)).toBe(false);
    });

    it('should refuse a payload without jobs or cell id', () => {
      expect(isCellProgress({ clusterId: 'k-1', running: true, waiting: null, jobs: [] })).toBe(false);
      expect(isCellProgress({ ...progress(), jobs: null })).toBe(false);
      expect(isCellProgress(null)).toBe(false);
    });
  });
});
