/**
 * The measurements, each against a "target" (a gateway over its websocket, or the kernel's
 * ZeroMQ sockets directly) with the same client-side code.
 */
import { JupyterWs } from './jupyterWs.mjs';
import { rest } from './gateways.mjs';
import { summarize } from './stats.mjs';
import { launchKernel, ZmqDirect } from './zmqDirect.mjs';

const SPARK_CHECK = 'spark.range(1).count()';

/** A target that starts kernels through a gateway's REST API and talks over its websocket. */
export function gatewayTarget(gw, specs = {}) {
  return {
    name: gw.name,
    async open(asked) {
      const spec = specs[asked] ?? asked;
      const t0 = performance.now();
      // As jupyter_server's GatewayClient does; EG refuses the default user (root) otherwise.
      const model = await rest(gw, 'POST', '/api/kernels', { name: spec, env: { KERNEL_USERNAME: 'bench' } });
      const client = await JupyterWs.open(gw.wsUrl, model.id, gw.token);
      await client.firstIdle;
      const startMs = performance.now() - t0;
      return {
        client,
        t0,
        startMs,
        async close() {
          await client.close();
          await rest(gw, 'DELETE', `/api/kernels/${model.id}`).catch(() => undefined);
        }
      };
    }
  };
}

/** The floor: the bench starts the launcher itself and speaks ZeroMQ to it (no gateway). */
export function directTarget({ python, launcher, sparkConf, miniKernel }) {
  return {
    name: 'direct',
    async open(spec) {
      const t0 = performance.now();
      const kernel = await launchKernel({
        python,
        launcher: spec === 'mini' ? miniKernel : launcher,
        sparkConf: spec === 'pyspark' ? await sparkConf() : null
      });
      const client = new ZmqDirect(kernel.connection);
      await client.nudge();
      const startMs = performance.now() - t0;
      return {
        client,
        t0,
        startMs,
        async close() {
          client.close();
          await kernel.stop();
        }
      };
    }
  };
}

/** Trivial execute_request → execute_reply + idle, one at a time; milliseconds. */
export async function latency(kernel, { n, warmup, code = 'pass' }) {
  for (let i = 0; i < warmup; i++) {
    await kernel.client.execute(code, { timeoutMs: 30_000 });
  }
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await kernel.client.execute(code, { timeoutMs: 30_000 });
    samples[i] = performance.now() - t;
  }
  return summarize(samples);
}

/** 50,000 small stream messages; checks every line arrived, in order. */
export async function smallMessages(kernel, { lines = 50_000 } = {}) {
  const t = performance.now();
  const entry = await kernel.client.execute(`for i in range(${lines}): print(i, flush=True)`, { collect: true, timeoutMs: 300_000, settleMs: 10_000 });
  const seconds = (performance.now() - t) / 1000 - (entry.idle ? 0 : 10);
  const text = entry.texts.join('');
  let expected = '';
  for (let i = 0; i < lines; i++) {
    expected += `${i}\n`;
  }
  return {
    seconds,
    messages: entry.streams,
    msgsPerSec: entry.streams / seconds,
    complete: entry.idle && text === expected,
    idle: entry.idle,
    reply: entry.reply.content.status,
    ...(text === expected ? {} : { damage: lineDamage(text, lines) })
  };
}

/** What is wrong with `text` against "0\n1\n…": lines missing, lines out of order, first bad line. */
export function lineDamage(text, lines) {
  const seen = new Uint8Array(lines);
  let outOfOrder = 0;
  let previous = -1;
  let firstBad = null;
  for (const [at, line] of text.split('\n').slice(0, -1).entries()) {
    const n = /^\d+$/.test(line) ? Number(line) : NaN;
    if (!(n >= 0 && n < lines) || n !== previous + 1) {
      firstBad ??= { at, line: line.slice(0, 40), expected: previous + 1 };
    }
    if (n >= 0 && n < lines) {
      outOfOrder += n < previous ? 1 : 0;
      seen[n] = 1;
      previous = n;
    }
  }
  return { missing: lines - seen.reduce((a, b) => a + b, 0), outOfOrder, firstBad };
}

