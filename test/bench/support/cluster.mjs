/**
 * The cluster phase (issue 15, `--only cluster`): sparkgate's Kubernetes backend on the test
 * control plane (test/cluster/harness: etcd, kube-apiserver, scheduler, controller-manager and the
 * node agent running pods as host processes), cold and with warm pools, in one run:
 *
 * - a driver-only pyspark profile, launches one at a time: when each launch phase is first seen
 *   in GET /api/clusters/<id> (polled every 50 ms), first `idle`, `spark.range(1).count()`;
 * - a burst of concurrent launches of a plain Python profile (two tenants, half each: a pool holds
 *   at most 20 drivers, so "a pool as large as the burst" is one pool per tenant), all at once:
 *   successes, POST → first idle p50/p95, the gateway's CPU time (utime + stime of its process);
 * - API-server requests made by the gateway, from kube-apiserver's audit log (an opt-in flag of
 *   the harness, `apiServerArgs`) filtered on the gateway's service account: per launch, and per
 *   idle kernel (claimed) and idle pool driver per minute.
 *
 * Imported after support/tsLoader.mjs is registered (the harness is TypeScript).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster } from '../../cluster/harness/index.js';
import { prepareK8sGatewayProcess, spawnK8sGatewayProcess } from '../../cluster/support/gatewayProcess.js';
import { KUBERNETES_SECTION, sparkgateClusterOptions } from '../../cluster/support/sparkgate.js';
import { rest } from './gateways.mjs';
import { JupyterWs } from './jupyterWs.mjs';
import { freePort, mapLimit } from './procs.mjs';
import { percentile, summarize } from './stats.mjs';

/** The identity the gateway talks to the API server as (images/deploy/gateway.yaml). */
export const GATEWAY_USER = 'system:serviceaccount:sparkgate:sparkgate';
const PHASES = ['requested', 'scheduling', 'pulling', 'starting', 'kernel-ready', 'spark-ready'];
const TENANTS = { a: 'bench-a', b: 'bench-b' };
const TOKENS = { a: 'bench-cluster-a-0123456789abcdef', b: 'bench-cluster-b-0123456789abcdef' };
const SPARK_CHECK = 'spark.range(1).count()';
const CLK_TCK = 100;

/** One request per audit event: only RequestReceived, only the gateway's requests. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["ResponseStarted", "ResponseComplete", "Panic"]
rules:
  - level: Metadata
    users: ["${GATEWAY_USER}"]
  - level: None
`;

function gatewayYaml(kind, half) {
  const pools = poolsOf(kind, half);
  const tenant = t => {
    const own = pools.filter(([pt]) => pt === t);
    const list = own.map(([, profile, size]) => `${profile}: { size: ${size}, maxIdleMinutes: 0 }`).join(', ');
    // held: room for the pool's plain drivers (0.1 core each) and not one more, so refills wait for the claimed ones to go.
    const cores = kind === 'held' ? half * 0.1 + 0.05 : 32;
    return `  ${t}: { namespace: ${TENANTS[t]}, limits: { gpus: 0, cores: ${cores}, memory: 64g }${list ? `, pools: { ${list} }` : ''} }`;
  };
  return `
users:
  - { name: bench-a, tenant: a, token: ${TOKENS.a} }
  - { name: bench-b, tenant: b, token: ${TOKENS.b} }
tenants:
${tenant('a')}
${tenant('b')}
profiles:
  spark:
    displayName: PySpark, driver only
    driver: { cores: 0.5, memory: 512m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
  plain:
    displayName: Python 3
    spark: false
    driver: { cores: 0.1, memory: 256m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
limits: { maxKernelsPerUser: 50 }
kernels: { startTimeoutSeconds: 600, shutdownGraceSeconds: 5 }
${KUBERNETES_SECTION}`;
}

/** The gateway's audit events since the file's byte `from`: [{ at (ms), verb, resource, namespace, name }]. */
class AuditLog {
  constructor(file) {
    this.file = file;
  }

  events(fromMs, toMs) {
    let text;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const out = [];
    for (const line of text.split('\n')) {
      if (!line) {
        continue;
      }
      const e = JSON.parse(line);
      const at = Date.parse(e.requestReceivedTimestamp);
      if (e.user?.username !== GATEWAY_USER || at < fromMs || at > toMs) {
        continue;
      }
      const o = e.objectRef ?? {};
      out.push({ at, verb: e.verb, resource: `${o.apiGroup ? `${o.apiGroup}/` : ''}${o.resource ?? e.requestURI}${o.subresource ? `/${o.subresource}` : ''}`, namespace: o.namespace ?? '', name: o.name ?? '', watch: e.verb === 'watch' });
    }
    return out;
  }
}

