import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderExposition, type FakeGpu } from './dcgm.js';

/** A running fake DCGM exporter. */
export interface DcgmExporter {
  /** http://127.0.0.1:<port> (the series are at `/metrics`). */
  url: string;
  /** host:port, as a Prometheus scrape target. */
  target: string;
  stop(): Promise<void>;
}

/**
 * Serves the fake GPUs on 127.0.0.1 as dcgm-exporter serves real ones (`GET /metrics`, text format 0.0.4),
 * computing the series at each scrape from `gpus()` (the node agent's assignment and state files).
 */
export async function startDcgmExporter(gpus: () => Promise<FakeGpu[]>, port = 0): Promise<DcgmExporter> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    gpus().then(
      (list) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderExposition(list)),
      (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${String(err)}\n`)
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    target: `127.0.0.1:${bound}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // Prometheus keeps its scrape connection alive
      })
  };
}
