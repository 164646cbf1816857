#!/usr/bin/env node
/**
 * sparkgate benchmark (issue 6): sparkgate side by side with Enterprise Gateway, Kernel Gateway
 * and a direct ZeroMQ client, same kernel everywhere. See test/bench/README.md.
 *
 *   node test/bench/run.mjs [--targets direct,sparkgate,eg,kg] [--only latency,throughput,start,scale]
 *                           [--n 2000] [--warmup 200] [--plain-starts 10] [--spark-starts 3]
 *                           [--scale-kernels 1000] [--scale-streaming 100] [--no-readme] [--cpu-prof]
 *
 * Everything listens on 127.0.0.1; every process started here is killed on exit, error or SIGINT.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePeerEnv } from './support/envs.mjs';
import { benchSparkConf, MINI_KERNEL, startGateway } from './support/gateways.mjs';
import { killAllNow, stopAll } from './support/procs.mjs';
import { checks, describe, machine, table } from './support/report.mjs';
import { runScale, startScaleHost } from './support/scale.mjs';
import { directTarget, gatewayTarget, largeOutput, medianOf, relay, smallMessages, starts } from './support/scenarios.mjs';
import { summarize } from './support/stats.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: opt } = parseArgs({
  options: {
    targets: { type: 'string', default: 'direct,sparkgate,eg,kg' },
    only: { type: 'string', default: 'latency,throughput,relay,start,scale' },
    n: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
    'plain-starts': { type: 'string', default: '10' },
    'spark-starts': { type: 'string', default: '3' },
    'large-repeats': { type: 'string', default: '3' },
    'scale-kernels': { type: 'string', default: '1000' },
    'scale-streaming': { type: 'string', default: '100' },
    'no-readme': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'no-experiments': { type: 'boolean', default: false },
    // Re-renders the table, checks and README section from a saved bench-results/*.json.
    render: { type: 'string' }
  }
});
const only = new Set(opt.only.split(','));
const wanted = opt.targets.split(',');
const python = process.env.SPARKGATE_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python');
const launcher = path.join(repoRoot, 'images', 'kernel', 'sparkgate_launcher.py');
const basePython = process.env.SPARKGATE_BENCH_BASE_PYTHON ?? 'python3';
const cacheDir = path.join(repoRoot, '.cache', 'bench');
const outDir = path.join(repoRoot, 'bench-results');
const HARD_LIMIT_MS = 40 * 60_000;
const started = Date.now();
const log = (...args) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`, ...args);

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping every gateway and kernel`);
    void stopAll().finally(() => process.exit(130));
  });
}
setTimeout(() => {
  log(`hard limit of ${HARD_LIMIT_MS / 60_000} min reached; stopping`);
  void stopAll().finally(() => process.exit(2));
}, HARD_LIMIT_MS).unref();

async function main() {
  if (opt.render) {
    const results = JSON.parse(readFileSync(opt.render, 'utf8'));
    results.checks = checks(results);
    return report(results, path.relative(repoRoot, path.resolve(opt.render)));
  }
  if (!existsSync(python)) {
    throw new Error(`kernel Python ${python} not found: run \`npm run setup\` or set SPARKGATE_PYTHON`);
  }
  if (!existsSync(path.join(repoRoot, 'server', 'dist', 'gateway.js'))) {
    throw new Error('server/dist is missing: run `npm run build --workspace server` (server/scripts/bench.mjs does)');
  }
  mkdirSync(outDir, { recursive: true });
  const results = { date: new Date().toISOString(), machine: machine(python), options: opt, targets: {}, scale: null };
  log('machine', JSON.stringify(results.machine));
  const peerBins = {};
  for (const peer of ['eg', 'kg'].filter(p => wanted.includes(p))) {
    peerBins[peer] = ensurePeerEnv({ cacheDir, peer, repoRoot, basePython, log });
  }
  const cpuProfDir = opt['cpu-prof'] ? path.join(outDir, 'cpu-prof') : null;
  const gateways = {};
  const targets = {};
  try {
    for (const name of wanted) {
      results.targets[name] = {};
      try {
        if (name === 'direct') {
          targets[name] = directTarget({ python, launcher, sparkConf: benchSparkConf, miniKernel: MINI_KERNEL });
        } else {
          log(`starting ${name}`);
          gateways[name] = await startGateway(name, { repoRoot, python, launcher, peerBins, cpuProfDir });
          targets[name] = gatewayTarget(gateways[name]);
        }
      } catch (error) {
        fail(results, name, error, gateways[name]);
      }
    }
    if (only.has('latency') || only.has('throughput')) {
      await latencyAndThroughput(results, targets, gateways);
    }
    if (only.has('relay')) {
      await relayThroughput(results, targets, gateways);
    }
    if (only.has('start')) {
      for (const [name, target] of Object.entries(targets)) {
        const r = results.targets[name];
        try {
          r.startPlain = await starts(target, 'python3', { count: Number(opt['plain-starts']), log });
          if (Number(opt['spark-starts']) > 0) {
            r.startSpark = await starts(target, 'pyspark', { count: Number(opt['spark-starts']), log });
          }
        } catch (error) {
          fail(results, name, error, gateways[name]);
        }
      }
    }
  } finally {
    for (const gw of Object.values(gateways)) {
      await gw.stop();
    }
  }
  if (only.has('scale')) {
    const scaleOpts = { python, kernels: Number(opt['scale-kernels']), streaming: Number(opt['scale-streaming']), log };
    log(`scale: ${scaleOpts.kernels} kernels, ${scaleOpts.streaming} streaming`);
    try {
      results.scale = await runScale(scaleOpts);
      log('scale', JSON.stringify(results.scale));
    } catch (error) {
      results.scale = { kernels: scaleOpts.kernels, connected: 0, firstError: error.message };
      log(`scale failed: ${error.stack}`);
    }
    // Same scenario with the two candidate fixes (see scale/host.mjs) for before/after figures.
    if (!opt['no-experiments']) {
      try {
        results.scaleExperiment = await runScale({ ...scaleOpts, zmqMaxSockets: 8192, yieldEvery: 8 });
        log('scale, candidate fixes', JSON.stringify(results.scaleExperiment));
      } catch (error) {
        results.scaleExperiment = { kernels: scaleOpts.kernels, connected: 0, firstError: error.message };
      }
    }
  }
  results.seconds = (Date.now() - started) / 1000;
  results.checks = checks(results);
  const file = path.join(outDir, `${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  report(results, path.relative(repoRoot, file));
}

function report(results, file) {
  const text = table(results);
  const checkText = results.checks.map(c => `- ${c.status} ${c.name}: ${c.detail}`).join('\n');
  console.log(`\n${describe(results)}\n\n${text}\n\nTargets:\n${checkText}\n\nraw figures: ${file}`);
  if (!opt['no-readme']) {
    updateReadme(results, text, checkText, file);
  }
}

function fail(results, name, error, gw) {
  results.targets[name].error = error.message;
  log(`${name} failed: ${error.stack}\n${gw?.log().slice(-2000) ?? ''}`);
}

/**
 * One python3 kernel per target, all open at once. Latency samples are taken round-robin across
 * the targets (one request each per round), so drift of this shared 2-core machine (CPU steal,
 * frequency, other work) lands on every target alike instead of on whichever ran last.
 * Throughput then runs target by target.
 */
