import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { requestLog } from '../../../../server/src/api/requestLog.js';
import { createLogger } from '../../../../server/src/log.js';
import { waitUntil } from '../../../support/waitFor.js';

interface Line {
  level: string;
  message: string;
  method: string;
  path: string;
  status: number;
  [field: string]: unknown;
}

/** An express app with only the request log and routes answering the status the path names. */
async function serve(): Promise<{ url: string; lines: Line[]; close(): Promise<void> }> {
  const lines: Line[] = [];
  const app = express();
  app.use(requestLog(createLogger({ level: 'debug', write: line => lines.push(JSON.parse(line) as Line) })));
  app.all('/status/:code', (req, res) => {
    res.status(Number(req.params['code'])).json({});
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    lines,
    close: () =>
      new Promise(resolve => {
        server.close(() => resolve());
        server.closeAllConnections(); // fetch keeps its connection alive
      })
  };
}

describe('api/requestLog', () => {
  const servers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close => close()));
  });

  /** Sends one request and returns the log line it left (written on 'finish', just after the answer). */
  async function logged(method: string, status: number, init: RequestInit = {}): Promise<Line> {
    const s = await serve();
    servers.push(s.close);
    const res = await fetch(`${s.url}/status/${status}?token=secret-in-query`, { method, ...init });
    await res.arrayBuffer();
    await waitUntil(() => s.lines.length > 0, { timeoutMs: 5000, what: 'the request log line' });
    expect(s.lines).toHaveLength(1);
    return s.lines[0]!;
  }

  it('should log a successful change at info, with method, path, status and duration', async () => {
    const line = await logged('POST', 201);
    expect(line).toMatchObject({ level: 'info', message: 'request', method: 'POST', path: '/status/201', status: 201 });
    expect(typeof line['ms']).toBe('number');
  });

  it('should log successful reads at debug: JupyterLab polls them every few seconds', async () => {
    expect((await logged('GET', 200)).level).toBe('debug');
    expect((await logged('HEAD', 204)).level).toBe('debug');
  });

  it('should log 4xx at warn and 5xx at error, whatever the method', async () => {
    expect((await logged('GET', 404)).level).toBe('warn');
    expect((await logged('DELETE', 409)).level).toBe('warn');
    expect((await logged('GET', 503)).level).toBe('error');
    expect((await logged('POST', 500)).level).toBe('error');
  });

  it('should never log the token, from the query or a header', async () => {
    const line = await logged('POST', 401, { headers: { authorization: 'token secret-in-header' } });
    expect(JSON.stringify(line)).not.toMatch(/secret-in-(query|header)/);
  });
});
