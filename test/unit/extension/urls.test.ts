import { describe, expect, it } from '@jest/globals';
import { apiUrl, sparkUiUrl, statusSocketTarget } from '../../../extension/src/urls.js';

describe('extension/urls', () => {
  describe('#apiUrl()', () => {
    it('should put the API under <baseUrl>sparkgate/api', () => {
      expect(apiUrl('http://h:8888/', 'me')).toBe('http://h:8888/sparkgate/api/me');
      expect(apiUrl('http://h/user/alice/', 'clusters', 'a1')).toBe('http://h/user/alice/sparkgate/api/clusters/a1');
      expect(apiUrl('http://h/user/alice', 'clusters')).toBe('http://h/user/alice/sparkgate/api/clusters');
    });

    it('should encode path segments', () => {
      expect(apiUrl('http://h/', 'clusters', '../x')).toBe('http://h/sparkgate/api/clusters/..%2Fx');
    });
  });

  describe('#statusSocketTarget()', () => {
    it('should keep the base path out of the namespace', () => {
      expect(statusSocketTarget('http://h:8888/user/alice/')).toEqual({
        url: 'http://h:8888/status',
        path: '/user/alice/sparkgate/socket.io'
      });
      expect(statusSocketTarget('https://h/')).toEqual({ url: 'https://h/status', path: '/sparkgate/socket.io' });
    });
  });

  describe('#sparkUiUrl()', () => {
    it('should resolve the Spark UI under the sparkgate root', () => {
      expect(sparkUiUrl('http://h/base/', { sparkUi: 'ui/k-1/' })).toBe('http://h/base/sparkgate/ui/k-1/');
      expect(sparkUiUrl('http://h/base/', { sparkUi: null })).toBeNull();
    });

    it('should refuse paths that leave the sparkgate root', () => {
      expect(sparkUiUrl('http://h/', { sparkUi: '../api/kernels' })).toBeNull();
      expect(sparkUiUrl('http://h/', { sparkUi: 'https://evil.example/' })).toBeNull();
    });
  });
});
