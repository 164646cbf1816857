import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';

/** TLS material for a probe; files are read at call time. */
export interface ProbeTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/**
 * GETs a URL on a loopback address and resolves with status and body; bounded by `timeoutMs`.
 * Used only for health probes of the control plane (etcd, API server, controllers).
 */
export function get(url: string, tls: ProbeTls = {}, timeoutMs = 2_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const opts =
      u.protocol === 'https:'
        ? {
            ca: tls.caFile ? readFileSync(tls.caFile) : undefined,
            cert: tls.certFile ? readFileSync(tls.certFile) : undefined,
            key: tls.keyFile ? readFileSync(tls.keyFile) : undefined,
            // The controllers serve /healthz with a self-signed certificate of their own.
            rejectUnauthorized: tls.caFile !== undefined
          }
        : {};
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { ...opts, method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
