import { describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { fairTurn, SLICE_MS } from '../../../../server/src/channels/fairness.js';

describe('channels/fairness', () => {
  describe('#fairTurn()', () => {
    it('should let a short burst run and make a long one yield to the event loop', async () => {
      // Start from a fresh turn (any earlier slice has been closed by its setImmediate).
      await new Promise(resolve => setImmediate(resolve));
      await new Promise(resolve => setImmediate(resolve));
      expect(fairTurn()).toBeUndefined();
      const until = performance.now() + SLICE_MS + 1;
      while (performance.now() < until) {
        // busy: a backlog being relayed
      }
      // Work others queued before the yield runs before the loop continues.
      let otherRan = false;
      setImmediate(() => (otherRan = true));
      const turn = fairTurn();
      expect(turn).toBeInstanceOf(Promise);
      await turn;
      expect(otherRan).toBe(true);
      await new Promise(resolve => setImmediate(resolve));
      // After the loop turned, a new slice starts.
      expect(fairTurn()).toBeUndefined();
    });
  });
});
