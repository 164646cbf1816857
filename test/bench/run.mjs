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
import { ensurePeerEnv } from './lib/envs.mjs';
import { benchSparkConf, startGateway } from './lib/gateways.mjs';
import { killAllNow, stopAll } from './lib/procs.mjs';
import { checks, describe, machine, table } from './lib/report.mjs';
import { runScale } from './lib/scale.mjs';
import { directTarget, gatewayTarget, largeOutput, latency, medianOf, smallMessages, starts } from './lib/scenarios.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: opt } = parseArgs({
  options: {
    targets: { type: 'string', default: 'direct,sparkgate,eg,kg' },
    only: { type: 'string', default: 'latency,throughput,start,scale' },
    n: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
    'plain-starts': { type: 'string', default: '10' },
    'spark-starts': { type: 'string', default: '3' },
    'large-repeats': { type: 'string', default: '3' },
    'scale-kernels': { type: 'string', default: '1000' },
    'scale-streaming': { type: 'string', default: '100' },
    'no-readme': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false }
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
  for (const name of wanted) {
    const r = (results.targets[name] = {});
    let gw = null;
    try {
      let target;
      if (name === 'direct') {
        target = directTarget({ python, launcher, sparkConf: benchSparkConf });
      } else {
        log(`starting ${name}`);
        gw = await startGateway(name, { repoRoot, python, launcher, peerBins, cpuProfDir });
        target = gatewayTarget(gw);
      }
      if (only.has('latency') || only.has('throughput')) {
        const kernel = await target.open('python3');
        try {
          if (only.has('latency')) {
            r.latency = await latency(kernel, { n: Number(opt.n), warmup: Number(opt.warmup) });
            log(`${name} latency p50 ${r.latency.p50.toFixed(3)} ms, p99 ${r.latency.p99.toFixed(3)} ms`);
          }
          if (only.has('throughput')) {
            r.small = await medianOf(1, () => smallMessages(kernel));
            log(`${name} 50k prints: ${r.small.msgsPerSec.toFixed(0)} msgs/s, complete ${r.small.allComplete}`);
            r.large = await medianOf(Number(opt['large-repeats']), () => largeOutput(kernel));
            log(`${name} 20 MiB: ${r.large.mibPerSec.toFixed(1)} MiB/s, complete ${r.large.allComplete}`);
          }
        } finally {
          await kernel.close();
        }
      }
      if (only.has('start')) {
        r.startPlain = await starts(target, 'python3', { count: Number(opt['plain-starts']), log });
        if (Number(opt['spark-starts']) > 0) {
          r.startSpark = await starts(target, 'pyspark', { count: Number(opt['spark-starts']), log });
        }
      }
    } catch (error) {
      r.error = error.message;
      log(`${name} failed: ${error.stack}\n${gw?.log().slice(-2000) ?? ''}`);
    } finally {
      await gw?.stop();
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
  }
  results.seconds = (Date.now() - started) / 1000;
  results.checks = checks(results);
  const file = path.join(outDir, `${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  const text = table(results);
  const checkText = results.checks.map(c => `- ${c.status} ${c.name}: ${c.detail}`).join('\n');
  console.log(`\n${describe(results)}\n\n${text}\n\nTargets:\n${checkText}\n\nraw figures: ${path.relative(repoRoot, file)}`);
  if (!opt['no-readme']) {
    updateReadme(results, text, checkText, path.relative(repoRoot, file));
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