/** Counts by "verb resource" (most first), for the notes. */
function breakdown(events) {
  const counts = {};
  for (const e of events) {
    const k = `${e.verb} ${e.resource}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

/** utime + stime of a process, in ms (Linux /proc; fields 14 and 15 after the command name). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** A gateway process as support/scenarios' `rest` wants it, for one tenant's user. */
const as = (gw, t) => ({ name: `sparkgate k8s (${t})`, url: gw.url, wsUrl: gw.url.replace(/^http/, 'ws'), token: TOKENS[t] });

async function warmCount(gw, t, profile) {
  const me = await rest(as(gw, t), 'GET', '/api/me');
  return me.profiles.find(p => p.id === profile)?.warm ?? 0;
}

async function waitWarm(gw, wants, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const have = await Promise.all(wants.map(([t, profile]) => warmCount(gw, t, profile)));
    if (wants.every(([, , size], i) => have[i] >= size)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`warm pools not full after ${timeoutMs} ms: ${wants.map(([t, p, s], i) => `${t}/${p} ${have[i]}/${s}`).join(', ')}`);
    }
    await sleep(500);
  }
}

/**
 * One launch of `profile` as tenant `t`'s user: POST → first idle (websocket), and with `spark`
 * POST → count answered; with `phases` (POST /api/clusters instead of /api/kernels) the first
 * time each launch phase shows in GET /api/clusters/<id>. Resolves with the open kernel;
 * `close()` shuts it down.
 */
async function launch(gw, t, profile, { spark = false, phases = false } = {}) {
  const g = as(gw, t);
  const t0 = performance.now();
  const started = Date.now();
  // POST /api/kernels answers once the kernel is up; the panel's POST /api/clusters at once, so
  // the phases before kernel-ready can be seen (the websocket upgrade waits for the kernel).
  const model = phases
    ? await rest(g, 'POST', '/api/clusters', { profile })
    : await rest(g, 'POST', '/api/kernels', { name: profile, env: { KERNEL_USERNAME: `bench-${t}` } });
  const seen = {};
  let polling = phases;
  const poll = (async () => {
    while (polling) {
      const c = await rest(g, 'GET', `/api/clusters/${model.id}`).catch(() => null);
      if (c?.phase && !(c.phase in seen)) {
        seen[c.phase] = performance.now() - t0;
      }
      if (c?.phase === 'spark-ready' || (!spark && c?.phase === 'kernel-ready')) {
        break;
      }
      await sleep(50);
    }
  })();
  const client = await JupyterWs.open(g.wsUrl, model.id, g.token);
  await client.firstIdle;
  const idleMs = performance.now() - t0;
  let sparkMs = null;
  if (spark) {
    const entry = await client.execute(SPARK_CHECK, { timeoutMs: 300_000 });
    if (entry.reply.content.status !== 'ok') {
      throw new Error(`${SPARK_CHECK} failed: ${JSON.stringify(entry.reply.content).slice(0, 300)}`);
    }
    sparkMs = performance.now() - t0;
  }
  if (phases) {
    await Promise.race([poll, sleep(30_000)]);
  }
  polling = false;
  return {
    id: model.id,
    started,
    idleMs,
    sparkMs,
    phases: seen,
    /** Closes the websocket only: the kernel runs on with no client. */
    detach: () => client.close(),
    async close() {
      await client.close();
      await rest(g, 'DELETE', `/api/kernels/${model.id}`).catch(() => undefined);
    }
  };
}

/** Waits until tenant `t`'s user lists no kernel and its namespace holds no driver pods but the pools'. */
async function waitGone(gw, cluster, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  for (;;) {
    let left = 0;
    for (const [t, ns] of Object.entries(TENANTS)) {
      left += (await rest(as(gw, t), 'GET', '/api/kernels')).length;
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/component=driver' });
      left += pods.items.filter(p => p.metadata?.annotations?.['sparkgate.io/pool'] !== 'warm').length;
    }
    if (left === 0) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${left} kernels or driver pods still there after ${timeoutMs} ms`);
    }
    await sleep(500);
  }
}

/**
 * Sequential pyspark launches: phases, first idle, count; audit requests per launch (POST → count
 * answered, the gateway's leader-lease renewals apart: those are the gateway's, not the launch's).
 */
