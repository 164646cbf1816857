/** The run's table (markdown), its target checks, and the machine description. */
import { execSync } from 'node:child_process';
import os from 'node:os';
import { clusterChecks, clusterTable } from './clusterReport.mjs';
import { fmt, ratio } from './stats.mjs';

const finite = v => typeof v === 'number' && Number.isFinite(v);

export function machine(python) {
  const sh = cmd => {
    try {
      return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    nproc: Number(sh('nproc')) || os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    python: sh(`${python} -c "import sys, ipykernel, zmq; print(sys.version.split()[0], 'ipykernel', ipykernel.__version__, 'pyzmq', zmq.__version__)"`)
  };
}

const NAMES = { sparkgate: 'sparkgate', baseline: 'sparkgate before (the --baseline revision)', eg: 'Enterprise Gateway 3.3.0', kg: 'Kernel Gateway 3.0.1', direct: 'direct ZeroMQ (no gateway)' };

/**
 * Rows of [metric, sparkgate, EG, KG, direct, sg÷direct, sg÷EG]; with a baseline (--baseline),
 * its column follows sparkgate's and a last column gives sparkgate ÷ baseline.
 */
export function table(results) {
  const t = results.targets;
  const before = t.baseline ? ['baseline'] : [];
  const cell = (name, get, digits = 2) => fmt(t[name] ? get(t[name]) : null, digits);
  const ratios = (get, digits = 2) => [
    fmt(ratio(t.sparkgate && get(t.sparkgate), t.direct && get(t.direct)), digits),
    fmt(ratio(t.sparkgate && get(t.sparkgate), t.eg && get(t.eg)), digits),
    ...before.map(b => fmt(ratio(t.sparkgate && get(t.sparkgate), get(t[b])), digits))
  ];
  const row = (label, get, digits = 2) => [label, ...['sparkgate', ...before, 'eg', 'kg', 'direct'].map(n => cell(n, get, digits)), ...ratios(get, 2)];
  const rows = [
    row('latency p50, ms (execute `pass` → reply + idle)', r => r.latency?.p50, 3),
    row('latency p99, ms', r => r.latency?.p99, 3),
    row('50,000 × print(i, flush=True): msgs/s', r => r.small?.msgsPerSec, 0),
    row('20 MiB in 1 MiB writes: MiB/s', r => r.large?.mibPerSec, 1),
    row('50,000 stream msgs from a minimal kernel (relay-bound): msgs/s', r => r.relay?.msgsPerSec, 0),
    row('start python3: POST → first idle, p50 ms', r => r.startPlain?.idleMs.p50, 0),
    row('start pyspark: POST → first idle, p50 ms', r => r.startSpark?.idleMs.p50, 0),
    row('start pyspark: POST → `spark.range(1).count()` answered, p50 ms', r => r.startSpark?.sparkMs?.p50, 0)
  ];
  const sha = results.baseline?.sha.slice(0, 7);
  const head = [
    'metric',
    'sparkgate',
    ...before.map(() => `sparkgate before (${sha})`),
    'EG',
    'KG',
    'direct ZMQ',
    'sparkgate ÷ direct',
    'sparkgate ÷ EG',
    ...before.map(() => 'sparkgate ÷ before')
  ];
  // Only the phases that start their own gateways ran (e.g. --only warm): no targets' table.
  const lines = Object.keys(t).length === 0 ? [] : [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map(r => `| ${r.join(' | ')} |`)];
  const notes = [];
  for (const [name, r] of Object.entries(t)) {
    for (const key of ['small', 'large', 'relay']) {
      if (r[key] && !r[key].allComplete) {
        const d = r[key].damage;
        const damage = d ? `, ${d.missing} lines missing, ${d.outOfOrder} out of order, first bad line #${d.firstBad?.at} ${JSON.stringify(d.firstBad?.line)} where ${d.firstBad?.expected} was due` : '';
        notes.push(`${name} ${key}: output incomplete or out of order (${r[key].messages} stream messages${r[key].idle === false ? ', final idle never arrived' : ''}${damage})`);
      }
    }
    for (const key of ['startPlain', 'startSpark']) {
      if (r[key]?.failures) {
        notes.push(`${name} ${key === 'startPlain' ? 'python3' : 'pyspark'} start: ${r[key].failures} failed (timed over the others: ${r[key].idleMs.n}); first: ${r[key].error}`);
      }
    }
    if (r.error) {
      notes.push(`${name} failed: ${r.error.split('\n')[0].slice(0, 200)}`);
    }
  }
  if (notes.length > 0) {
    lines.push('', ...notes.map(n => `- ${n}`));
  }
  lines.push(...warmTable(results.warm));
  lines.push(...clusterTable(results.cluster));
  for (const [s, title] of [
    [results.scale, 'scale (one gateway process, minimal kernels), as shipped'],
    [results.scaleBaseline, `scale, sparkgate before (${results.baseline?.sha.slice(0, 7)})`]
  ]) {
    if (!s) {
      continue;
    }
    lines.push('', `| ${title} | value |`, '|---|---|');
    lines.push(`| kernels connected (one websocket each) | ${s.connected} of ${s.kernels}${s.firstError ? ` — first failure: ${s.firstError}` : ''} |`);
    lines.push(`| gateway RSS per connected kernel | ${fmt(s.rssPerKernelMB, 3)} MiB |`);
    lines.push(`| event-loop lag p99, all connected, idle | ${fmt(s.idleLagMs?.p99, 2)} ms |`);
    lines.push(`| event-loop lag p99 / max while ${s.streaming} stream ${s.streamCount} × ${s.streamBytes} B each | ${fmt(s.streamLagMs?.p99, 2)} / ${fmt(s.streamLagMs?.max, 2)} ms |`);
    lines.push(`| stream messages delivered | ${s.streamMessages} of ${s.streamExpected}, ${fmt(s.streamMsgsPerSec, 0)} msgs/s |`);
  }
  return (lines[0] === '' ? lines.slice(1) : lines).join('\n');
}

/** The warm phase: cold vs warm pyspark launches (support/warm.mjs). */
function warmTable(w) {
  if (!w) {
    return [];
  }
  if (w.error) {
    return ['', `- warm phase failed: ${w.error}`];
  }
  const out = [
    '',
    `| warm pool, local backend (\`${w.profile}\`, pool of ${w.poolSize}, ${w.samples} launches each) | cold | warm | warm, refill held | cold ÷ warm | cold ÷ held |`,
    '|---|---|---|---|---|---|'
  ];
  const rows = [
    ['POST → first idle', 'idleMs', ['p50', 'p90']],
    ['POST → `spark.range(1).count()` answered', 'sparkMs', ['p50', 'p90']],
    ['a second `spark.range(1).count()` right after', 'againMs', ['p50']]
  ];
  for (const [label, key, ps] of rows) {
    for (const p of ps) {
      const [c, h, held] = ['cold', 'warm', 'held'].map(k => w[k]?.[key]?.[p]);
      out.push(`| ${label}, ${p} ms | ${fmt(c, 0)} | ${fmt(h, 0)} | ${fmt(held, 0)} | ${fmt(ratio(c, h), 1)} | ${fmt(ratio(c, held), 1)} |`);
    }
  }
  for (const kind of ['cold', 'warm', 'held']) {
    if (w[kind]?.failures) {
      out.push('', `- warm phase, ${kind}: ${w[kind].failures} launches failed; first: ${w[kind].error}`);
    }
  }
  return out;
}

/** PASS/MISS for each target of issue 6 that this run can check. */
export function checks(results) {
  const t = results.targets;
  const out = [];
  const add = (name, ok, detail) => out.push({ name, status: ok === null ? 'n/a' : ok ? 'PASS' : 'MISS', detail });
  const sg = t.sparkgate;
  const d = t.direct;
  const eg = t.eg;
  // Only phases that start their own gateways ran (e.g. --only warm): nothing to say of the targets.
  if (Object.keys(t).length > 0) {
    const added = sg?.latency && d?.latency ? sg.latency.p50 - d.latency.p50 : null;
    add('added latency over direct ZMQ ≤ 0.3 ms (p50)', added === null ? null : added <= 0.3, `${fmt(added, 3)} ms`);
    const egAdded = eg?.latency && d?.latency ? eg.latency.p50 - d.latency.p50 : null;
    add(
      "added latency ≤ 1/3 of EG's (p50)",
      added === null || egAdded === null ? null : added <= egAdded / 3,
      `sparkgate +${fmt(added, 3)} ms vs EG +${fmt(egAdded, 3)} ms`
    );
    for (const [key, label, unit] of [['small', 'msgsPerSec', 'msgs/s'], ['large', 'mibPerSec', 'MiB/s'], ['relay', 'msgsPerSec', 'msgs/s']]) {
      const s = sg?.[key]?.[label];
      const dd = d?.[key]?.[label];
      const e = eg?.[key]?.[label];
      add(`${key} output throughput ≥ 90% of direct ZMQ`, s && dd ? s >= 0.9 * dd : null, `${fmt(s, 1)} vs ${fmt(dd, 1)} ${unit} (${fmt(ratio(s, dd) * 100, 0)}%)`);
      add(`${key} output throughput ≥ 3× EG`, s && e ? s >= 3 * e : null, `${fmt(s, 1)} vs ${fmt(e, 1)} ${unit} (${fmt(ratio(s, e), 2)}×)`);
      add(`${key} output complete and in order (sparkgate)`, sg?.[key] ? sg[key].allComplete : null, sg?.[key] ? `${sg[key].messages} messages` : '');
    }
    for (const [key, label] of [['startPlain', 'python3'], ['startSpark', 'pyspark']]) {
      const s = sg?.[key]?.idleMs.p50;
      const e = eg?.[key]?.idleMs.p50;
      add(`start ${label} ≤ EG's (p50 to first idle)`, s && e ? s <= e : null, `${fmt(s, 0)} vs ${fmt(e, 0)} ms`);
    }
  }
  const w = results.warm;
  if (w) {
    const wi = w.warm?.idleMs?.p50;
    const ws = w.warm?.sparkMs?.p50;
    const ci = w.cold?.idleMs?.p50;
    const cs = w.cold?.sparkMs?.p50;
    add('local: warm POST → first idle < 0.5 s (p50)', finite(wi) ? wi < 500 : null, `${fmt(wi, 0)} ms`);
    add('local: warm POST → `spark.range(1).count()` < 1.5 s (p50)', finite(ws) ? ws < 1500 : null, `${fmt(ws, 0)} ms`);
    add('local: warm ≥ 10× faster than cold, POST → count (p50)', finite(ws) && finite(cs) ? cs >= 10 * ws : null, `${fmt(cs, 0)} vs ${fmt(ws, 0)} ms (${fmt(ratio(cs, ws), 1)}×)`);
    add('local: warm ≥ 10× faster than cold, POST → first idle (p50)', finite(wi) && finite(ci) ? ci >= 10 * wi : null, `${fmt(ci, 0)} vs ${fmt(wi, 0)} ms (${fmt(ratio(ci, wi), 1)}×)`);
  }
  out.push(...clusterChecks(results.cluster));
  const sc = results.scale;
  if (!sc) {
    return out;
  }
  add('≤ 0.5 MiB gateway RSS per connected kernel', sc?.connected ? sc.rssPerKernelMB <= 0.5 : null, sc ? `${fmt(sc.rssPerKernelMB, 3)} MiB over ${sc.connected} kernels` : '');
  add('event-loop lag p99 < 20 ms while 100 stream', sc?.streamLagMs ? sc.streamLagMs.p99 < 20 : null, sc?.streamLagMs ? `${fmt(sc.streamLagMs.p99, 2)} ms` : '');
  add(`all ${sc?.kernels ?? 1000} kernels connect through one gateway`, sc ? sc.connected === sc.kernels : null, sc ? `${sc.connected}` : '');
  return out;
}

export function describe(results) {
  return Object.entries(NAMES)
    .filter(([k]) => results.targets[k])
    .map(([k, v]) => `${k} = ${v}`)
    .join('; ');
}
