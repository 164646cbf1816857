#!/usr/bin/env node
/**
 * sparkgate benchmark (issue 6): sparkgate side by side with Enterprise Gateway, Kernel Gateway
 * and a direct ZeroMQ client, same kernel everywhere. See test/bench/README.md.
 *
 *   node test/bench/run.mjs [--targets direct,sparkgate,eg,kg] [--only latency,throughput,relay,start,warm,scale,cluster]
 *                           [--n 2000] [--warmup 200] [--plain-starts 10] [--spark-starts 3]
 *                           [--warm-samples 5] [--warm-pool 1]
 *                           [--cluster-spark-samples 3] [--cluster-burst 30] [--cluster-idle-seconds 60]
 *                           [--scale-kernels 1000] [--scale-streaming 100] [--no-readme] [--cpu-prof]
 *                           [--baseline GIT-REF]   (also runs the gateway as it was at GIT-REF: before/after)
 *
 * Everything listens on 127.0.0.1; every process started here is killed on exit, error or SIGINT.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildBaseline } from './support/baseline.mjs';
import { ensurePeerEnv } from './support/envs.mjs';
import { benchSparkConf, MINI_KERNEL, startGateway } from './support/gateways.mjs';
import { killAllNow, stopAll } from './support/procs.mjs';
import { checks, describe, machine, table } from './support/report.mjs';
import { runScale, startScaleHost } from './support/scale.mjs';
import { runWarm } from './support/warm.mjs';
import { directTarget, gatewayTarget, largeOutput, medianRun, relay, smallMessages, startsRoundRobin } from './support/scenarios.mjs';
import { summarize } from './support/stats.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: opt } = parseArgs({
  options: {
    targets: { type: 'string', default: 'direct,sparkgate,eg,kg' },
    only: { type: 'string', default: 'latency,throughput,relay,start,warm,scale' },
    n: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
    'plain-starts': { type: 'string', default: '10' },
    'spark-starts': { type: 'string', default: '3' },
    'large-repeats': { type: 'string', default: '3' },
    // Warm pools (issue 15): pyspark launches with a pool refilled between samples vs without.
    'warm-samples': { type: 'string', default: '5' },
    'warm-pool': { type: 'string', default: '1' },
    // The cluster phase (opt-in, --only cluster): the Kubernetes backend on the test control plane.
    'cluster-spark-samples': { type: 'string', default: '3' },
    'cluster-burst': { type: 'string', default: '30' },
    'cluster-idle-seconds': { type: 'string', default: '60' },
    'cluster-kinds': { type: 'string', default: 'cold,warm,held' },
    'scale-kernels': { type: 'string', default: '1000' },
    'scale-streaming': { type: 'string', default: '100' },
    'no-readme': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    // A git revision of the gateway to run beside the working tree's (before/after figures).
    baseline: { type: 'string' },
    // Re-renders the table, checks and README section from a saved bench-results/*.json.
    render: { type: 'string' },
    // With --render: the cluster phase taken from another saved run (an opt-in phase rerun alone).
    'merge-cluster': { type: 'string' }
  }
});
const only = new Set(opt.only.split(','));
// The warm, scale and cluster phases start their own gateways: the targets are for the others.
const TARGET_PHASES = ['latency', 'throughput', 'relay', 'start'];
const wanted = TARGET_PHASES.some(p => only.has(p)) ? opt.targets.split(',') : [];
if (opt.baseline && !wanted.includes('baseline')) {
  wanted.splice(wanted.includes('sparkgate') ? wanted.indexOf('sparkgate') + 1 : wanted.length, 0, 'baseline');
}
const python = process.env.SPARKGATE_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python');
const launcher = path.join(repoRoot, 'images', 'kernel', 'sparkgate_launcher.py');
const basePython = process.env.SPARKGATE_BENCH_BASE_PYTHON ?? 'python3';
const cacheDir = path.join(repoRoot, '.cache', 'bench');
const outDir = path.join(repoRoot, 'bench-results');
// The warm and cluster phases add ~5 and ~15 minutes on 2 cores.
const HARD_LIMIT_MS = (40 + (only.has('warm') ? 10 : 0) + (only.has('cluster') ? 30 : 0)) * 60_000;
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
    if (opt['merge-cluster']) {
      const other = JSON.parse(readFileSync(opt['merge-cluster'], 'utf8'));
      results.cluster = other.cluster;
      results.clusterFrom = { date: other.date, file: path.relative(repoRoot, path.resolve(opt['merge-cluster'])), revision: other.revision };
    }
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
  const results = { date: new Date().toISOString(), machine: machine(python), revision: revision(), options: opt, targets: {}, scale: null };
  log('machine', JSON.stringify(results.machine));
  const peerBins = {};
  for (const peer of ['eg', 'kg'].filter(p => wanted.includes(p))) {
    peerBins[peer] = ensurePeerEnv({ cacheDir, peer, repoRoot, basePython, log });
  }
  let baselineDist = null;
  if (wanted.includes('baseline')) {
    if (!opt.baseline) {
      throw new Error('target baseline needs --baseline GIT-REF');
    }
    const built = buildBaseline({ repoRoot, ref: opt.baseline, cacheDir, log });
    baselineDist = built.dist;
    results.baseline = { ref: opt.baseline, sha: built.sha };
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
          gateways[name] = await startGateway(name, { repoRoot, python, launcher, peerBins, cpuProfDir, serverDist: name === 'baseline' ? baselineDist : null });
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
      await relayThroughput(results, targets, gateways, baselineDist);
    }
    if (only.has('start')) {
      for (const [spec, key, count] of [['python3', 'startPlain', Number(opt['plain-starts'])], ['pyspark', 'startSpark', Number(opt['spark-starts'])]]) {
        if (count <= 0) {
          continue;
        }
        const byTarget = await startsRoundRobin(targets, spec, { count, log });
        for (const [name, r] of Object.entries(byTarget)) {
          results.targets[name][key] = r;
          if (r.error) {
            log(`${name}: ${r.failures} of ${count} ${spec} starts failed; first: ${r.error}\n${gateways[name]?.log().slice(-2000) ?? ''}`);
          }
        }
      }
    }
  } finally {
    for (const gw of Object.values(gateways)) {
      await gw.stop();
    }
  }
  if (only.has('warm') && Number(opt['warm-samples']) > 0) {
    try {
      results.warm = await runWarm({ repoRoot, python, launcher, samples: Number(opt['warm-samples']), poolSize: Number(opt['warm-pool']), log });
      log('warm', JSON.stringify(results.warm));
    } catch (error) {
      results.warm = { error: error.message.split('\n')[0].slice(0, 300) };
      log(`warm failed: ${error.stack}`);
    }
  }
  if (only.has('cluster')) {
    try {
      // The cluster harness is TypeScript: transpiled on import like the jest tiers do (support/tsLoader.mjs).
      register('./support/tsLoader.mjs', import.meta.url);
      const { runCluster } = await import('./support/cluster.mjs');
      results.cluster = await runCluster({
        sparkSamples: Number(opt['cluster-spark-samples']),
        burstSize: Number(opt['cluster-burst']),
        idleSeconds: Number(opt['cluster-idle-seconds']),
        kinds: opt['cluster-kinds'].split(','),
        log
      });
      log('cluster', JSON.stringify(results.cluster, (k, v) => (k === 'runs' ? undefined : v)));
    } catch (error) {
      results.cluster = { ...(results.cluster ?? {}), error: error.message.split('\n')[0].slice(0, 300) };
      log(`cluster failed: ${error.stack}`);
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
    // The same scenario with the baseline build, for before/after figures.
    if (baselineDist) {
      try {
        results.scaleBaseline = await runScale({ ...scaleOpts, serverDist: baselineDist });
        log('scale, baseline', JSON.stringify(results.scaleBaseline));
      } catch (error) {
        results.scaleBaseline = { kernels: scaleOpts.kernels, connected: 0, firstError: error.message };
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

/** The commit measured, and the gateway sources that differ from it (server/dist is built from the working tree). */
function revision() {
  const git = args => {
    try {
      // Not trimmed: porcelain lines start with a status column that may be a space.
      return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
    } catch {
      return null;
    }
  };
  const status = git(['status', '--porcelain', '--', 'server/src', 'images/kernel']) ?? '';
  return { head: git(['rev-parse', '--short', 'HEAD']), uncommitted: status.split('\n').filter(l => l.length > 3).map(l => l.slice(3)) };
}

