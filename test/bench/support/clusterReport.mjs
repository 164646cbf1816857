/** The cluster phase's tables and target checks (support/cluster.mjs, issue 15). */
import { fmt, ratio } from './stats.mjs';

const finite = v => typeof v === 'number' && Number.isFinite(v);
const SHOWN_PHASES = ['scheduling', 'pulling', 'starting', 'kernel-ready', 'spark-ready'];

/** Requests per minute in an idle window that are not the gateway's leader-lease renewals. */
function perMinute(w) {
  return w ? ((w.requests - w.leaseRequests) * 60) / w.seconds : null;
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
  if (cold?.burst || warm?.burst) {
    const n = cold?.burst?.size ?? warm?.burst?.size;
    out.push('', `| test cluster: ${n} concurrent launches of a plain Python profile (two tenants, half each) | cold | warm (pool of ${n / 2} per tenant) |`, '|---|---|---|');
    const b = k => c[k]?.burst;
    out.push(`| launches succeeded | ${b('cold') ? `${b('cold').succeeded} of ${b('cold').size}` : '—'} | ${b('warm') ? `${b('warm').succeeded} of ${b('warm').size}` : '—'} |`);
    for (const p of ['p50', 'p95', 'max']) {
      out.push(`| POST → first idle, ${p} ms | ${fmt(b('cold')?.idleMs?.[p], 0)} | ${fmt(b('warm')?.idleMs?.[p], 0)} |`);
    }
    out.push(`| burst wall time, ms | ${fmt(b('cold')?.wallMs, 0)} | ${fmt(b('warm')?.wallMs, 0)} |`);
    out.push(`| gateway CPU time (utime + stime) during the burst, ms | ${fmt(b('cold')?.gatewayCpuMs, 0)} | ${fmt(b('warm')?.gatewayCpuMs, 0)} |`);
    out.push(`| API-server requests per launch in the burst (leader lease apart) | ${fmt(ratio(b('cold')?.requests, b('cold')?.size), 1)} | ${fmt(ratio(b('warm')?.requests, b('warm')?.size), 1)} |`);
    for (const k of ['cold', 'warm']) {
      if (b(k)?.firstError) {
        out.push(`| ${k}: first failure | ${b(k).firstError} | |`);
      }
    }
  }
  const windows = [
    ['cold gateway, no kernels', cold?.idleEmpty, 0],
    [`cold gateway, ${cold?.idleKernels?.kernels} idle kernels (websocket open)`, cold?.idleKernels, cold?.idleKernels?.kernels],
    [`warm gateway, ${warm?.idlePools?.drivers} idle pool drivers (unclaimed)`, warm?.idlePools, warm?.idlePools?.drivers],
    [`warm gateway, ${warm?.idleKernels?.kernels} idle claimed kernels + full pools`, warm?.idleKernels, warm?.idleKernels?.kernels]
  ].filter(([, w]) => w);
  if (windows.length > 0) {
    out.push('', `| API-server requests by the gateway while idle (audit log, ${c.idleSeconds} s windows) | all | leader lease | others per minute | others per kernel per minute |`, '|---|---|---|---|---|');
    for (const [label, w, kernels] of windows) {
      const pm = perMinute(w);
      out.push(`| ${label} | ${w.requests} | ${w.leaseRequests} | ${fmt(pm, 1)} | ${kernels ? fmt(pm / kernels, 2) : '—'} |`);
    }
  }
  if (finite(c.clusterStartMs)) {
    out.push('', `- cluster phase: control plane + node agent up in ${fmt(c.clusterStartMs / 1000, 0)} s${c.warm?.fillMs ? `; warm pools (${c.warm.idlePools?.drivers ?? '?'} drivers) full ${fmt(c.warm.fillMs / 1000, 0)} s after the warm gateway started` : ''}; phase total ${fmt(c.seconds, 0)} s.`);
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
  for (const [label, w, n] of [
    ['idle kernel', c.cold?.idleKernels, c.cold?.idleKernels?.kernels],
    ['idle claimed kernel (warm gateway)', c.warm?.idleKernels, c.warm?.idleKernels?.kernels],
    ['idle pool driver', c.warm?.idlePools, c.warm?.idlePools?.drivers]
  ]) {
    const pm = perMinute(w);
    add(`cluster: 0 API-server requests per ${label} per minute`, finite(pm) && n ? pm === 0 : null, finite(pm) && n ? `${fmt(pm / n, 2)} (${w.requests - w.leaseRequests} requests besides the leader lease in ${w.seconds} s, ${n} kernels)` : '');
  }
  return out;
}

/** The burst's p95 (cluster.mjs adds it to the summary). */
const p95 = b => b.idleMs.p95;
