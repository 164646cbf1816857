import { createServer } from 'node:net';

/**
 * Returns a TCP port that was free on `host` a moment ago. Components that cannot listen on port 0
 * and report back (etcd, kube-apiserver) get their port this way; a clash shows up as a start error.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