function fail(results, name, error, gw) {
  results.targets[name].error = error.message;
  log(`${name} failed: ${error.stack}\n${gw?.log().slice(-2000) ?? ''}`);
}

/**
 * One python3 kernel per target, all open at once. Latency samples are taken round-robin across
 * the targets (one request each per round), so drift of this shared 2-core machine (CPU steal,
 * frequency, other work) lands on every target alike instead of on whichever ran last.
 * Throughput then runs round-robin too.
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
        // Rotated each round, so no target always follows the same one.
        const k = ((i % names.length) + names.length) % names.length;
        for (const name of [...names.slice(k), ...names.slice(0, k)]) {
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
      // Round-robin like the latency samples: repeat r of every target, then repeat r + 1.
      const small = await roundRobin(names, 1, name => smallMessages(kernels[name]), results, gateways);
      const large = await roundRobin(names, Number(opt['large-repeats']), name => largeOutput(kernels[name]), results, gateways);
      for (const name of names) {
        const r = results.targets[name];
        if (small[name]) {
          r.small = small[name];
          log(`${name} 50k prints: ${r.small.msgsPerSec.toFixed(0)} msgs/s, complete ${r.small.allComplete}`);
        }
        if (large[name]) {
          r.large = large[name];
          log(`${name} 20 MiB: ${r.large.mibPerSec.toFixed(1)} MiB/s (runs: ${r.large.allSeconds.map(x => (20 / x).toFixed(1)).join(', ')}), complete ${r.large.allComplete}`);
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
 * `repeats` runs of `run(name)` for each of `names`, round-robin; the median run per target (see
 * `medianRun`). A target whose run throws is reported and left out of the later rounds.
 */
