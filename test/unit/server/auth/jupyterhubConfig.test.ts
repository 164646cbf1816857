/** The config file's `jupyterhub` key (config/schema.ts, config/load.ts). */
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../../server/src/config/load.js';

const tenants = 'tenants:\n  a: {}\n  b: {}\n';
const trust = 'local: {usersTrustEachOther: true}\n';

function load(yaml: string, env: Record<string, string> = {}) {
  return loadConfig({ flags: { config: 'gw.yaml' }, env, readFile: () => yaml, defaults: { python: '/py', launcher: '/l.py', workingDir: '/w' } });
}

describe('config/jupyterhub', () => {
  it('should default the API URL, scope and cache, and keep the groups in file order', () => {
    const config = load(`${tenants}${trust}jupyterhub:\n  url: http://hub:8081/\n  groups: {team-b: b, team-a: a}\n`);
    expect(config.jupyterhub).toEqual({
      apiUrl: 'http://hub:8081/hub/api',
      scope: 'access:services!service=sparkgate',
      cacheMs: 60_000,
      cacheSize: 10_000,
      groups: [
        { group: 'team-b', tenant: 'b' },
        { group: 'team-a', tenant: 'a' }
      ]
    });
  });

  it('should take apiUrl, scope and cacheSeconds as given', () => {
    const config = load(
      `${tenants}${trust}jupyterhub: {url: http://hub:8081, apiUrl: 'http://hub:8081/jhub/hub/api/', scope: 'custom:sparkgate', cacheSeconds: 2, cacheSize: 5, groups: {g: a}}\n`
    );
    expect(config.jupyterhub).toMatchObject({ apiUrl: 'http://hub:8081/jhub/hub/api', scope: 'custom:sparkgate', cacheMs: 2000, cacheSize: 5 });
  });

  it('should need no SPARKGATE_TOKEN: Hub users replace single-user mode', () => {
    const config = load(`${tenants}${trust}jupyterhub: {url: http://hub:8081, groups: {g: a}}\n`, { SPARKGATE_TOKEN: 'ignored' });
    expect(config.singleUserTokenSha256).toBeNull();
    expect(config.users).toEqual([]);
    expect(Object.keys(config.tenants)).toEqual(['a', 'b']);
  });

  it.each([
    [`${tenants}${trust}jupyterhub: {url: http://hub:8081, groups: {g: c}}\n`, "jupyterhub.groups: group 'g' names tenant 'c', which is not in tenants"],
    [`${tenants}${trust}jupyterhub: {groups: {g: a}}\n`, 'jupyterhub: give url (the Hub, e.g. http://hub:8081) or apiUrl'],
    [`${tenants}${trust}jupyterhub: {url: hub:8081, groups: {g: a}}\n`, 'jupyterhub.url must be an http:// or https:// URL'],
    [`${tenants}${trust}jupyterhub: {url: http://hub:8081, groups: {}}\n`, 'jupyterhub.groups must map at least one JupyterHub group to a tenant'],
    [`${tenants}${trust}jupyterhub: {url: http://hub:8081, cacheSeconds: -1, groups: {g: a}}\n`, 'jupyterhub.cacheSeconds must be a number ≥ 0 (got -1)'],
    [`${tenants}${trust}jupyterhub: {url: http://hub:8081, groups: {g: a}, apiToken: x}\n`, 'config: jupyterhub.apiToken: unknown key; allowed: url, apiUrl, scope, cacheSeconds, cacheSize, groups']
  ])('should refuse %j', (yaml, message) => {
    expect(() => load(yaml)).toThrow(message);
  });

  it('should refuse JupyterHub users on the local backend unless they trust each other', () => {
    expect(() => load(`${tenants}jupyterhub: {url: http://hub:8081, groups: {g: a}}\n`)).toThrow(
      "the local backend runs every kernel as the gateway's own OS user, so each JupyterHub user could read"
    );
  });
});