async function latencyAndThroughput(results, targets, gateways) {
  const kernels = {};
  try {
    for (const [name, target] of Object.entries(targets)) {
      try {
        kernels[name] = await target.open('python3');
      } catch (error) {
        fail(results, name, error, gateways[name]);
      }
    }
    const names = Object.keys(kernels);
    if (only.has('latency')) {
      const n = Number(opt.n);
      const warmup = Number(opt.warmup);
      const samples = Object.fromEntries(names.map(name => [name, new Float64Array(n)]));
      for (let i = -warmup; i < n; i++) {
        for (const name of names) {
          const t = performance.now();
          await kernels[name].client.execute('pass', { timeoutMs: 30_000 });
          if (i >= 0) {
            samples[name][i] = performance.now() - t;
          }
        }
      }
      for (const name of names) {
        const r = (results.targets[name].latency = summarize(samples[name]));
        log(`${name} latency p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms`);
      }
    }
    if (only.has('throughput')) {
      for (const name of names) {
        const r = results.targets[name];
        try {
          r.small = await medianOf(1, () => smallMessages(kernels[name]));
          log(`${name} 50k prints: ${r.small.msgsPerSec.toFixed(0)} msgs/s, complete ${r.small.allComplete}`);
          r.large = await medianOf(Number(opt['large-repeats']), () => largeOutput(kernels[name]));
          log(`${name} 20 MiB: ${r.large.mibPerSec.toFixed(1)} MiB/s, complete ${r.large.allComplete}`);
        } catch (error) {
          fail(results, name, error, gateways[name]);
        }
      }
    }
  } finally {
    for (const kernel of Object.values(kernels)) {
      await kernel.close().catch(() => undefined);
    }
  }
}

/**
 * 50,000 numbered stream messages from the minimal kernel, median of 3. EG and KG run it through
 * a `mini` kernelspec; sparkgate's CLI always starts the project launcher, so for sparkgate this
 * uses the same gateway code (createGateway, zmq channels, websocket bridge) in scale/host.mjs
 * with the minimal-kernel backend.
 */
async function relayThroughput(results, targets, gateways) {
  for (const [name, target] of Object.entries(targets)) {
    let host = null;
    const r = results.targets[name];
    try {
      let t = target;
      if (name === 'sparkgate') {
        host = await startScaleHost({ python });
        t = gatewayTarget(host, { mini: 'python3' });
      }
      const kernel = await t.open('mini');
      try {
        r.relay = await medianOf(3, () => relay(kernel));
        log(`${name} relay 50k: ${r.relay.msgsPerSec.toFixed(0)} msgs/s, complete ${r.relay.allComplete}`);
      } finally {
        await kernel.close();
      }
    } catch (error) {
      fail(results, name, error, gateways[name]);
    } finally {
      await host?.stop();
    }
  }
}

function updateReadme(results, text, checkText, file) {
  const readme = path.join(repoRoot, 'test', 'bench', 'README.md');
  const m = results.machine;
  const block = [
    '<!-- bench:results:start (written by test/bench/run.mjs) -->',
    `Run of ${results.date.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(results.seconds)} s; machine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, Python ${m.python}.`,
    `Options: ${JSON.stringify(results.options)}. Raw figures: \`${file}\` (not committed).`,
    '',
    text,
    '',
    'Targets:',
    '',
    checkText,
    '<!-- bench:results:end -->'
  ].join('\n');
  const current = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
  const re = /<!-- bench:results:start[\s\S]*?<!-- bench:results:end -->/;
  writeFileSync(readme, re.test(current) ? current.replace(re, block) : `${current}\n${block}\n`);
}

main()
  .catch(error => {
    console.error(`bench failed: ${error.stack ?? error}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
    process.exit(process.exitCode ?? 0);
  });