async function roundRobin(names, repeats, run, results, gateways) {
  const runs = Object.fromEntries(names.map(name => [name, []]));
  const failed = new Set();
  for (let i = 0; i < repeats; i++) {
    for (const name of names.filter(n => !failed.has(n))) {
      try {
        runs[name].push(await run(name));
      } catch (error) {
        failed.add(name);
        fail(results, name, error, gateways[name]);
      }
    }
  }
  return Object.fromEntries(names.filter(n => !failed.has(n)).map(name => [name, medianRun(runs[name])]));
}

/**
 * 50,000 numbered stream messages from the minimal kernel, median of 3, round-robin across the
 * targets. EG and KG run it through a `mini` kernelspec; sparkgate's CLI always starts the
 * project launcher, so for sparkgate (and the baseline) this uses the same gateway code
 * (createGateway, zmq channels, websocket bridge) in scale/host.mjs with the minimal-kernel backend.
 */
async function relayThroughput(results, targets, gateways, baselineDist) {
  const hosts = [];
  const kernels = {};
  try {
    for (const [name, target] of Object.entries(targets)) {
      try {
        let t = target;
        if (name === 'sparkgate' || name === 'baseline') {
          const host = await startScaleHost({ python, serverDist: name === 'baseline' ? baselineDist : null });
          hosts.push(host);
          t = gatewayTarget(host, { mini: 'python3' });
        }
        kernels[name] = await t.open('mini');
      } catch (error) {
        fail(results, name, error, gateways[name]);
      }
    }
    const done = await roundRobin(Object.keys(kernels), 3, name => relay(kernels[name]), results, gateways);
    for (const [name, r] of Object.entries(done)) {
      results.targets[name].relay = r;
      log(`${name} relay 50k: ${r.msgsPerSec.toFixed(0)} msgs/s (runs: ${r.allSeconds.map(x => (50_000 / x).toFixed(0)).join(', ')}), complete ${r.allComplete}`);
    }
  } finally {
    for (const kernel of Object.values(kernels)) {
      await kernel.close().catch(() => undefined);
    }
    for (const host of hosts) {
      await host.stop();
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
    ...(results.revision ? [`Gateway built from ${results.revision.head}${results.revision.uncommitted.length ? ` plus uncommitted changes to ${results.revision.uncommitted.join(', ')}` : ''}.`] : []),
    ...(results.clusterFrom ? [`The cluster tables and checks are from the run of ${results.clusterFrom.date.slice(0, 16).replace('T', ' ')} UTC (\`${results.clusterFrom.file}\`, gateway ${results.clusterFrom.revision?.head ?? '?'}), rendered in with \`--render … --merge-cluster …\`.`] : []),
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
