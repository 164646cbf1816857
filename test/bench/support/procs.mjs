/**
 * Child processes of the benchmark: each leads its own process group, is registered, and is
 * killed (group-wide, SIGTERM then SIGKILL) when the bench ends, fails or is interrupted.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalGroup, stopGroup } from '../../../server/src/util/processGroup.mjs';

const live = new Set();

/** Spawns `cmd` detached (own process group) with stdout/stderr kept for error messages. */
export function start(name, cmd, args, options = {}) {
  const child = spawn(cmd, args, { ...options, detached: true, stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'] });
  const entry = { name, child, log: '', exited: false };
  const keep = chunk => {
    entry.log = (entry.log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  entry.exit = new Promise(resolve =>
    child.once('exit', (code, signal) => {
      entry.exited = true;
      live.delete(entry);
      resolve({ code, signal });
    })
  );
  child.once('error', error => keep(`spawn error: ${error.message}`));
  live.add(entry);
  return entry;
}

/** Stops one process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(entry, graceMs = 5000) {
  if (!entry || entry.exited) {
    return;
  }
  // Kernels a gateway started lead their own groups; they are the gateway's to stop.
  await stopGroup(entry.child.pid, { graceMs, killWaitMs: 2000 });
  await Promise.race([entry.exit, sleep(2000)]);
}

/** Kills every registered process group (exit, error, SIGINT). */
export async function stopAll(graceMs = 3000) {
  await Promise.all([...live].map(entry => stop(entry, graceMs)));
}

/** Synchronous last resort for `process.on('exit')`. */
export function killAllNow() {
  for (const entry of live) {
    signalGroup(entry.child.pid, 'SIGKILL');
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers (any status below 500) or `timeoutMs` passes. */
export async function waitHttp(url, entry, timeoutMs = 60_000, headers = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (entry?.exited) {
      throw new Error(`${entry.name} exited during start:\n${entry.log.slice(-3000)}`);
    }
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status < 500) {
        return;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${entry?.name ?? url} did not answer ${url} within ${timeoutMs} ms:\n${entry?.log.slice(-3000) ?? ''}`);
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
