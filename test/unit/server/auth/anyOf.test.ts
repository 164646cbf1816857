import { describe, expect, it } from '@jest/globals';
import { AnyOfAuthenticator } from '../../../../server/src/auth/anyOf.js';
import { authenticatorFromConfig } from '../../../../server/src/auth/fromConfig.js';
import { StaticTokenAuthenticator } from '../../../../server/src/auth/static.js';
import { sha256 } from '../../../../server/src/config/load.js';
import { AuthenticationError, NotAllowedError, ServiceUnavailableError } from '../../../../server/src/errors.js';
import { silentLogger } from '../../../../server/src/log.js';
import { API_URL, FakeHub, connectionRefused } from './fakeHub.js';

const hubConfig = { apiUrl: API_URL, scope: 'access:services!service=sparkgate', cacheMs: 60_000, cacheSize: 10, groups: [{ group: 'team-a', tenant: 'a' }] };
const users = [{ name: 'ops', tenant: 'a', tokenSha256: sha256('ops-token') }];

describe('auth/anyOf', () => {
  it('should accept a config-file token without asking the Hub, and a Hub token beside it', async () => {
    const hub = new FakeHub();
    hub.user('alice-hub', { name: 'alice', groups: ['team-a'] });
    const auth = authenticatorFromConfig({ users, singleUserTokenSha256: null, jupyterhub: hubConfig }, { logger: silentLogger, fetch: hub.fetch });
    await expect(auth.authenticate('ops-token')).resolves.toEqual({ user: 'ops', tenant: 'a' });
    expect(hub.requests).toEqual([]);
    await expect(auth.authenticate('alice-hub')).resolves.toEqual({ user: 'alice', tenant: 'a' });
  });

  it('should keep config-file tokens working while the Hub is down, and answer 503 for the others', async () => {
    const hub = new FakeHub();
    hub.replies.set('alice-hub', { error: connectionRefused() });
    const auth = authenticatorFromConfig({ users, singleUserTokenSha256: null, jupyterhub: hubConfig }, { logger: silentLogger, fetch: hub.fetch });
    await expect(auth.authenticate('ops-token')).resolves.toEqual({ user: 'ops', tenant: 'a' });
    await expect(auth.authenticate('alice-hub')).rejects.toThrow(ServiceUnavailableError);
  });

  it("should pass on the Hub's 403 as it is, not as 'invalid token'", async () => {
    const hub = new FakeHub();
    hub.user('carol-hub', { name: 'carol', groups: [] });
    const auth = authenticatorFromConfig({ users, singleUserTokenSha256: null, jupyterhub: hubConfig }, { logger: silentLogger, fetch: hub.fetch });
    await expect(auth.authenticate('carol-hub')).rejects.toThrow(NotAllowedError);
  });

  it('should answer 401 when no authenticator accepts the token', async () => {
    const hub = new FakeHub();
    const auth = authenticatorFromConfig({ users, singleUserTokenSha256: null, jupyterhub: hubConfig }, { logger: silentLogger, fetch: hub.fetch });
    await expect(auth.authenticate('nobody')).rejects.toThrow(AuthenticationError);
    await expect(auth.authenticate(undefined)).rejects.toThrow(/missing token/);
  });

  it('should use only the Hub when the config has no tokens, and only the tokens without jupyterhub', async () => {
    const hub = new FakeHub();
    const hubOnly = authenticatorFromConfig({ users: [], singleUserTokenSha256: null, jupyterhub: hubConfig }, { logger: silentLogger, fetch: hub.fetch });
    await expect(hubOnly.authenticate('x')).rejects.toThrow(/JupyterHub did not accept/);
    const tokensOnly = authenticatorFromConfig({ users, singleUserTokenSha256: null, jupyterhub: null }, { logger: silentLogger, fetch: hub.fetch });
    expect(tokensOnly).toBeInstanceOf(StaticTokenAuthenticator);
    await expect(tokensOnly.authenticate('x')).rejects.toThrow('invalid token');
    expect(hub.requests).toHaveLength(1);
  });

  it('should refuse an empty chain', () => {
    expect(() => new AnyOfAuthenticator([])).toThrow(TypeError);
  });
});
