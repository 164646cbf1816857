import { describe, expect, it } from '@jest/globals';
import { relativeLocation } from '../../../../../server/src/api/sparkgate/sparkUi.js';

describe('api/sparkgate/sparkUi', () => {
  describe('#relativeLocation()', () => {
    it('should make Spark redirects relative to the request', () => {
      expect(relativeLocation('/', '/jobs/')).toBe('jobs/');
      expect(relativeLocation('/jobs', '/jobs/')).toBe('jobs/');
      expect(relativeLocation('/stages/stage/', '/stages/')).toBe('../');
      expect(relativeLocation('/jobs/', '/jobs/')).toBe('./');
      expect(relativeLocation('/a/b', '/c')).toBe('../c');
    });
  });
});
