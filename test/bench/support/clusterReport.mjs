/** The cluster phase's tables and target checks (support/cluster.mjs, issue 15). */
import { fmt, ratio } from './stats.mjs';

const finite = v => typeof v === 'number' && Number.isFinite(v);
const SHOWN_PHASES = ['scheduling', 'pulling', 'starting', 'kernel-ready', 'spark-ready'];

/** Requests per minute in an idle window besides the gateway-wide ones (leader lease, watch restarts). */
function perMinute(w) {
  return w ? ((w.requests - w.gatewayWide) * 60) / w.seconds : null;
}

export function clusterTable(c) {
  if (!c) {
    return [];
  }
  const out = [];
  const { cold, warm } = c;
  if (cold?.spark || warm?.spark) {
    out.push(
      '',
      `| test cluster: pyspark driver only, ${c.sparkSamples} launches each (POST /api/clusters) | cold | warm | cold ÷ warm |`,
      '|---|---|---|---|'
    );
    for (const p of SHOWN_PHASES) {
      const [a, b] = [cold?.spark?.phaseP50?.[p], warm?.spark?.phaseP50?.[p]];
      if (finite(a) || finite(b)) {
        out.push(`| phase \`${p}\` first seen, p50 ms after POST | ${fmt(a, 0)} | ${fmt(b, 0)} | ${fmt(ratio(a, b), 1)} |`);
      }
    }
    for (const [label, key] of [['POST → first idle', 'idleMs'], ['POST → `spark.range(1).count()` answered', 'sparkMs']]) {
      const [a, b] = [cold?.spark?.[key]?.p50, warm?.spark?.[key]?.p50];
      out.push(`| ${label}, p50 ms | ${fmt(a, 0)} | ${fmt(b, 0)} | ${fmt(ratio(a, b), 1)} |`);
    }
    out.push(`| API-server requests per launch (POST → count; warm: claim + the pool's refill), p50 | ${fmt(cold?.spark?.requestsPerLaunch?.p50, 0)} | ${fmt(warm?.spark?.requestsPerLaunch?.p50, 0)} | |`);
  }
  const kinds = ['cold', 'warm', 'held'].filter(k => c[k]?.burst);
  if (kinds.length > 0) {
    const n = c[kinds[0]].burst.size;
    const head = { cold: 'cold', warm: `warm (pool of ${n / 2} per tenant)`, held: 'warm, refills held by tenant limits' };
    out.push('', `| test cluster: ${n} concurrent launches of a plain Python profile (two tenants, half each) | ${kinds.map(k => head[k]).join(' | ')} |`, `|---|${kinds.map(() => '---').join('|')}|`);
    const row = (label, get) => out.push(`| ${label} | ${kinds.map(k => get(c[k].burst)).join(' | ')} |`);
    row('launches succeeded', b => `${b.succeeded} of ${b.size}`);
    for (const p of ['p50', 'p95', 'max']) {
      row(`POST → first idle, ${p} ms`, b => fmt(b.idleMs?.[p], 0));
    }
    row('burst wall time, ms', b => fmt(b.wallMs, 0));
    row('gateway CPU time (utime + stime) during the burst, ms', b => fmt(b.gatewayCpuMs, 0));
    row('API-server requests per launch in the burst (leader lease apart)', b => fmt(ratio(b.requests, b.size), 1));
    for (const k of kinds) {
      if (c[k].burst.firstError) {
        out.push('', `- cluster burst, ${k}: first failure: ${c[k].burst.firstError}`);
      }
    }
  }
  const windows = [
    ['cold gateway, no kernels', cold?.idleEmpty],
    [`cold gateway, ${cold?.idleKernels?.kernels} idle kernels, a websocket each`, cold?.idleKernels],
    [`cold gateway, the same kernels, no client`, cold?.idleDetached],
    [`warm gateway, ${warm?.idlePools?.kernels} idle pool drivers (unclaimed)`, warm?.idlePools],
    [`warm gateway, ${warm?.idleKernels?.kernels} idle claimed kernels, a websocket each (+ full pools)`, warm?.idleKernels],
    [`warm gateway, the same kernels, no client (+ full pools)`, warm?.idleDetached]
  ].filter(([, w]) => w);
  if (windows.length > 0) {
    out.push(
      '',
      `| API-server requests by the gateway while idle (audit log, ${c.idleSeconds} s windows) | all | gateway-wide (leader lease, watch restarts) | others per minute | others per kernel per minute |`,
      '|---|---|---|---|---|'
    );
    for (const [label, w] of windows) {
      const pm = perMinute(w);
      out.push(`| ${label} | ${w.requests} | ${w.gatewayWide} | ${fmt(pm, 1)} | ${w.kernels ? fmt(pm / w.kernels, 2) : '—'} |`);
    }
  }
  if (finite(c.clusterStartMs)) {
    out.push('', `- cluster phase: control plane + node agent up in ${fmt(c.clusterStartMs / 1000, 0)} s${c.warm?.fillMs ? `; warm pools (${c.warm.idlePools?.kernels ?? '?'} drivers) full ${fmt(c.warm.fillMs / 1000, 0)} s after the warm gateway started` : ''}; phase total ${fmt(c.seconds, 0)} s.`);
  }
  if (c.error) {
    out.push('', `- cluster phase failed: ${c.error}`);
  }
  return out;
}

