/**
 * Scale: N kernels connected through one gateway process (scale/host.mjs), one websocket
 * client each; gateway RSS per connected kernel, and event-loop lag p99 while `streaming` of
 * them stream output at once.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JupyterWs } from './jupyterWs.mjs';
import { signalGroup } from '../../../server/src/util/processGroup.mjs';
import { mapLimit } from './procs.mjs';

const hostScript = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'scale', 'host.mjs');

/**
 * Forks the scale gateway (scale/host.mjs: sparkgate's createGateway with minimal kernels).
 * Resolves with { port, url, wsUrl, token, ask(cmd), stop() } once it listens.
 */
export async function startScaleHost({ python, zmqMaxSockets = null, serverDist = null, cpuProfDir = null }) {
  const token = 'bench-token';
  const args = ['--python', python, '--token', token, ...(zmqMaxSockets ? ['--zmq-max-sockets', String(zmqMaxSockets)] : []), ...(serverDist ? ['--server-dist', serverDist] : [])];
  const child = fork(hostScript, args, { execArgv: ['--expose-gc', ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
  let seq = 0;
  const waiting = new Map();
  let ready;
  const readyP = new Promise((resolve, reject) => {
    ready = resolve;
    child.once('exit', code => reject(new Error(`scale gateway exited (${code})`)));
  });
  child.on('message', msg => {
    if (msg.ready) {
      ready(msg);
    } else {
      waiting.get(msg.id)?.(msg);
    }
  });
  const ask = cmd =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => reject(new Error(`scale gateway did not answer ${cmd}`)), 60_000);
      waiting.set(id, msg => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(msg);
      });
      child.send({ cmd, id });
    });
  const stop = async () => {
    if (child.connected) {
      child.send({ cmd: 'stop' });
    }
    const exited = await Promise.race([
      new Promise(r => (child.exitCode !== null || child.signalCode !== null ? r(true) : child.once('exit', () => r(true)))),
      new Promise(r => setTimeout(() => r(false), 90_000))
    ]);
    if (!exited) {
      signalGroup(child.pid, 'SIGKILL');
    }
  };
  try {
    const info = await readyP;
    const url = `http://127.0.0.1:${info.port}`;
    return { ...info, name: 'sparkgate', url, wsUrl: url.replace('http', 'ws'), token, ask, stop, log: () => '' };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function runScale({ python, kernels = 1000, streaming = 100, streamCount = 1000, streamBytes = 100, zmqMaxSockets = null, serverDist = null, cpuProfDir = null, log = () => {} }) {
  const host = await startScaleHost({ python, zmqMaxSockets, serverDist, cpuProfDir });
  const { ask, token } = host;
  const clients = [];
  const result = { kernels, streaming, streamCount, streamBytes, zmqMaxSockets, serverDist };
  try {
    result.zmqMaxSocketsEffective = host.zmqMaxSockets;
    const base = host.url;
    await new Promise(r => setTimeout(r, 500));
    const before = (await ask('stats')).stats;
    result.rssBefore = before.rss;
    const t0 = performance.now();
    const errors = [];
    let connected = 0;
    await mapLimit(Array.from({ length: kernels }, (_, i) => i), 16, async i => {
      if (errors.length > 0) {
        return;
      }
      try {
        const res = await fetch(`${base}/api/kernels`, {
          method: 'POST',
          headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: 'python3' })
        });
        const body = await res.json();
        if (res.status !== 201 && res.status !== 200) {
          throw new Error(`POST /api/kernels → ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
        }
        const ws = await JupyterWs.open(base.replace('http', 'ws'), body.id, token);
        await ws.firstIdle;
        clients[i] = ws;
        connected++;
        if (connected % 250 === 0) {
          log(`  scale: ${connected} kernels connected`);
        }
      } catch (error) {
        errors.push(`kernel #${i + 1}: ${error.message}`);
      }
    });
    result.connected = connected;
    result.connectSeconds = (performance.now() - t0) / 1000;
    result.firstError = errors[0] ?? null;
    await new Promise(r => setTimeout(r, 1000));
    const after = (await ask('stats')).stats;
    result.rssAfter = after.rss;
    result.rssPerKernelMB = connected > 0 ? (after.rss - before.rss) / connected / 1048576 : null;
    result.heapPerKernelKB = connected > 0 ? (after.heapUsed - before.heapUsed) / connected / 1024 : null;
    // Idle lag with everything connected, then lag while `streaming` kernels stream at once.
    await ask('resetLag');
    await new Promise(r => setTimeout(r, 2000));
    result.idleLagMs = (await ask('stats')).stats.lagMs;
    const live = clients.filter(Boolean);
    const streamers = live.slice(0, Math.min(streaming, live.length));
    await ask('resetLag');
    const s0 = performance.now();
    const done = await Promise.all(streamers.map(ws => ws.execute(`stream ${streamCount} ${streamBytes}`, { timeoutMs: 180_000 })));
    const seconds = (performance.now() - s0) / 1000;
    result.streamLagMs = (await ask('stats')).stats.lagMs;
    const messages = done.reduce((n, e) => n + e.streams, 0);
    result.streamMessages = messages;
    result.streamExpected = streamers.length * streamCount;
    result.streamSeconds = seconds;
    result.streamMsgsPerSec = messages / seconds;
    result.rssStreaming = (await ask('stats')).stats.rss;
    return result;
  } finally {
    await Promise.all(clients.filter(Boolean).map(ws => ws.close()));
    await host.stop();
  }
}
