import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { errorHandler } from '../../../../server/src/api/errorHandler.js';
import { StaticTokenAuthenticator } from '../../../../server/src/auth/static.js';
import type { MetricsConfig } from '../../../../server/src/config/types.js';
import { createLogger } from '../../../../server/src/log.js';
import { PrometheusMetrics } from '../../../../server/src/metrics/prometheus.js';
import { countErrors, isScraperToken, metricsHandler } from '../../../../server/src/metrics/route.js';

const sha = (t: string) => createHash('sha256').update(t).digest();
const auth = new StaticTokenAuthenticator({ users: [{ name: 'alice', tenant: 'team-a', tokenSha256: sha('alice-token') }], singleUser: null });

const servers: Array<{ close(): void }> = [];
afterEach(() => servers.splice(0).forEach(s => s.close()));

async function serve(config: MetricsConfig | undefined, multiTenant = false) {
  const metrics = new PrometheusMetrics({ defaultMetrics: false });
  const app = express();
  app.get('/metrics', metricsHandler({ metrics, auth, multiTenant, ...(config ? { config } : {}) }));
  app.use(countErrors(metrics));
  app.use(errorHandler(createLogger({ write: () => undefined })));
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise(resolve => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  return { metrics, get: (headers: Record<string, string> = {}, query = '') => fetch(url + query, { headers }) };
}

describe('metrics/route', () => {
  const withScraper: MetricsConfig = { auth: true, tokenSha256: sha('scraper-token'), perUserLabels: false };

  it('should refuse a scrape without a token with 401 and say what to send', async () => {
    const { get } = await serve(withScraper);
    const res = await get();
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      reason: 'AuthenticationFailed',
      message: "missing token: /metrics needs 'Authorization: Bearer <token>' with metrics.token or a gateway token (or metrics.auth: false in the config)"
    });
  });

  it('should refuse a wrong token with 401, and count the refusals by name', async () => {
    const { get, metrics } = await serve(withScraper);
    expect((await get({ authorization: 'Bearer nope' })).status).toBe(401);
    const body = await (await get({ authorization: 'Bearer scraper-token' })).text();
    expect(body).toContain('sparkgate_errors_total{name="AuthenticationError"} 1');
    expect(metrics.registry.contentType).toMatch(/^text\/plain; version=0.0.4/);
  });

  it("should answer the scraper's token, a gateway token and ?token=, in Prometheus text", async () => {
    const { get } = await serve(withScraper);
    for (const res of [await get({ authorization: 'Bearer scraper-token' }), await get({ authorization: 'token alice-token' }), await get({}, '?token=alice-token')]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await res.text()).toContain('# TYPE sparkgate_launches_total counter');
    }
  });

  it("should refuse a user's token with 403 on a gateway of several tenants (the series count every tenant's kernels), and still answer the scraper", async () => {
    const { get } = await serve(withScraper, true);
    const res = await get({ authorization: 'token alice-token' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      reason: 'NotAllowed',
      message: '/metrics counts the kernels and launches of every tenant, so user tokens may not read it on a gateway with several tenants: scrape it with metrics.token'
    });
    expect((await get({ authorization: 'token wrong' })).status).toBe(401);
    expect((await get({ authorization: 'Bearer scraper-token' })).status).toBe(200);
  });

  it('should need a token by default (no metrics section), and be open only with auth: false', async () => {
    expect((await (await serve(undefined)).get()).status).toBe(401);
    expect((await (await serve({ auth: false, tokenSha256: null, perUserLabels: false })).get()).status).toBe(200);
  });

  it('isScraperToken() should accept only the configured token', () => {
    expect(isScraperToken('scraper-token', sha('scraper-token'))).toBe(true);
    expect(isScraperToken('scraper-token2', sha('scraper-token'))).toBe(false);
    expect(isScraperToken('scraper-token', null)).toBe(false);
  });
});