export function clusterChecks(c) {
  if (!c) {
    return [];
  }
  const out = [];
  const add = (name, ok, detail) => out.push({ name, status: ok === null ? 'n/a' : ok ? 'PASS' : 'MISS', detail });
  const wi = c.warm?.spark?.idleMs?.p50;
  const ws = c.warm?.spark?.sparkMs?.p50;
  const ci = c.cold?.spark?.idleMs?.p50;
  const cs = c.cold?.spark?.sparkMs?.p50;
  add('cluster: warm POST → first idle < 0.5 s (p50)', finite(wi) ? wi < 500 : null, `${fmt(wi, 0)} ms`);
  add('cluster: warm POST → `spark.range(1).count()` < 1.5 s (p50)', finite(ws) ? ws < 1500 : null, `${fmt(ws, 0)} ms`);
  add('cluster: warm ≥ 10× faster than cold, POST → count (p50)', finite(ws) && finite(cs) ? cs >= 10 * ws : null, `${fmt(cs, 0)} vs ${fmt(ws, 0)} ms (${fmt(ratio(cs, ws), 1)}×)`);
  add('cluster: warm ≥ 10× faster than cold, POST → first idle (p50)', finite(wi) && finite(ci) ? ci >= 10 * wi : null, `${fmt(ci, 0)} vs ${fmt(wi, 0)} ms (${fmt(ratio(ci, wi), 1)}×)`);
  for (const k of ['cold', 'warm']) {
    const b = c[k]?.burst;
    add(`cluster: ${b?.size ?? '?'} concurrent launches all succeed (${k})`, b ? b.succeeded === b.size : null, b ? `${b.succeeded} of ${b.size}` : '');
  }
  const wb = c.warm?.burst;
  add(`cluster: with a pool as large as the burst, p95 POST → first idle < 1 s`, wb?.idleMs?.n ? p95(wb) < 1000 : null, wb ? `${fmt(p95(wb), 0)} ms` : '');
  for (const [label, w] of [
    ['idle kernel with a websocket', c.cold?.idleKernels],
    ['idle kernel without a client', c.cold?.idleDetached],
    ['idle claimed kernel with a websocket (warm gateway)', c.warm?.idleKernels],
    ['idle pool driver', c.warm?.idlePools]
  ]) {
    const pm = perMinute(w);
    const n = w?.kernels;
    add(`cluster: 0 API-server requests per ${label} per minute`, finite(pm) && n ? pm === 0 : null, finite(pm) && n ? `${fmt(pm / n, 2)} (${w.requests - w.gatewayWide} requests besides the gateway-wide ones in ${w.seconds} s, ${n} kernels)` : '');
  }
  return out;
}

/** The burst's p95 (cluster.mjs adds it to the summary). */
const p95 = b => b.idleMs.p95;
