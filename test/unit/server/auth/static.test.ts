import { describe, expect, it } from '@jest/globals';
import { Authenticator, tokenFrom } from '../../../../server/src/auth/authenticator.js';
import { sha256 } from '../../../../server/src/config/load.js';
import { AuthenticationError } from '../../../../server/src/errors.js';

describe('auth/authenticator', () => {
  const multi = new Authenticator({
    users: [
      { name: 'alice', tenant: 'a', tokenSha256: sha256('alice-token') },
      { name: 'bob', tenant: 'b', tokenSha256: sha256('bob-token') }
    ],
    singleUser: null
  });

  describe('#authenticate()', () => {
    it('should map each token to its user and tenant', () => {
      expect(multi.authenticate('alice-token')).toEqual({ user: 'alice', tenant: 'a' });
      expect(multi.authenticate('bob-token')).toEqual({ user: 'bob', tenant: 'b' });
    });

    it('should refuse missing, wrong and near-miss tokens', () => {
      expect(() => multi.authenticate(undefined)).toThrow(AuthenticationError);
      expect(() => multi.authenticate('')).toThrow(/missing token/);
      expect(() => multi.authenticate('alice-token ')).toThrow(/invalid token/);
      expect(() => multi.authenticate('alice-toke')).toThrow(/invalid token/);
    });

    it('should use the single-user identity when no users are configured', () => {
      const single = new Authenticator({ users: [], singleUser: { identity: { user: 'local', tenant: 'default' }, tokenSha256: sha256('t') } });
      expect(single.authenticate('t')).toEqual({ user: 'local', tenant: 'default' });
      expect(() => single.authenticate('u')).toThrow(AuthenticationError);
    });

    it('should not echo the presented token in its error', () => {
      expect(() => multi.authenticate('super-secret-value')).toThrow(expect.objectContaining({ message: 'invalid token' }));
    });
  });

  describe('#tokenFrom()', () => {
    it('should read "token" and "Bearer" schemes, then the query', () => {
      expect(tokenFrom('token abc', new URLSearchParams())).toBe('abc');
      expect(tokenFrom('Bearer abc', new URLSearchParams())).toBe('abc');
      expect(tokenFrom(undefined, new URLSearchParams('token=q'))).toBe('q');
      expect(tokenFrom('Basic dXNlcg==', new URLSearchParams('token=q'))).toBeUndefined();
    });
  });
});
