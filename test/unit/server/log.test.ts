import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import express, { type Request, type Response } from 'express';
import { errorHandler } from '../../../server/src/api/errorHandler.js';
import { requestLog } from '../../../server/src/api/requestLog.js';
import { ServiceUnavailableError } from '../../../server/src/errors.js';
import { createLogger, redactUrl, type LoggerOptions } from '../../../server/src/log.js';
import { waitUntil } from '../../support/waitFor.js';

function capture(options: Omit<LoggerOptions, 'write'> = {}) {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    ...options,
    write: line => {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  return { raw, lines, logger };
}

const TOKEN = 'tok-6f1c9a0e77d54b2f';
const HMAC = 'hmac-0c5e2b7d-41aa-4e6c';
const SECRET_DATA = 'c2VjcmV0LXNwYXJrLWtleQ==';

describe('log', () => {
  describe('line format', () => {
    it('should write one JSON line per call with an ISO time, the level as a word and the message first', () => {
      const out = capture();
      out.logger.info('sparkgate listening', { url: 'http://127.0.0.1:8888' });
      expect(out.raw).toHaveLength(1);
      expect(out.raw[0]).not.toContain('\n');
      expect(out.raw[0]).toMatch(/^\{"level":"info","time":"[^"]+","message":"sparkgate listening","url":"http:\/\/127\.0\.0\.1:8888"\}$/);
      expect(new Date(String(out.lines[0]?.time)).toISOString()).toBe(out.lines[0]?.time);
    });

    it('should drop lines below the level, and everything when silent', () => {
      const warn = capture({ level: 'warn' });
      warn.logger.debug('d');
      warn.logger.info('i');
      warn.logger.warn('w');
      warn.logger.error('e');
      expect(warn.lines.map(l => [l.level, l.message])).toEqual([
        ['warn', 'w'],
        ['error', 'e']
      ]);
      const silent = capture({ level: 'silent' });
      silent.logger.error('e');
      expect(silent.lines).toEqual([]);
    });
  });

  describe('#child()', () => {
    it('should merge child fields, the nearer child and the call winning, each key once in the line', () => {
      const out = capture({ fields: { component: 'sparkgate' } });
      const kernel = out.logger.child({ component: 'kernels' }).child({ kernel: 'k1', user: '' });
      kernel.child({ user: 'alice', tenant: 'team-a' }).info('kernel state', { to: 'idle' });
      kernel.warn('dropped', { kernel: 'k2' });
      expect(out.lines[0]).toEqual({ level: 'info', time: expect.any(String), message: 'kernel state', component: 'kernels', kernel: 'k1', user: 'alice', tenant: 'team-a', to: 'idle' });
      expect(out.lines[1]).toMatchObject({ component: 'kernels', kernel: 'k2', user: '' });
      for (const line of out.raw) {
        expect(line.match(/"component":/g)).toHaveLength(1);
        expect(line.match(/"kernel":/g)).toHaveLength(1);
      }
    });
  });

  describe('#error()', () => {
    it('should keep an error field with its name, message, stack and cause chain (issue 10)', () => {
      const out = capture();
      const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
      out.logger.error('request failed', { error: new TypeError('cannot read x', { cause: root }) });
      const error = out.lines[0]?.error as Record<string, unknown>;
      expect(error.name).toBe('TypeError');
      expect(error.message).toBe('cannot read x');
      expect(error.stack).toMatch(/^TypeError: cannot read x\n\s+at /);
      expect(error.cause).toEqual({
        name: 'Error',
        message: 'connect ECONNREFUSED 127.0.0.1:6443',
        code: 'ECONNREFUSED',
        stack: expect.stringMatching(/^Error: connect ECONNREFUSED/)
      });
    });

    it('should stop following a cause chain that loops', () => {
      const out = capture();
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      (a as { cause?: unknown }).cause = b;
      out.logger.error('loop', { error: a });
      expect(JSON.stringify(out.lines[0])).toContain('"message":"b"');
    });

    it('should serialize errors nested in fields, in child fields, and each error of an AggregateError', () => {
      const out = capture();
      const refused = new AggregateError([new Error('connect ECONNREFUSED ::1:8081'), new Error('connect ECONNREFUSED 127.0.0.1:8081')], '');
      out.logger.child({ last: new Error('earlier') }).warn('retrying', { attempts: [{ error: new TypeError('fetch failed', { cause: refused }) }] });
      const line = out.lines[0] as { last: { message: string }; attempts: { error: { cause: { errors: { message: string }[] } } }[] };
      expect(line.last.message).toBe('earlier');
      expect(line.attempts[0]?.error.cause.errors.map(e => e.message)).toEqual(['connect ECONNREFUSED ::1:8081', 'connect ECONNREFUSED 127.0.0.1:8081']);
    });
  });

  describe('redaction', () => {
    it('should redact tokens, Authorization and Cookie headers, HMAC keys, Secret data and passwords, and keep what is beside them', () => {
      const out = capture();
      out.logger.info('token checked', { token: TOKEN, user: 'alice' });
      out.logger.info('hub asked', { headers: { Authorization: `token ${TOKEN}`, Accept: 'application/json' } });
      out.logger.info('request', { req: { method: 'GET', headers: { authorization: `Bearer ${TOKEN}`, cookie: `sg=${TOKEN}`, 'set-cookie': TOKEN, host: 'gw' } } });
      out.logger.info('kernel process started', { connection: { shell_port: 50001, key: HMAC, signature_scheme: 'hmac-sha256' } });
      out.logger.child({ kernel: 'k1' }).info('launched', { launched: { connection: { key: HMAC } }, hmacKey: HMAC, signature_key: HMAC });
      out.logger.info('secret written', { secret: { metadata: { name: 'kernel-k1' }, data: { key: SECRET_DATA }, stringData: { key: HMAC } } });
      out.logger.info('hub', { password: TOKEN });
      const text = out.raw.join('\n');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(HMAC);
      expect(text).not.toContain(SECRET_DATA);
      expect(out.lines).toEqual([
        expect.objectContaining({ token: '[redacted]', user: 'alice' }),
        expect.objectContaining({ headers: { Authorization: '[redacted]', Accept: 'application/json' } }),
        expect.objectContaining({ req: { method: 'GET', headers: { authorization: '[redacted]', cookie: '[redacted]', 'set-cookie': '[redacted]', host: 'gw' } } }),
        expect.objectContaining({ connection: { shell_port: 50001, key: '[redacted]', signature_scheme: 'hmac-sha256' } }),
        expect.objectContaining({ kernel: 'k1', launched: { connection: { key: '[redacted]' } }, hmacKey: '[redacted]', signature_key: '[redacted]' }),
        expect.objectContaining({ secret: { metadata: { name: 'kernel-k1' }, data: '[redacted]', stringData: '[redacted]' } }),
        expect.objectContaining({ password: '[redacted]' })
      ]);
    });

    it('should redact a token in child fields', () => {
      const out = capture();
      out.logger.child({ token: TOKEN }).info('x');
      expect(out.raw[0]).not.toContain(TOKEN);
      expect(out.lines[0]?.token).toBe('[redacted]');
    });

    it('should redact the extra paths given (config log.redact), beside the built-in ones', () => {
      const out = capture({ redact: ['spark.conf["spark.authenticate.secret"]', 'hub.apiToken'] });
      out.logger.info('conf', { spark: { conf: { 'spark.authenticate.secret': TOKEN, 'spark.executor.cores': '2' } }, hub: { apiToken: TOKEN, url: 'http://hub' }, token: TOKEN });
      expect(out.raw[0]).not.toContain(TOKEN);
      expect(out.lines[0]).toMatchObject({
        spark: { conf: { 'spark.authenticate.secret': '[redacted]', 'spark.executor.cores': '2' } },
        hub: { apiToken: '[redacted]', url: 'http://hub' },
        token: '[redacted]'
      });
    });

    it('should refuse a malformed extra path when the logger is made', () => {
      expect(() => createLogger({ redact: ['a[b'] })).toThrow(/a\[b/);
    });
  });

  describe('redactUrl()', () => {
    it('should redact the token query value, however the name is spelled, and keep the rest as sent', () => {
      expect(redactUrl(`/api/kernels/k/channels?session_id=s%201&token=${TOKEN}`)).toBe('/api/kernels/k/channels?session_id=s%201&token=[redacted]');
      expect(redactUrl(`/api/kernels?%74oken=${TOKEN}&TOKEN=${TOKEN}&access_token=${TOKEN}#frag`)).toBe('/api/kernels?%74oken=[redacted]&TOKEN=[redacted]&access_token=[redacted]#frag');
      expect(redactUrl('/api/kernels?tokens=1&x=%zz')).toBe('/api/kernels?tokens=1&x=%zz');
      expect(redactUrl('/api/kernels')).toBe('/api/kernels');
    });

    it('should leave no token in a logged request URL', () => {
      const out = capture();
      out.logger.info('request', { url: redactUrl(`/sg/api/kernels?token=${TOKEN}`) });
      expect(out.raw[0]).not.toContain(TOKEN);
      expect(out.lines[0]?.url).toBe('/sg/api/kernels?token=[redacted]');
    });
  });
});

describe('api/requestLog context', () => {
  const KERNEL = '0b8f3c4e-1d2a-4c5b-9e6f-7a8b9c0d1e2f';

  /** The request log and error handler around routes that authenticate as alice and answer or fail. */
  async function serve() {
    const out = capture({ level: 'debug' });
    const app = express();
    app.use(requestLog(out.logger));
    app.use((req, _res, next) => {
      req.identity = { user: 'alice', tenant: 'team-a' };
      next();
    });
    app.get('/api/kernels/:id', (_req, res) => {
      res.json({});
    });
    app.get('/api/hub-down', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8081'), { code: 'ECONNREFUSED' });
      throw new ServiceUnavailableError('JupyterHub at http://127.0.0.1:8081 is unreachable', { cause: new TypeError('fetch failed', { cause: refused }) });
    });
    app.use(errorHandler(out.logger));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const close = (): Promise<void> =>
      new Promise(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    return { ...out, url: `http://127.0.0.1:${port}`, close };
  }

  it('should give each request an id, echo it, and log it with the user, tenant, kernel and a URL without the token', async () => {
    const s = await serve();
    try {
      const fresh = await fetch(`${s.url}/api/kernels/${KERNEL}?token=${TOKEN}`);
      await fresh.arrayBuffer();
      const kept = await fetch(`${s.url}/api/kernels/${KERNEL}`, { headers: { 'X-Request-Id': 'lb-7f3a.2:1' } });
      await kept.arrayBuffer();
      const refused = await fetch(`${s.url}/api/kernels/${KERNEL}`, { headers: { 'X-Request-Id': 'bad id "with quotes"' } });
      await refused.arrayBuffer();
      await waitUntil(() => s.lines.length === 3, { timeoutMs: 5000, what: 'three request lines' });
      const ids = [fresh, kept, refused].map(r => r.headers.get('x-request-id'));
      expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(ids[1]).toBe('lb-7f3a.2:1');
      expect(ids[2]).toMatch(/^[0-9a-f-]{36}$/);
      expect(s.lines.map(l => l.reqId)).toEqual(ids);
      expect(s.lines[0]).toMatchObject({ level: 'debug', message: 'request', user: 'alice', tenant: 'team-a', kernel: KERNEL, status: 200, url: `/api/kernels/${KERNEL}?token=[redacted]` });
      expect(s.raw.join('\n')).not.toContain(TOKEN);
    } finally {
      await s.close();
    }
  });

  it('should log a 5xx with the request context, the stack and the cause chain', async () => {
    const s = await serve();
    try {
      const res = await fetch(`${s.url}/api/hub-down`, { headers: { 'X-Request-Id': 'r-503' } });
      expect(res.status).toBe(503);
      await res.arrayBuffer();
      await waitUntil(() => s.lines.length === 2, { timeoutMs: 5000, what: 'the error and request lines' });
      const failed = s.lines.find(l => l.message === 'request failed') as { error: { stack: string; cause: { message: string; stack: string; cause: { code: string } } } };
      expect(failed).toMatchObject({ level: 'error', reqId: 'r-503', user: 'alice', tenant: 'team-a', status: 503 });
      expect(failed.error.stack).toMatch(/^ServiceUnavailableError: JupyterHub at http:\/\/127\.0\.0\.1:8081 is unreachable\n\s+at /);
      expect(failed.error.cause).toMatchObject({ message: 'fetch failed', stack: expect.stringMatching(/^TypeError: fetch failed\n\s+at /), cause: { code: 'ECONNREFUSED' } });
      expect(s.lines.find(l => l.message === 'request')).toMatchObject({ level: 'error', reqId: 'r-503', status: 503 });
    } finally {
      await s.close();
    }
  });

  it('should tolerate an errorHandler call on a request the request log never saw', () => {
    const out = capture();
    const res = { headersSent: false, status: () => res, json: () => res };
    errorHandler(out.logger)(new Error('boom'), { method: 'GET', path: '/x' } as Request, res as unknown as Response, () => undefined);
    expect(out.lines[0]).toMatchObject({ level: 'error', message: 'request failed', path: '/x', error: { message: 'boom' } });
  });
});
