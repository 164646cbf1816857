// Process and network helpers for start.mjs (Node built-ins only).
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { stopGroup } from '../../src/util/processGroup.mjs';

/** `preferred` on host if it is free, else any free port the OS hands out. */
export async function pickPort(host, preferred) {
  const tryListen = (port) =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(undefined));
      srv.listen({ host, port, exclusive: true }, () => {
        const { port: got } = srv.address();
        srv.close(() => resolve(got));
      });
    });
  return (preferred ? await tryListen(preferred) : undefined) ?? (await tryListen(0));
}

/** One GET; resolves to the status code, or undefined when nothing answers. */
export function httpStatus(url, headers = {}, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Poll `url` until it answers 2xx, the child exits, or `timeoutMs` passes.
 * Resolves to 'ready' | 'exited' | 'timeout' | `status <code>` (answered, but not 2xx, at the deadline).
 */
export async function waitHttp(url, { headers, timeoutMs, child }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return 'exited';
    last = await httpStatus(url, headers);
    if (last !== undefined && last >= 200 && last < 300) return 'ready';
    await new Promise((r) => setTimeout(r, 250));
  }
  return last === undefined ? 'timeout' : `status ${last}`;
}

/** pid → "ppid starttime" from /proc/<pid>/stat, or undefined (not Linux, or gone). */
function procStat(pid) {
  try {
    // "pid (comm) state ppid pgrp ... starttime(22nd field)"; comm may contain spaces and parens.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: parseInt(fields[1], 10), start: fields[19] };
  } catch {
    return undefined;
  }
}

/**
 * Every descendant of `pid` as {pid, start} (Linux /proc; empty elsewhere). The start time lets a
 * later kill make sure the pid was not reused meanwhile.
 */
export function descendants(pid) {
  const children = new Map();
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const st = procStat(e);
    if (!st) continue;
    if (!children.has(st.ppid)) children.set(st.ppid, []);
    children.get(st.ppid).push({ pid: parseInt(e, 10), start: st.start });
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(pid);
  return out;
}

export function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves when the child has exited (to true), or after `ms` (to false). */
export function exited(child, ms) {
  if (!alive(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/**
 * Stop a child started with `detached: true` (its own process group): SIGTERM the group, wait
 * up to `graceMs` for it to go, then SIGKILL the group. Finally SIGKILL every descendant seen on
 * the way that is still there (kernels the child started in their own groups, their JVMs).
 */
export async function stopTree(child, graceMs) {
  if (!child?.pid) return;
  const seen = descendants(child.pid);
  // Taken again before SIGKILL: once the group dies, its orphans no longer descend from it.
  await stopGroup(child.pid, { graceMs, killWaitMs: 2000, onKill: () => seen.push(...descendants(child.pid)) });
  await exited(child, 2000);
  for (const { pid, start } of seen) {
    if (procStat(pid)?.start !== start) continue; // gone, or the pid now belongs to someone else
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}