async function sparkLaunches(gw, audit, { samples, warm, log, cluster }) {
  const runs = [];
  for (let i = 0; i < samples; i++) {
    if (warm) {
      await waitWarm(gw, [['a', 'spark', 1]], 600_000);
    }
    // The pool's refill starts at the claim: the window ends before its pod is requested only when cold.
    const k = await launch(gw, 'a', 'spark', { spark: true, phases: true });
    const events = audit.events(k.started, k.started + k.sparkMs);
    const requests = events.filter(e => e.resource !== 'coordination.k8s.io/leases').length;
    runs.push({ idleMs: k.idleMs, sparkMs: k.sparkMs, phases: k.phases, requests, requestKinds: breakdown(events) });
    log(`  cluster ${warm ? 'warm' : 'cold'} spark ${i + 1}/${samples}: first idle ${Math.round(k.idleMs)} ms, count ${Math.round(k.sparkMs)} ms, phases ${JSON.stringify(Object.fromEntries(Object.entries(k.phases).map(([p, v]) => [p, Math.round(v)])))}, ${requests} API requests (leases apart)`);
    await k.close();
    await waitGone(gw, cluster, 120_000);
  }
  const phaseP50 = Object.fromEntries(PHASES.map(p => [p, percentile(runs.filter(r => p in r.phases).map(r => r.phases[p]), 50)]));
  return {
    n: runs.length,
    idleMs: summarize(runs.map(r => r.idleMs)),
    sparkMs: summarize(runs.map(r => r.sparkMs)),
    phaseP50,
    requestsPerLaunch: summarize(runs.map(r => r.requests)),
    requestKinds: runs[0]?.requestKinds ?? {},
    runs
  };
}

/** `size` launches of the plain profile at once, half per tenant; the kernels stay open. */
async function burst(gw, pid, audit, { size, log }) {
  const cpu0 = cpuMs(pid);
  const t0 = Date.now();
  const results = await Promise.all(
    Array.from({ length: size }, (_, i) =>
      launch(gw, i % 2 === 0 ? 'a' : 'b', 'plain').then(
        k => ({ ok: true, k }),
        error => ({ ok: false, error: error.message.split('\n')[0].slice(0, 300) })
      )
    )
  );
  const wallMs = Date.now() - t0;
  const cpu = cpuMs(pid) - cpu0;
  const ok = results.filter(r => r.ok);
  const events = audit.events(t0, t0 + wallMs).filter(e => e.resource !== 'coordination.k8s.io/leases');
  const idle = ok.map(r => r.k.idleMs);
  log(`  burst of ${size}: ${ok.length} ok, p50 ${Math.round(percentile(idle, 50))} ms, p95 ${Math.round(percentile(idle, 95))} ms, wall ${wallMs} ms, gateway CPU ${Math.round(cpu)} ms, ${events.length} API requests (leases apart)`);
  return {
    summary: {
      size,
      succeeded: ok.length,
      firstError: results.find(r => !r.ok)?.error ?? null,
      idleMs: { ...summarize(idle), p95: percentile(idle, 95) },
      wallMs,
      gatewayCpuMs: cpu,
      requests: events.length,
      requestKinds: breakdown(events)
    },
    kernels: ok.map(r => r.k)
  };
}

/** API requests of the gateway in `seconds` with what is open now idle; by kind, the gateway-wide ones apart. */
async function idleWindow(audit, seconds) {
  await sleep(3000);
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const events = audit.events(t0, Date.now());
  // The gateway's own: its leader lease and the restarts of its namespace-wide watches (the same with no kernel).
  const gatewayWide = events.filter(e => e.resource === 'coordination.k8s.io/leases' || e.watch).length;
  return { seconds, requests: events.length, gatewayWide, requestKinds: breakdown(events) };
}

async function closeAll(kernels) {
  await mapLimit(kernels, 8, k => k.close());
}

/** Pools each kind keeps full: [tenant, profile, size]. */
function poolsOf(kind, half) {
  return kind === 'cold' ? [] : [...(kind === 'warm' ? [['a', 'spark', 1]] : []), ['a', 'plain', half], ['b', 'plain', half]];
}

/**
 * One gateway's share of the phase. `cold`: no pools; `warm`: pools of pyspark (1) and plain
 * (half the burst per tenant); `held`: the plain pools only, in tenants whose core limit fits just
 * the pool, so no refill starts while the burst's claimed drivers run (what the refills cost the
 * claims). Idle windows: no kernels (cold) or pools full (warm); the burst's kernels idle with a
 * websocket each, then with none.
 */
