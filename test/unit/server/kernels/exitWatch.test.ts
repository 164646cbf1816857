import { describe, expect, it } from '@jest/globals';
import { deathReason } from '../../../../server/src/kernels/exitWatch.js';

describe('kernels/exitWatch', () => {
  describe('deathReason()', () => {
    it('should name the exit code, or else the signal, and the last three lines of the reason', () => {
      expect(deathReason({ code: 137, signal: null, reason: 'a\nb\nc\nKilled' })).toBe('kernel process ended (137): b c Killed');
      expect(deathReason({ code: null, signal: 'SIGKILL', reason: 'gone' })).toBe('kernel process ended (SIGKILL): gone');
    });

    it('should leave out what is not known instead of printing null (a deleted pod has no exit code)', () => {
      expect(deathReason({ code: null, signal: null, reason: 'driver pod sg-1 was deleted' })).toBe('kernel process ended: driver pod sg-1 was deleted');
    });
  });
});
