import { describe, expect, it } from '@jest/globals';
import { assertHubUser, hasScope } from '../../../../server/src/auth/hubUser.js';
import { ServiceUnavailableError } from '../../../../server/src/errors.js';

describe('auth/hubUser', () => {
  describe('hasScope()', () => {
    it.each([
      [['access:services!service=sparkgate'], true],
      [['access:services'], true],
      [['access:services!service=other'], false],
      [['access:servers!server=alice/', 'read:users:name!user=alice'], false],
      [['access:services!service=sparkgate-dev'], false],
      [[], false]
    ])('should judge %j against access:services!service=sparkgate → %s', (scopes, expected) => {
      expect(hasScope(scopes, 'access:services!service=sparkgate')).toBe(expected);
    });
  });

  describe('assertHubUser()', () => {
    it('should accept the model the Hub returns for a server token (observed with jupyterhub 6.1.1)', () => {
      const model: unknown = {
        name: 'alice',
        groups: ['team-a'],
        kind: 'user',
        admin: false,
        scopes: ['access:servers!server=alice/', 'access:services!service=sparkgate', 'users:activity!user=alice'],
        token_id: 'a7',
        session_id: null
      };
      expect(() => assertHubUser(model)).not.toThrow();
    });

    it.each([null, [], { name: 'alice' }, { name: '', kind: 'user', groups: [], scopes: [] }, { name: 'a', kind: 'user', groups: [1], scopes: [] }])(
      'should refuse %j as a Hub error (503)',
      body => {
        expect(() => assertHubUser(body)).toThrow(ServiceUnavailableError);
      }
    );
  });
});
