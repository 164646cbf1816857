// The rules of a kernel's state transitions (issue 12, item 1: one mutator).
import { describe, expect, it } from '@jest/globals';
import { applyPatch, INITIAL_STATE } from '../../../../server/src/kernels/state.js';

describe('kernels/state', () => {
  describe('applyPatch()', () => {
    it('should return null for a patch that changes nothing', () => {
      expect(applyPatch(INITIAL_STATE, {})).toBeNull();
      expect(applyPatch(INITIAL_STATE, { state: 'starting', phase: 'requested' })).toBeNull();
    });

    it('should reset the reason with every new state and the detail with every new phase', () => {
      const dead = applyPatch(INITIAL_STATE, { state: 'dead', reason: 'boom', phase: 'pulling', phaseDetail: 'image' });
      expect(dead).toMatchObject({ state: 'dead', reason: 'boom', phase: 'pulling', phaseDetail: 'image' });
      expect(applyPatch(dead!, { state: 'restarting', phase: 'starting' })).toMatchObject({ reason: null, phaseDetail: null });
    });

    it('should keep a dead kernel dead except for a restart or a start', () => {
      const dead = applyPatch(INITIAL_STATE, { state: 'dead', reason: 'gone' })!;
      expect(applyPatch(dead, { state: 'idle' })).toBeNull();
      expect(applyPatch(dead, { state: 'busy' })).toBeNull();
      expect(applyPatch(dead, { state: 'restarting' })?.state).toBe('restarting');
      expect(applyPatch(dead, { state: 'starting' })?.state).toBe('starting');
    });

    it('should compare job progress by value', () => {
      const job = { id: 1, name: 'count', stages: { done: 0, total: 1 }, tasks: { done: 0, running: 1, total: 2 } };
      const running = applyPatch(INITIAL_STATE, { job })!;
      expect(applyPatch(running, { job: { ...job } })).toBeNull();
      expect(applyPatch(running, { job: null })?.job).toBeNull();
    });

    it('should end the running cell at its own idle only, and at a death or (re)start', () => {
      const idle = applyPatch(INITIAL_STATE, { state: 'idle' })!;
      const running = applyPatch(idle, { state: 'busy', cell: 'm1' })!;
      expect(running.cell).toBe('m1');
      // Another request's idle (a control message mid-cell) leaves the cell running.
      expect(applyPatch(running, { state: 'idle' })?.cell).toBe('m1');
      expect(applyPatch(running, { state: 'idle', cell: null })?.cell).toBeNull();
      for (const state of ['dead', 'restarting', 'starting'] as const) {
        expect([state, applyPatch(running, { state })?.cell]).toEqual([state, null]);
      }
    });

    it('should compare cell progress by value', () => {
      const progress = { clusterId: 'k1', cell: 'm1', jobs: [], running: true, waiting: null };
      const shown = applyPatch(INITIAL_STATE, { cellProgress: progress })!;
      expect(applyPatch(shown, { cellProgress: { ...progress } })).toBeNull();
      expect(applyPatch(shown, { cellProgress: { ...progress, running: false } })?.cellProgress?.running).toBe(false);
    });
  });
});
