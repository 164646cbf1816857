/**
 * Kernelspec logos (issue 11, item 5): the real gateway names and serves them, and a real
 * jupyter_server in gateway mode rewrites the URLs to its own /kernelspecs/ route and proxies the
 * files with the gateway token, which is what JupyterLab's launcher loads (it used to show a "P").
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { api, startGateway, type TestGateway } from './support/gateway.js';
import { startJupyterServer, type JupyterServer } from './support/jupyterServer.js';

jest.setTimeout(120_000);

// Nothing is launched here, so a GPU profile is fine on the local backend: only its kernelspec is used.
const yaml = `
local: {usersTrustEachOther: true}
users:
  - {name: alice, tenant: team-a, token: alice-token-123}
  - {name: bob, tenant: team-b, token: bob-token-456}
profiles:
  pyspark: {displayName: PySpark, spark: true}
  pyspark-gpu:
    displayName: PySpark GPU
    spark: true
    executors: {count: 1, cores: 1, memory: 1g, gpus: 1}
  python3: {displayName: Python 3, spark: false}
tenants:
  team-a: {profiles: [pyspark, pyspark-gpu, python3]}
  team-b: {profiles: [python3]}
defaultProfile: pyspark
`;

const FILES = [
  ['logo-svg', 'logo-svg.svg', 'image/svg+xml'],
  ['logo-32x32', 'logo-32x32.png', 'image/png'],
  ['logo-64x64', 'logo-64x64.png', 'image/png']
] as const;

let gw: TestGateway;
let js: JupyterServer;
const alice = () => ({ url: gw.url, token: 'alice-token-123' });

beforeAll(async () => {
  gw = await startGateway({ yaml });
  js = await startJupyterServer(alice());
});
afterAll(async () => {
  await js?.stop();
  await gw?.stop();
});

async function get(base: string, route: string, token?: string): Promise<{ status: number; type: string | null; cache: string | null; body: Buffer }> {
  const r = await fetch(base + route, { headers: token ? { Authorization: `token ${token}` } : {} });
  return { status: r.status, type: r.headers.get('content-type'), cache: r.headers.get('cache-control'), body: Buffer.from(await r.arrayBuffer()) };
}

describe('integration/kernelspec logos', () => {
  it('should name the logos in /api/kernelspecs and serve them with their type, differing by kind', async () => {
    const { status, body } = await api(alice(), 'GET', '/api/kernelspecs');
    expect(status).toBe(200);
    const specs = (body as { kernelspecs: Record<string, { resources: Record<string, string> }> }).kernelspecs;
    const seen: Record<string, string[]> = {};
    for (const name of ['pyspark', 'pyspark-gpu', 'python3']) {
      for (const [key, file, type] of FILES) {
        expect(specs[name]?.resources[key]).toBe(`/kernelspecs/${name}/${file}`);
        const r = await get(gw.url, `/kernelspecs/${name}/${file}`, 'alice-token-123');
        expect([name, file, r.status, r.type, r.cache]).toEqual([name, file, 200, type, 'private, max-age=86400']);
        expect(r.body.length).toBeGreaterThan(100);
        (seen[file] ??= []).push(r.body.toString('base64'));
      }
    }
    // Spark, Spark-with-GPUs and plain Python look different in every size.
    for (const [, file] of FILES) {
      expect([file, new Set(seen[file]).size]).toEqual([file, 3]);
    }
  });

  it('should keep the logos behind the token and hide other tenants\u2019 kernelspecs', async () => {
    expect((await get(gw.url, '/kernelspecs/pyspark/logo-64x64.png')).status).toBe(401);
    expect((await get(gw.url, '/kernelspecs/pyspark/logo-64x64.png', 'wrong-token')).status).toBe(401);
    for (const name of ['pyspark', 'pyspark-gpu', 'nope']) {
      const r = await get(gw.url, `/kernelspecs/${name}/logo-64x64.png`, 'bob-token-456');
      expect([name, r.status, JSON.parse(r.body.toString()).reason]).toEqual([name, 404, 'NotFound']);
    }
    expect((await get(gw.url, '/kernelspecs/python3/logo-64x64.png', 'bob-token-456')).status).toBe(200);
  });

  it('should reach JupyterLab through jupyter_server in gateway mode (rewritten URLs, proxied with the token)', async () => {
    const { status, body } = await api(js, 'GET', '/api/kernelspecs');
    expect(status).toBe(200);
    const specs = (body as { kernelspecs: Record<string, { resources: Record<string, string> }> }).kernelspecs;
    for (const name of ['pyspark', 'pyspark-gpu', 'python3']) {
      for (const [key, file, type] of FILES) {
        // base_url is "/": the launcher loads it from the Jupyter server's own origin.
        expect(specs[name]?.resources[key]).toBe(`/kernelspecs/${name}/${file}`);
        const proxied = await get(js.url, `/kernelspecs/${name}/${file}`, js.token);
        const direct = await get(gw.url, `/kernelspecs/${name}/${file}`, 'alice-token-123');
        expect([name, file, proxied.status, proxied.type]).toEqual([name, file, 200, type]);
        expect(Buffer.compare(proxied.body, direct.body)).toBe(0);
      }
    }
  });
});
