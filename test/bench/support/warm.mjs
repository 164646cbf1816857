/**
 * The warm phase (issue 15): launches of the `pyspark` profile from a gateway with a warm pool of
 * it against a gateway without one, same run, local backend. Each sample waits until the pool is
 * full again (GET /api/me `warm`), so no sample runs beside a pool refill and the cold samples do
 * not share the machine with one either.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { rest, startGateway } from './gateways.mjs';
import { gatewayTarget } from './scenarios.mjs';
import { summarize } from './stats.mjs';

const PROFILE = 'pyspark';
/** A refill starts a JVM and a SparkSession: ~15–30 s on 2 shared cores. */
const REFILL_TIMEOUT_MS = 180_000;

/** The built-in `pyspark` profile's driver cores (config/load.ts defaultProfiles). */
const DRIVER_CORES = 2;
const SPARK_CHECK = 'spark.range(1).count()';

/**
 * Single-user mode (tenant `default`) with the built-in profiles; no runtime dir, so it never
 * adopts another gateway's kernels. `held`: the tenant's cores fit only the pool, so the pool
 * refills once the claimed driver is shut down, not while the sample runs (it shows what the
 * refill's JVM start costs the claimed driver on 2 cores).
 */
function gatewayConfig(poolSize, held) {
  const pools = poolSize > 0 ? { pools: { [PROFILE]: { size: poolSize, maxIdleMinutes: 0 } } } : {};
  const limits = held ? { limits: { cores: poolSize * DRIVER_CORES } } : {};
  return { local: { runtimeDir: null }, tenants: { default: { ...pools, ...limits } } };
}

/** One launch: POST → first idle, POST → count answered, and a second count right after (the first job's own warm-up). */
async function sample(gw) {
  const kernel = await gatewayTarget(gw).open(PROFILE);
  try {
    const count = async () => {
      const entry = await kernel.client.execute(SPARK_CHECK, { timeoutMs: 180_000 });
      if (entry.reply.content.status !== 'ok') {
        throw new Error(`${gw.name}: ${SPARK_CHECK} failed: ${JSON.stringify(entry.reply.content).slice(0, 500)}`);
      }
    };
    await count();
    const sparkMs = performance.now() - kernel.t0;
    const t = performance.now();
    await count();
    return { idleMs: kernel.startMs, sparkMs, againMs: performance.now() - t };
  } finally {
    await kernel.close();
  }
}

/** Polls GET /api/me until the pool holds `size` ready drivers; milliseconds waited. */
export async function waitWarm(gw, size, timeoutMs = REFILL_TIMEOUT_MS) {
  const t0 = performance.now();
  const deadline = Date.now() + timeoutMs;
  let warm = 0;
  while (Date.now() < deadline) {
    const me = await rest(gw, 'GET', '/api/me');
    warm = me.profiles.find(p => p.id === PROFILE)?.warm ?? 0;
    if (warm >= size) {
      return performance.now() - t0;
    }
    await sleep(200);
  }
  throw new Error(`${gw.name}: warm pool of ${PROFILE} at ${warm} of ${size} after ${timeoutMs} ms`);
}

/**
 * `samples` launches of each kind, round-robin with the order rotated each round: `cold` (no
 * pool), `warm` (pool of `poolSize`, refilling in the background as a claim happens) and `held`
 * (the same pool, but the tenant's limits delay its refill until the claimed driver is gone).
 * Returns per kind `idleMs`, `sparkMs`, `againMs` summaries, failures and the first error.
 */
export async function runWarm({ repoRoot, python, launcher, samples, poolSize, log }) {
  const scratch = await mkdtemp(path.join(tmpdir(), 'sparkgate-bench-warm-'));
  const kinds = { cold: [0, false], warm: [poolSize, false], held: [poolSize, true] };
  const gateways = {};
  const acc = Object.fromEntries(Object.keys(kinds).map(k => [k, { idle: [], spark: [], again: [], failures: 0, error: null }]));
  const refills = [];
  const pooled = Object.keys(kinds).filter(k => kinds[k][0] > 0);
  const waitPools = async () => {
    for (const k of pooled) {
      refills.push(await waitWarm(gateways[k], poolSize));
    }
  };
  try {
    for (const [name, [size, held]] of Object.entries(kinds)) {
      const configFile = path.join(scratch, `${name}.json`);
      // JSON is YAML: the gateway's --config reads either.
      await writeFile(configFile, JSON.stringify(gatewayConfig(size, held)));
      gateways[name] = await startGateway('sparkgate', { repoRoot, python, launcher, configFile, label: `sparkgate ${name}` });
    }
    log(`warm: pools of ${poolSize} ${PROFILE} driver(s) filling`);
    await waitPools();
    refills.length = 0;
    const names = Object.keys(kinds);
    for (let i = 0; i < samples; i++) {
      const k = i % names.length;
      for (const name of [...names.slice(k), ...names.slice(0, k)]) {
        const a = acc[name];
        if (a.failures >= 2) {
          continue;
        }
        // Every kind waits for full pools: no sample shares the cores with a refill it did not cause.
        await waitPools();
        try {
          const r = await sample(gateways[name]);
          a.idle.push(r.idleMs);
          a.spark.push(r.sparkMs);
          a.again.push(r.againMs);
          log(`  ${name} ${PROFILE} ${i + 1}/${samples}: first idle ${Math.round(r.idleMs)} ms, count ${Math.round(r.sparkMs)} ms, count again ${Math.round(r.againMs)} ms`);
        } catch (error) {
          a.failures++;
          a.error ??= error.message.split('\n')[0].slice(0, 300);
          log(`  ${name} ${PROFILE} ${i + 1}/${samples} failed: ${error.message.split('\n')[0]}\n${gateways[name].log().slice(-2000)}`);
        }
      }
    }
  } finally {
    for (const gw of Object.values(gateways)) {
      await gw.stop();
    }
    await rm(scratch, { recursive: true, force: true });
  }
  const out = a => ({ idleMs: summarize(a.idle), sparkMs: summarize(a.spark), againMs: summarize(a.again), failures: a.failures, error: a.error });
  return { profile: PROFILE, poolSize, samples, ...Object.fromEntries(Object.entries(acc).map(([k, a]) => [k, out(a)])), refillMs: summarize(refills) };
}
