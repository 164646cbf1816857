import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port tried when the ephemeral range is known (below it sit well-known and registered services). */
const RESERVED_FLOOR = 20_000;
/** Ports handed out lately by this process, skipped so two launches in flight never get the same one. */
const recent: number[] = [];
const RECENT_MAX = 512;
const TRIES_PER_PORT = 64;

/**
 * First port of the kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range), the
 * ports `bind(0)` picks from; null where that is unknown.
 */
export function ephemeralFloor(read: (file: string) => string = file => readFileSync(file, 'utf8')): number | null {
  try {
    const low = Number(read('/proc/sys/net/ipv4/ip_local_port_range').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > RESERVED_FLOOR + 1000 && low <= 65_535 ? low : null;
  } catch {
    return null;
  }
}

function listen(port: number, host: string): Promise<import('node:net').Server | null> {
  return new Promise(resolve => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen(port, host, () => resolve(server));
  });
}

function close(server: import('node:net').Server): Promise<void> {
  return new Promise(resolve => server.close(() => resolve()));
}

/**
 * Reserves `count` distinct free TCP ports on `host` for a process that binds them later (Spark's
 * UI, a test's jupyter_server). The port is released before that process binds it, so something
 * else may take it meanwhile; the ports are therefore picked *below* the ephemeral range, where
 * no `bind(0)` lands — with dozens of kernels binding their ZeroMQ sockets to port 0, a port from
 * the ephemeral range was taken often enough to fail a Spark start now and then (its UI must not
 * move: `spark.port.maxRetries` is 0). Where the range is unknown, port 0 as before.
 */
export async function freePorts(count: number, host = '127.0.0.1', floor = ephemeralFloor()): Promise<number[]> {
  const held: import('node:net').Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      let server: import('node:net').Server | null = null;
      for (let i = 0; floor !== null && server === null && i < TRIES_PER_PORT; i++) {
        const port = RESERVED_FLOOR + Math.floor(Math.random() * (floor - RESERVED_FLOOR));
        if (!recent.includes(port) && !ports.includes(port)) {
          server = await listen(port, host);
        }
      }
      server ??= await listen(0, host);
      if (server === null) {
        throw new Error(`no free TCP port on ${host}`);
      }
      held.push(server);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      ports.push(port);
      recent.push(port);
      recent.splice(0, Math.max(0, recent.length - RECENT_MAX));
    }
    return ports;
  } finally {
    // Held until all are picked, so one call never returns the same port twice.
    await Promise.all(held.map(close));
  }
}
