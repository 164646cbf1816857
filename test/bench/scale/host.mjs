/**
 * The gateway under the scale test, in its own process (forked by the bench, IPC channel):
 * `createGateway` with the real zmq channels and websocket bridge, kernels from
 * `MiniKernelBackend`. Measures its own RSS and event-loop delay (perf_hooks) on request, so
 * the figures are the gateway's alone, not the clients'.
 *
 *   node --expose-gc test/bench/scale/host.mjs --python PY [--capacity 100] [--zmq-max-sockets N]
 *        [--server-dist DIR]   (a baseline build, see support/baseline.mjs; default server/dist)
 */
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { context } from 'zeromq';
import { MiniKernelBackend } from './backend.mjs';

const { values } = parseArgs({
  options: {
    python: { type: 'string' },
    capacity: { type: 'string', default: '100' },
    'zmq-max-sockets': { type: 'string' },
    'server-dist': { type: 'string' },
    token: { type: 'string', default: 'bench-token' }
  }
});
const dist = values['server-dist'] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'server', 'dist');
const load = file => import(pathToFileURL(path.join(dist, file)).href);
const { loadConfig } = await load('config/load.js');
const { createGateway } = await load('gateway.js');
const { configureZmq, createZmqChannels } = await load('channels/zmqChannels.js');
const { createLogger } = await load('log.js');
// As shipped, main.ts raises libzmq's socket limit (default 1023, i.e. 255 kernels at 4 sockets
// each); --zmq-max-sockets overrides it for experiments.
configureZmq({ maxSockets: values['zmq-max-sockets'] ? Number(values['zmq-max-sockets']) : 16384 });
const config = loadConfig({
  flags: { host: '127.0.0.1', port: 0, config: 'scale.yaml' },
  env: { SPARKGATE_TOKEN: values.token, SPARKGATE_PYTHON: values.python },
  // One user holds every kernel here: lift the per-user default (10).
  readFile: () => 'limits: {maxKernelsPerUser: 0}\n',
  defaults: { python: values.python, launcher: '/nonexistent', workingDir: process.cwd() }
});
const backend = new MiniKernelBackend({ python: values.python, capacity: Number(values.capacity) });
const gateway = createGateway({ config, backend, channels: createZmqChannels, logger: createLogger({ level: 'error' }), version: 'bench' });
const address = await gateway.listen();
// The histogram records the interval between samples, so each value includes the resolution
// itself; it is subtracted below to report the delay alone.
const RESOLUTION_MS = 10;
const lag = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
lag.enable();

const stats = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    zmqMaxSockets: context.maxSockets,
    lagMs: {
      p50: delay(lag.percentile(50)),
      p99: delay(lag.percentile(99)),
      max: delay(lag.max),
      n: lag.count
    }
  };
};
function delay(ns) {
  return Math.max(0, ns / 1e6 - RESOLUTION_MS);
}
let stopping = false;
const stop = async () => {
  if (stopping) {
    return;
  }
  stopping = true;
  const timer = setTimeout(() => process.exit(1), 60_000);
  await gateway.stop().catch(() => undefined);
  await backend.dispose().catch(() => undefined);
  clearTimeout(timer);
  process.exit(0);
};
process.on('message', async msg => {
  if (msg.cmd === 'stats') {
    process.send({ id: msg.id, stats: stats() });
  } else if (msg.cmd === 'resetLag') {
    lag.reset();
    process.send({ id: msg.id, ok: true });
  } else if (msg.cmd === 'stop') {
    await stop();
  }
});
process.on('disconnect', () => void stop());
process.once('SIGTERM', () => void stop());
process.send({ ready: true, port: address.port, zmqMaxSockets: context.maxSockets });