async function oneGateway(kind, { gw, cluster, audit, half, sparkSamples, idleSeconds, log }) {
  const pid = gw.child.pid;
  const pools = poolsOf(kind, half);
  const r = {};
  if (pools.length > 0) {
    const fillT0 = Date.now();
    await waitWarm(gw, pools, 900_000);
    r.fillMs = Date.now() - fillT0;
    log(`cluster: ${kind} pools full in ${Math.round(r.fillMs / 1000)} s`);
  }
  if (kind !== 'held') {
    // No kernels (cold), or every pool driver idle and nobody's (warm): what that costs the API server.
    const w = await idleWindow(audit, idleSeconds);
    r[kind === 'cold' ? 'idleEmpty' : 'idlePools'] = { ...w, kernels: kind === 'cold' ? 0 : pools.reduce((n, [, , size]) => n + size, 0) };
    log(`  idle, ${kind === 'cold' ? 'no kernels' : 'pools full'}: ${w.requests} API requests in ${idleSeconds} s ${JSON.stringify(w.requestKinds)}`);
    r.spark = await sparkLaunches(gw, audit, { samples: sparkSamples, warm: kind === 'warm', log, cluster });
    if (pools.length > 0) {
      await waitWarm(gw, pools, 900_000);
    }
  }
  const b = await burst(gw, pid, audit, { size: 2 * half, log });
  r.burst = b.summary;
  if (kind !== 'held') {
    if (pools.length > 0) {
      // The refills of the burst's claims are launches, not idleness: wait them out.
      await waitWarm(gw, pools, 900_000);
    }
    r.idleKernels = { ...(await idleWindow(audit, idleSeconds)), kernels: b.kernels.length };
    log(`  idle, ${b.kernels.length} kernels with a websocket: ${r.idleKernels.requests} API requests in ${idleSeconds} s ${JSON.stringify(r.idleKernels.requestKinds)}`);
    await Promise.all(b.kernels.map(k => k.detach()));
    r.idleDetached = { ...(await idleWindow(audit, idleSeconds)), kernels: b.kernels.length };
    log(`  idle, ${b.kernels.length} kernels without a client: ${r.idleDetached.requests} API requests in ${idleSeconds} s ${JSON.stringify(r.idleDetached.requestKinds)}`);
  }
  await closeAll(b.kernels);
  await waitGone(gw, cluster, 300_000);
  r.gatewayCpuTotalMs = cpuMs(pid);
  return r;
}

/**
 * The whole phase. Returns { cold, warm, nodes, notes } (support/clusterReport.mjs renders it).
 * `sparkSamples` pyspark launches each; `burstSize` concurrent plain launches each; `idleSeconds`
 * of each idle window.
 */
export async function runCluster({ sparkSamples, burstSize, idleSeconds, kinds = ['cold', 'warm', 'held'], log }) {
  const scratch = await mkdtemp(path.join(tmpdir(), 'sparkgate-bench-cluster-'));
  const auditFile = path.join(scratch, 'audit.log');
  const policy = path.join(scratch, 'audit-policy.yaml');
  await writeFile(policy, AUDIT_POLICY);
  const audit = new AuditLog(auditFile);
  const half = Math.ceil(burstSize / 2);
  const out = { sparkSamples, burstSize, idleSeconds, gatewayUser: GATEWAY_USER };
  let cluster;
  let gw;
  const t0 = Date.now();
  // The control plane's components and the pods die with this process (pdeathsig); the gateway child would not.
  const killGateway = () => gw?.child.kill('SIGKILL');
  process.once('exit', killGateway);
  try {
    log('cluster: starting the control plane and node agent');
    cluster = await startCluster({
      ...(await sparkgateClusterOptions()),
      nodes: [{ name: 'cpu-1', cpu: '64', memory: '256Gi' }],
      apiServerArgs: [`--audit-policy-file=${policy}`, `--audit-log-path=${auditFile}`, '--audit-log-format=json', '--audit-log-mode=blocking'],
      timeoutMs: 300_000
    });
    out.clusterStartMs = Date.now() - t0;
    log(`cluster: up in ${Math.round(out.clusterStartMs / 1000)} s at ${cluster.server}`);
    const kubeconfig = await prepareK8sGatewayProcess(cluster, Object.fromEntries(Object.values(TENANTS).map(ns => [ns, { gpuQuota: 0 }])), scratch);
    for (const kind of kinds) {
      log(`cluster: gateway (${kind}) starting`);
      gw = await spawnK8sGatewayProcess({ yaml: gatewayYaml(kind, half), kubeconfig, port: await freePort(), token: 'unused-single-user-token', timeoutMs: 180_000 });
      try {
        out[kind] = await oneGateway(kind, { gw, cluster, audit, half, sparkSamples, idleSeconds, log });
      } catch (error) {
        // What the other gateways measured stays; this one's failure is reported with its log.
        out.error = `${kind}: ${error.message.split('\n')[0].slice(0, 200)}`;
        log(`cluster: ${kind} failed: ${error.stack}\ngateway ${gw.alive() ? 'alive' : 'exited'}; its log:\n${gw.log().slice(-4000)}`);
      }
      await gw.stop(30_000);
      gw = undefined;
    }
  } finally {
    await gw?.stop(30_000).catch(() => undefined);
    process.removeListener('exit', killGateway);
    await cluster?.stop().catch(error => log(`cluster stop failed: ${error.message}`));
    await rm(scratch, { recursive: true, force: true });
  }
  out.seconds = (Date.now() - t0) / 1000;
  return out;
}