/** `mib` MiB of output in 1 MiB writes; checks the byte count and content. */
export async function largeOutput(kernel, { mib = 20 } = {}) {
  const code = `import sys\n_s = 'x' * ${1024 * 1024 - 1} + '\\n'\nfor _ in range(${mib}):\n    sys.stdout.write(_s); sys.stdout.flush()\ndel _s`;
  const t = performance.now();
  const entry = await kernel.client.execute(code, { collect: true, timeoutMs: 300_000, settleMs: 10_000 });
  const seconds = (performance.now() - t) / 1000 - (entry.idle ? 0 : 10);
  const text = entry.texts.join('');
  const line = 'x'.repeat(1024 * 1024 - 1) + '\n';
  return {
    seconds,
    messages: entry.streams,
    bytes: text.length,
    mibPerSec: text.length / 1048576 / seconds,
    complete: entry.idle && text.length === mib * 1048576 && text === line.repeat(mib),
    idle: entry.idle,
    reply: entry.reply.content.status
  };
}

/** The run with the median time of `runs`, with all times listed and whether all were complete. */
export function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], allSeconds: runs.map(r => r.seconds), allComplete: runs.every(r => r.complete) };
}

/** One start: POST → first idle; for pyspark also until `spark.range(1).count()` answers. Milliseconds. */
export async function startOnce(target, spec) {
  const kernel = await target.open(spec);
  try {
    if (spec !== 'pyspark') {
      return { idleMs: kernel.startMs, sparkMs: null };
    }
    const entry = await kernel.client.execute(SPARK_CHECK, { timeoutMs: 180_000 });
    if (entry.reply.content.status !== 'ok') {
      throw new Error(`${target.name}: ${SPARK_CHECK} failed: ${JSON.stringify(entry.reply.content).slice(0, 500)}`);
    }
    return { idleMs: kernel.startMs, sparkMs: performance.now() - kernel.t0 };
  } finally {
    await kernel.close();
  }
}

/** A target is left out of the later rounds after this many failed starts. */
const MAX_START_FAILURES = 2;

/**
 * `count` starts of `spec` on every target, taken round-robin (one start per target per round)
 * like the latency samples, so drift of the shared machine hits all targets alike. A failed
 * start is counted and reported (`failures`, first `error`), not timed; after
 * `MAX_START_FAILURES` the target is dropped from the later rounds.
 */
export async function startsRoundRobin(targets, spec, { count, log }) {
  const acc = Object.fromEntries(Object.keys(targets).map(name => [name, { idle: [], spark: [], failures: 0, error: null }]));
  for (let i = 0; i < count; i++) {
    for (const [name, target] of Object.entries(targets)) {
      const a = acc[name];
      if (a.failures >= MAX_START_FAILURES) {
        continue;
      }
      try {
        const r = await startOnce(target, spec);
        a.idle.push(r.idleMs);
        if (r.sparkMs !== null) {
          a.spark.push(r.sparkMs);
        }
        log?.(`  ${name} ${spec} start ${i + 1}/${count}: ${Math.round(r.idleMs)} ms${r.sparkMs !== null ? `, spark ${Math.round(r.sparkMs)} ms` : ''}`);
      } catch (error) {
        a.failures++;
        a.error ??= error;
        log?.(`  ${name} ${spec} start ${i + 1}/${count} failed: ${error.message.split('\n')[0]}`);
      }
    }
  }
  return Object.fromEntries(
    Object.entries(acc).map(([name, a]) => [
      name,
      {
        idleMs: summarize(a.idle),
        sparkMs: a.spark.length ? summarize(a.spark) : null,
        failures: a.failures,
        error: a.error ? a.error.message.split('\n')[0].slice(0, 300) : null
      }
    ])
  );
}

/**
 * Relay-bound throughput: the minimal kernel publishes `count` numbered lines as fast as Python
 * can sign them (far faster than ipykernel's print), so the relay, not the kernel, is the limit.
 */
export async function relay(kernel, { count = 50_000 } = {}) {
  const t = performance.now();
  const entry = await kernel.client.execute(`stream ${count} 0`, { collect: true, timeoutMs: 300_000, settleMs: 10_000 });
  const seconds = (performance.now() - t) / 1000 - (entry.idle ? 0 : 10);
  let expected = '';
  for (let i = 0; i < count; i++) {
    expected += `${i}\n`;
  }
  return { seconds, messages: entry.streams, msgsPerSec: entry.streams / seconds, idle: entry.idle, complete: entry.idle && entry.texts.join('') === expected };
}
