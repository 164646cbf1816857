import { describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { fairTurn, SLICE_MS } from '../../../../server/src/kernels/channels/fairness.js';

describe('kernels/channels/fairness', () => {
  describe('#fairTurn()', () => {
    it('should let a short burst run and make a long one yield to the event loop', async () => {
      await new Promise(resolve => setImmediate(resolve)); // start from a fresh turn
      expect(fairTurn()).toBeUndefined();
      expect(fairTurn()).toBeUndefined();
      const until = performance.now() + SLICE_MS + 1;
      while (performance.now() < until) {
        // busy: a backlog being relayed
      }
      const turn = fairTurn();
      expect(turn).toBeInstanceOf(Promise);
      let timerRan = false;
      setTimeout(() => (timerRan = true), 0);
      await turn;
      await new Promise(resolve => setImmediate(resolve));
      expect(timerRan).toBe(true);
      // After the loop turned, a new slice starts.
      expect(fairTurn()).toBeUndefined();
    });
  });
});
