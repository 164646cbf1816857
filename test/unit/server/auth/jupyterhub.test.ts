import { describe, expect, it } from '@jest/globals';
import { JupyterHubAuthenticator, type JupyterHubAuthenticatorOptions } from '../../../../server/src/auth/jupyterhub.js';
import { AuthenticationError, NotAllowedError, ServiceUnavailableError } from '../../../../server/src/errors.js';
import { createLogger } from '../../../../server/src/log.js';
import { API_URL, FakeHub, connectionRefused } from './fakeHub.js';

const groups = [
  { group: 'team-a', tenant: 'a' },
  { group: 'team-b', tenant: 'b' }
];

function setup(over: Partial<JupyterHubAuthenticatorOptions> = {}) {
  const hub = new FakeHub();
  let now = 1_000_000;
  const lines: string[] = [];
  const auth = new JupyterHubAuthenticator({
    apiUrl: API_URL,
    scope: 'access:services!service=sparkgate',
    groups,
    cacheMs: 60_000,
    cacheSize: 100,
    fetch: hub.fetch,
    now: () => now,
    logger: createLogger({ level: 'debug', write: line => lines.push(line) }),
    ...over
  });
  return { hub, auth, lines, advance: (ms: number) => (now += ms) };
}

describe('auth/jupyterhub', () => {
  describe('#authenticate()', () => {
    it("should ask the Hub's /user with the caller's own token and map the user's group to a tenant", async () => {
      const { hub, auth } = setup();
      hub.user('alice-hub-token', { name: 'alice', groups: ['staff', 'team-a'] });
      await expect(auth.authenticate('alice-hub-token')).resolves.toEqual({ user: 'alice', tenant: 'a' });
      expect(hub.requests).toEqual([{ url: `${API_URL}/user`, authorization: 'token alice-hub-token' }]);
    });

    it('should give a user in several mapped groups the tenant of the first in config order', async () => {
      const { hub, auth } = setup();
      hub.user('t', { name: 'dora', groups: ['team-b', 'team-a'] });
      await expect(auth.authenticate('t')).resolves.toEqual({ user: 'dora', tenant: 'a' });
    });

    it('should refuse a user in no mapped group with 403, without naming the mapped groups', async () => {
      const { hub, auth } = setup();
      hub.user('t', { name: 'carol', groups: ['staff'] });
      const refusal = auth.authenticate('t');
      await expect(refusal).rejects.toThrow(NotAllowedError);
      await expect(refusal).rejects.toThrow(new NotAllowedError('user carol is in no group mapped to a sparkgate tenant; ask your admin'));
      await expect(refusal).rejects.not.toThrow(/team-a|team-b/);
    });

    it('should refuse a token without the required scope with 403, and accept the unfiltered scope', async () => {
      const { hub, auth } = setup();
      hub.user('narrow', { name: 'alice', groups: ['team-a'], scopes: ['read:users:name!user=alice', 'access:services!service=other'] });
      await expect(auth.authenticate('narrow')).rejects.toThrow(
        new NotAllowedError('the JupyterHub token of user alice lacks the scope access:services!service=sparkgate; ask your admin')
      );
      hub.user('admin', { name: 'root', groups: ['team-b'], scopes: ['access:services', 'admin:users'] });
      await expect(auth.authenticate('admin')).resolves.toEqual({ user: 'root', tenant: 'b' });
    });

    it('should require a custom scope when configured', async () => {
      const { hub, auth } = setup({ scope: 'custom:sparkgate:use' });
      hub.user('t', { name: 'alice', groups: ['team-a'] });
      await expect(auth.authenticate('t')).rejects.toThrow(NotAllowedError);
      hub.user('u', { name: 'alice', groups: ['team-a'], scopes: ['custom:sparkgate:use'] });
      await expect(auth.authenticate('u')).resolves.toEqual({ user: 'alice', tenant: 'a' });
    });

    it("should refuse a service's own token with 403", async () => {
      const { hub, auth } = setup();
      hub.user('svc', { name: 'idle-culler', kind: 'service', groups: ['team-a'] });
      await expect(auth.authenticate('svc')).rejects.toThrow(NotAllowedError);
    });

    it('should refuse a missing token with 401 without asking the Hub', async () => {
      const { hub, auth } = setup();
      await expect(auth.authenticate(undefined)).rejects.toThrow(AuthenticationError);
      await expect(auth.authenticate('')).rejects.toThrow(/missing token/);
      expect(hub.requests).toEqual([]);
    });

    it('should refuse a token the Hub does not know with 401', async () => {
      const { auth } = setup();
      await expect(auth.authenticate('unknown')).rejects.toThrow(
        new AuthenticationError('JupyterHub did not accept the token (unknown, expired or revoked)')
      );
    });

    it('should answer from the cache within cacheMs and ask again after it', async () => {
      const { hub, auth, advance } = setup({ cacheMs: 2000 });
      hub.user('t', { name: 'alice', groups: ['team-a'] });
      await auth.authenticate('t');
      advance(1999);
      await auth.authenticate('t');
      expect(hub.requests).toHaveLength(1);
      advance(1);
      await auth.authenticate('t');
      expect(hub.requests).toHaveLength(2);
    });

    it('should refuse a token revoked in the Hub once the cached answer expires', async () => {
      const { hub, auth, advance } = setup({ cacheMs: 2000 });
      hub.user('t', { name: 'alice', groups: ['team-a'] });
      await auth.authenticate('t');
      hub.revoke('t');
      // Within the cache time the old answer stands: what the README calls "revocation takes up to cacheSeconds".
      advance(1000);
      await expect(auth.authenticate('t')).resolves.toEqual({ user: 'alice', tenant: 'a' });
      advance(1000);
      await expect(auth.authenticate('t')).rejects.toThrow(AuthenticationError);
    });

    it('should see a changed group membership after the cache time', async () => {
      const { hub, auth, advance } = setup({ cacheMs: 2000 });
      hub.user('t', { name: 'alice', groups: ['team-a'] });
      await auth.authenticate('t');
      hub.user('t', { name: 'alice', groups: [] });
      advance(2000);
      await expect(auth.authenticate('t')).rejects.toThrow(NotAllowedError);
    });

    it('should cache refusals too, so retries with a dead token do not each reach the Hub', async () => {
      const { hub, auth } = setup();
      await expect(auth.authenticate('dead')).rejects.toThrow(AuthenticationError);
      await expect(auth.authenticate('dead')).rejects.toThrow(AuthenticationError);
      expect(hub.requests).toHaveLength(1);
    });

    it('should ask the Hub every time with cacheMs 0', async () => {
      const { hub, auth } = setup({ cacheMs: 0 });
      hub.user('t', { name: 'alice', groups: ['team-a'] });
      await auth.authenticate('t');
      await auth.authenticate('t');
      expect(hub.requests).toHaveLength(2);
    });

    it('should hold at most cacheSize tokens, dropping the oldest', async () => {
      const { hub, auth } = setup({ cacheSize: 2 });
      for (const t of ['t1', 't2', 't3']) {
        hub.user(t, { name: `u-${t}`, groups: ['team-a'] });
        await auth.authenticate(t);
      }
      await auth.authenticate('t3');
      await auth.authenticate('t2');
      expect(hub.requests).toHaveLength(3);
      await auth.authenticate('t1');
      expect(hub.requests).toHaveLength(4);
    });

    it('should share one Hub request among concurrent callers with the same token', async () => {
      const { hub, auth } = setup();
      hub.user('t', { name: 'alice', groups: ['team-a'] });
      let release = (): void => undefined;
      hub.hold = new Promise(resolve => (release = resolve));
      const calls = [auth.authenticate('t'), auth.authenticate('t'), auth.authenticate('t')];
      release();
      await expect(Promise.all(calls)).resolves.toEqual(Array(3).fill({ user: 'alice', tenant: 'a' }));
      expect(hub.requests).toHaveLength(1);
    });

    it('should answer 503, not 401, when the Hub is unreachable, and not cache that', async () => {
      const { hub, auth } = setup();
      hub.replies.set('t', { error: connectionRefused() });
      const failing = auth.authenticate('t');
      await expect(failing).rejects.toThrow(ServiceUnavailableError);
      await expect(failing).rejects.toThrow(`JupyterHub at ${API_URL} is unreachable (ECONNREFUSED); try again later`);
      hub.user('t', { name: 'alice', groups: ['team-a'] });
      await expect(auth.authenticate('t')).resolves.toEqual({ user: 'alice', tenant: 'a' });
    });

    it('should answer 503 when the Hub times out', async () => {
      const { hub, auth } = setup();
      hub.replies.set('t', { error: new DOMException('The operation was aborted due to timeout', 'TimeoutError') });
      await expect(auth.authenticate('t')).rejects.toThrow(`JupyterHub at ${API_URL} is unreachable (timed out); try again later`);
    });

    it('should answer 503 for a Hub error or an answer that is not a user model', async () => {
      const { hub, auth } = setup();
      hub.replies.set('a', { status: 500, body: { status: 500, message: 'boom' } });
      await expect(auth.authenticate('a')).rejects.toThrow(`JupyterHub at ${API_URL} answered 500 to /user; try again later`);
      hub.replies.set('b', { status: 200, body: '<html>login</html>' });
      await expect(auth.authenticate('b')).rejects.toThrow(ServiceUnavailableError);
      hub.replies.set('c', { status: 200, body: { name: 'alice', kind: 'user', groups: 'team-a', scopes: [] } });
      await expect(auth.authenticate('c')).rejects.toThrow(ServiceUnavailableError);
    });

    it('should never put the token in its errors or logs', async () => {
      const { hub, auth, lines } = setup();
      const secret = 'hub-secret-0123456789abcdef';
      hub.user(secret, { name: 'alice', groups: ['team-a'] });
      await auth.authenticate(secret);
      hub.replies.set(`${secret}-x`, { error: connectionRefused() });
      await expect(auth.authenticate(`${secret}-x`)).rejects.not.toThrow(secret);
      await expect(auth.authenticate(`${secret}-y`)).rejects.not.toThrow(secret);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('\n')).not.toContain(secret);
    });
  });
});
