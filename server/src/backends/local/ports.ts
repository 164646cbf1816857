import { createServer } from 'node:net';

/**
 * Reserves `count` distinct free TCP ports on `host` by binding port 0 and releasing it.
 * The kernel binds them moments later — the same small race jupyter_client accepts.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<import('node:net').Server>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, host, () => resolve(server));
    }))
  );
  const ports = servers.map(s => {
    const address = s.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map(s => new Promise<void>(resolve => s.close(() => resolve()))));
  return ports;
}
