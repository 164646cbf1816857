import { describe, expect, it } from '@jest/globals';
import { StaticTokenAuthenticator } from '../../../../server/src/auth/static.js';
import { sha256 } from '../../../../server/src/config/load.js';
import { SINGLE_USER } from '../../../../server/src/config/types.js';
import { AuthenticationError } from '../../../../server/src/errors.js';

describe('auth/static', () => {
  const multi = new StaticTokenAuthenticator({
    users: [
      { name: 'alice', tenant: 'a', tokenSha256: sha256('alice-token') },
      { name: 'bob', tenant: 'b', tokenSha256: sha256('bob-token') }
    ],
    singleUser: null
  });

  describe('#authenticate()', () => {
    it('should map each token to its user and tenant', async () => {
      await expect(multi.authenticate('alice-token')).resolves.toEqual({ user: 'alice', tenant: 'a' });
      await expect(multi.authenticate('bob-token')).resolves.toEqual({ user: 'bob', tenant: 'b' });
    });

    it('should refuse missing, wrong and near-miss tokens', async () => {
      await expect(multi.authenticate(undefined)).rejects.toThrow(AuthenticationError);
      await expect(multi.authenticate('')).rejects.toThrow(/missing token/);
      await expect(multi.authenticate('alice-token ')).rejects.toThrow(/invalid token/);
      await expect(multi.authenticate('alice-toke')).rejects.toThrow(/invalid token/);
    });

    it('should use the single-user identity when no users are configured', async () => {
      const single = new StaticTokenAuthenticator({ users: [], singleUser: { identity: { user: 'local', tenant: 'default' }, tokenSha256: sha256('t') } });
      await expect(single.authenticate('t')).resolves.toEqual({ user: 'local', tenant: 'default' });
      await expect(single.authenticate('u')).rejects.toThrow(AuthenticationError);
    });

    it('should not echo the presented token in its error', async () => {
      await expect(multi.authenticate('super-secret-value')).rejects.toThrow(expect.objectContaining({ message: 'invalid token' }));
    });

    it('should reject, not throw, so every adapter sees a rejected promise', () => {
      const pending = multi.authenticate(undefined);
      expect(pending).toBeInstanceOf(Promise);
      return expect(pending).rejects.toThrow(AuthenticationError);
    });
  });

  describe('.fromConfig()', () => {
    it('should accept the configured users, and not the single-user token beside them', async () => {
      const auth = StaticTokenAuthenticator.fromConfig({
        users: [{ name: 'alice', tenant: 'a', tokenSha256: sha256('alice-token') }],
        singleUserTokenSha256: sha256('single')
      });
      await expect(auth.authenticate('alice-token')).resolves.toEqual({ user: 'alice', tenant: 'a' });
      await expect(auth.authenticate('single')).rejects.toThrow('invalid token');
    });

    it('should accept SPARKGATE_TOKEN as the single user when no users are configured', async () => {
      const auth = StaticTokenAuthenticator.fromConfig({ users: [], singleUserTokenSha256: sha256('single') });
      await expect(auth.authenticate('single')).resolves.toEqual({ user: SINGLE_USER.name, tenant: SINGLE_USER.tenant });
    });

    it('should accept nothing when neither is configured', async () => {
      const auth = StaticTokenAuthenticator.fromConfig({ users: [], singleUserTokenSha256: null });
      await expect(auth.authenticate('anything')).rejects.toThrow('invalid token');
    });
  });
});
