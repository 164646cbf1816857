import { createServer, type Server } from 'node:net';

/**
 * Returns `n` distinct TCP ports that were free on `host` a moment ago. All probe sockets stay
 * open until every port is picked, so the kernel cannot hand the same port out twice. A process
 * elsewhere may still take one before the component binds it; callers retry on "address already
 * in use" (see startControlPlane).
 */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, host, () => resolve());
      });
    }
    return servers.map((s) => {
      const addr = s.address();
      return typeof addr === 'object' && addr !== null ? addr.port : 0;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** One free port; see {@link freePorts}. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return (await freePorts(1, host))[0];
}
