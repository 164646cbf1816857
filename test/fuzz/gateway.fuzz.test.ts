/**
 * Issue 10, "a fuzz tier in npm test": a bounded, seeded fuzz of a real gateway (the built
 * `sparkgate` command as a child process) with real python3 kernels (and, in single-user mode, a
 * PySpark kernel whose Spark UI the `/ui/{id}/…` proxy serves). REST on every route and method,
 * malformed frames in both kernel websocket framings, bad upgrades, socket.io handshakes and
 * garbage on both transports — once in single-user mode and once with two users, so another
 * user's kernel is fuzzed too (it must answer exactly like an unknown id).
 *
 * It asserts: no 5xx; the gateway process never exits; a witness kernel started first still
 * answers `6*7` → `42` after every phase; the gateway's RSS is back under a bound at the end.
 *
 * Replay: the seed is printed (override with SPARKGATE_FUZZ_SEED); every failure names its seed,
 * its case (`two users/rest#457`: phase and index, regenerated alone by `Rng.forCase`) and the
 * exact bytes that were sent.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { appendFileSync, readFileSync } from 'node:fs';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { spawnGateway, type GatewayProcess } from '../support/gatewayProcess.js';
import { holdsWithin } from '../support/waitFor.js';
import { frameCase, type FrameProtocol } from './support/frameCases.js';
import { judgeRest, judgeUpgrade, outcomeLabel } from './support/judge.js';
import { fuzzSeed, Rng } from './support/prng.js';
import { exchange, exchangeUpgrade, type RawOutcome } from './support/rawHttp.js';
import { describeBytes, restCase, withUnknownId, type FuzzTargets, type Party } from './support/restCases.js';
import { connectPacket, garbagePacket } from './support/socketIoCases.js';
import { Tally } from './support/tally.js';
import { upgradeCase } from './support/upgradeCases.js';

const SEED = fuzzSeed(process.env, 0x5eed10);
const MAX_BODY_BYTES = 64 * 1024;
const MAX_WS_MESSAGE_BYTES = 256 * 1024;
/** engine.io's maxHttpBufferSize in api/sparkgate/status.ts. */
const SOCKET_IO_MAX_BYTES = 64 * 1024;
/** After the fuzz the gateway's RSS must be back under its RSS before the fuzz plus this. */
const RSS_GROWTH_BOUND_MIB = 128;
const CONCURRENCY = 8;
/** SPARKGATE_FUZZ_TRACE=<file>: one JSON line per REST case and its answer, to look a run over. */
const TRACE = process.env.SPARKGATE_FUZZ_TRACE;

jest.setTimeout(150_000);

interface Mode {
  name: string;
  /** Requests (or frames, handshakes) per phase; each phase also stops at its deadline. */
  counts: { rest: number; frames: number; upgrades: number; socketIo: number };
  /** `spark`: also run a PySpark kernel, so the Spark UI proxy (`/ui/{id}/…`) has a target. */
  parties: { name: string; token: string; spare: boolean; spark: boolean }[];
  yaml: string;
}

const LIMITS = `limits: {maxBodyBytes: ${MAX_BODY_BYTES}, maxWsMessageBytes: ${MAX_WS_MESSAGE_BYTES}, maxKernelsPerUser: 2}\n`;
const MODES: Mode[] = [
  {
    name: 'single user',
    counts: { rest: 1000, frames: 100, upgrades: 150, socketIo: 30 },
    parties: [{ name: 'local', token: 'fuzz-single-user-token-0123456789', spare: true, spark: true }],
    // The user already runs maxKernelsPerUser kernels, so no fuzzed request can start another.
    yaml: LIMITS.replace('maxKernelsPerUser: 2', 'maxKernelsPerUser: 3')
  },
  {
    name: 'two users',
    counts: { rest: 2000, frames: 200, upgrades: 300, socketIo: 60 },
    parties: [
      { name: 'alice', token: 'fuzz-alice-token-0123456789abcdef', spare: true, spark: false },
      { name: 'bob', token: 'fuzz-bob-token-0123456789abcdef', spare: false, spark: false }
    ],
    // Tenant core limits are full once the kernels below run (python3 = 1 core): no fuzzed
    // request can start another kernel. The local backend refuses several users unless they
    // trust each other (they share one OS user).
    yaml:
      'local: {usersTrustEachOther: true}\n' +
      'users:\n' +
      '  - {name: alice, tenant: team-a, token: fuzz-alice-token-0123456789abcdef}\n' +
      '  - {name: bob, tenant: team-b, token: fuzz-bob-token-0123456789abcdef}\n' +
      'tenants:\n' +
      '  team-a: {limits: {cores: 2}}\n' +
      '  team-b: {limits: {cores: 1}}\n' +
      LIMITS
  }
];

const tally = new Tally();
const started = Date.now();
process.stdout.write(`sparkgate fuzz: seed ${SEED} (set SPARKGATE_FUZZ_SEED to change it)\n`);
/** Per mode: RSS figures, witness checks, phase counts, skipped cases. */
const notes: string[] = [];
/** Every failure of the run, formatted for replay; printed in the summary too. */
const allFailures: string[] = [];

afterAll(() => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const distinct = [...new Set(allFailures.map(f => f.split('\n')[0] ?? f))];
  process.stdout.write(
    `\n=== sparkgate fuzz summary: seed ${SEED} (SPARKGATE_FUZZ_SEED=${SEED} to replay), ${seconds} s ===\n` +
      `${notes.join('\n')}\n${tally.format()}\n` +
      `failures: ${allFailures.length}${distinct.length ? `\n${distinct.slice(0, 40).map(f => `  ${f}`).join('\n')}` : ''}\n`
  );
});

/** Runs `fn(0..count-1)` on `concurrency` workers; stops starting new ones at `deadline`. */
async function bounded(count: number, concurrency: number, deadline: number, fn: (i: number) => Promise<void>): Promise<{ done: number }> {
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && Date.now() < deadline) {
        const i = next++;
        await fn(i);
        done++;
      }
    })
  );
  return { done };
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

describe.each(MODES)('fuzz/gateway ($name)', mode => {
  let gw: GatewayProcess;
  let host: string;
  let port: number;
  let targets: FuzzTargets;
  let wsUrl: string;
  let baselineRss = 0;
  let peakRss = 0;
  let witnessChecks = 0;
  let stopSampling = (): void => undefined;
  const failures: string[] = [];

  beforeAll(async () => {
    gw = await spawnGateway({ yaml: mode.yaml, token: mode.parties[0]?.token ?? '', env: { SPARKGATE_LOG_LEVEL: 'info' } });
    const url = new URL(gw.url);
    host = url.hostname;
    port = Number(url.port);
    wsUrl = gw.url.replace(/^http/, 'ws');
    const start = async (token: string, name = 'python3'): Promise<string> => {
      const response = await fetch(`${gw.url}/api/kernels`, {
        method: 'POST',
        headers: { Authorization: `token ${token}` },
        body: JSON.stringify({ name })
      });
      const body = (await response.json()) as { id?: string };
      if (response.status !== 201 || !body.id) {
        throw new Error(`could not start a ${name} kernel (${response.status}): ${JSON.stringify(body)}\n${gw.log().slice(-3000)}`);
      }
      return body.id;
    };
    // The witnesses first (started at the beginning), then the spares.
    const witnesses = await Promise.all(mode.parties.map(p => start(p.token)));
    const [spares, sparks] = await Promise.all([
      Promise.all(mode.parties.map(p => (p.spare ? start(p.token) : Promise.resolve(null)))),
      Promise.all(mode.parties.map(p => (p.spark ? start(p.token, 'pyspark').then(id => sparkReady(p.token, id)) : Promise.resolve(null))))
    ]);
    const parties: Party[] = mode.parties.map((p, i) => ({
      name: p.name,
      token: p.token,
      witness: witnesses[i] as string,
      spare: spares[i] ?? null,
      spark: sparks[i] ?? null
    }));
    targets = { parties, maxBodyBytes: MAX_BODY_BYTES, specs: ['python3', 'pyspark'] };
    await witness('before the fuzz');
    baselineRss = rssMiB(gw.child.pid as number);
    peakRss = baselineRss;
    stopSampling = sampleRss();
  });

  /** Resolves with `id` once its SparkContext answers (launch phase `spark-ready`); bounded. */
  async function sparkReady(token: string, id: string): Promise<string> {
    let cluster: { phase?: string; state?: string } = {};
    const failure = (): Error => new Error(`PySpark kernel ${id} did not get its SparkContext up: ${JSON.stringify(cluster)}\n${gw.log().slice(-3000)}`);
    const up = async (): Promise<boolean> => {
      const response = await fetch(`${gw.url}/api/clusters/${id}`, { headers: { Authorization: `token ${token}` } });
      cluster = (await response.json()) as { phase?: string; state?: string };
      if (cluster.state === 'failed' || cluster.state === 'dead') {
        throw failure();
      }
      return cluster.phase === 'spark-ready';
    };
    // Spark offers no push for this; the gateway polls it once a second.
    if (!(await holdsWithin(up, { timeoutMs: 120_000, intervalMs: 250 }))) {
      throw failure();
    }
    return id;
  }

  afterAll(async () => {
    stopSampling();
    const finalRss = gw?.alive() ? rssMiB(gw.child.pid as number) : NaN;
    notes.push(
      `[${mode.name}] gateway RSS: ${baselineRss.toFixed(0)} MiB before, peak ${peakRss.toFixed(0)} MiB, ${finalRss.toFixed(0)} MiB after ` +
        `(bound ${(baselineRss + RSS_GROWTH_BOUND_MIB).toFixed(0)} MiB); witness answered 6*7 = 42 ${witnessChecks} times; ` +
        `gateway ${gw?.alive() ? 'alive' : 'EXITED'}`
    );
    await gw?.stop();
  });

  /** The gateway is up and the first party's witness kernel still runs code. */
  async function witness(when: string): Promise<void> {
    assertAlive(when);
    const party = targets.parties[0] as Party;
    const ws = await KernelSocket.open(wsUrl, party.witness, party.token);
    try {
      const run = await ws.execute('6*7', 30_000);
      expect([when, run.result]).toEqual([when, '42']);
      witnessChecks++;
    } finally {
      ws.close();
    }
    for (const other of targets.parties.slice(1)) {
      const response = await fetch(`${gw.url}/api/kernels/${other.witness}`, { headers: { Authorization: `token ${other.token}` } });
      expect([when, other.name, response.status]).toEqual([when, other.name, 200]);
      await response.arrayBuffer();
    }
  }

  function assertAlive(when: string): void {
    if (!gw.alive()) {
      throw new Error(`[seed ${SEED}] the gateway exited (${when}); its last log lines:\n${gw.log().slice(-4000)}`);
    }
  }

  /** Error-level log lines written since `mark` (a length of gw.log()), short. */
  function logSince(mark: number): string {
    const lines = gw
      .log()
      .slice(mark)
      .split('\n')
      .filter(l => /"level":"error"|URIError|ERR_|uncaught/i.test(l));
    return lines.slice(0, 3).map(l => (l.length > 700 ? `${l.slice(0, 700)}…` : l)).join('\n    ') || '(no error lines)';
  }

  function fail(phase: string, index: number, title: string, request: string, got: string, mark: number): void {
    const text = `[seed ${SEED}] ${mode.name}/${phase}#${index} ${title}\n  request: ${request}\n  got: ${got}\n  log: ${logSince(mark)}`;
    failures.push(text);
    allFailures.push(text);
  }

  function gotText(outcome: RawOutcome): string {
    if (outcome.kind !== 'response') {
      return outcome.kind === 'reset' ? `reset (${outcome.error})` : 'no answer';
    }
    const body = outcome.response.body.toString('utf8');
    return `${outcome.response.status} ${body.length > 400 ? `${body.slice(0, 400)}…` : body}`;
  }

  /** Fails the test with every failure of `phase` (seed, case, request, answer, log). */
  function expectNoFailures(phase: string): void {
    const mine = failures.filter(f => f.includes(`${mode.name}/${phase}#`));
    expect(mine.slice(0, 25).concat(mine.length > 25 ? [`… and ${mine.length - 25} more`] : [])).toEqual([]);
  }

  /** Samples the gateway's RSS every 250 ms into `peakRss`; returns the stop function. */
  function sampleRss(): () => void {
    const timer = setInterval(() => {
      if (gw.alive()) {
        peakRss = Math.max(peakRss, rssMiB(gw.child.pid as number));
      }
    }, 250);
    return () => clearInterval(timer);
  }

  it('should answer thousands of hostile REST requests without a 5xx, 401 for bad tokens, 404 for other users', async () => {
    const deadline = Date.now() + 50_000;
    const { done } = await bounded(mode.counts.rest, CONCURRENCY, deadline, async i => {
      const c = restCase(Rng.forCase(SEED, `${mode.name}/rest`, i), targets);
      const mark = gw.log().length;
      const outcome = await exchange({ host, port, pieces: c.pieces, pauseMs: c.pauseMs, after: c.after, timeoutMs: c.timeoutMs, head: c.head });
      const label = outcomeLabel(outcome);
      tally.add(`[${mode.name}] REST by route → status`, c.route, label);
      for (const m of c.mutations) {
        tally.add(`[${mode.name}] REST by mutation → status`, m, label);
      }
      if (TRACE) {
        appendFileSync(TRACE, `${JSON.stringify({ case: `${mode.name}/rest#${i}`, route: c.route, mutations: c.mutations, status: label, request: describeBytes(c.pieces, 300) })}\n`);
      }
      // Another user's kernel must look exactly like no kernel at all.
      const twin = c.expect.crossUser && outcome.kind === 'response'
        ? await exchange({ host, port, pieces: withUnknownId(c.pieces, c.expect.crossUser), pauseMs: c.pauseMs, after: c.after, timeoutMs: c.timeoutMs, head: c.head })
        : undefined;
      const problem = judgeRest(c, outcome, twin);
      if (problem) {
        const got = twin ? `${gotText(outcome)}; with an unknown id instead: ${gotText(twin)}` : gotText(outcome);
        fail('rest', i, `${c.route} [${c.mutations.join(', ')}] as ${c.actor}: ${problem}`, describeBytes(c.pieces), got, mark);
      }
    });
    notes.push(`[${mode.name}] REST: ${done} of ${mode.counts.rest} requests sent`);
    expectNoFailures('rest');
    await witness('after the REST fuzz');
  });

  it.each(['legacy', 'v1'] as const)('should close only the kernel websocket that sends a malformed %s frame', async protocol => {
    const party = targets.parties[0] as Party;
    // A bystander on the same kernel: it must see nothing of the others' bad frames.
    const bystander = await KernelSocket.open(wsUrl, party.witness, party.token);
    const deadline = Date.now() + 20_000;
    let socket: WebSocket | null = null;
    let closed: { code: number; reason: string } | null = null;
    const open = async (): Promise<WebSocket> => {
      const ws = new WebSocket(`${wsUrl}/api/kernels/${party.witness}/channels?session_id=fuzz-${protocol}`, protocol === 'v1' ? ['v1.kernel.websocket.jupyter.org'] : [], {
        headers: { Authorization: `token ${party.token}` }
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      closed = null;
      ws.on('close', (code, reason) => {
        closed = { code, reason: reason.toString() };
        onClose?.();
      });
      ws.on('error', () => undefined);
      return ws;
    };
    let onClose: (() => void) | null = null;
    /** Resolves when the server closes the socket, or after `ms`. */
    const waitClose = (ms: number): Promise<void> =>
      closed
        ? Promise.resolve()
        : new Promise(resolve => {
            const timer = setTimeout(() => ((onClose = null), resolve()), ms);
            onClose = () => (clearTimeout(timer), (onClose = null), resolve());
          });
    let done = 0;
    for (let i = 0; i < mode.counts.frames && Date.now() < deadline; i++) {
      const c = frameCase(Rng.forCase(SEED, `${mode.name}/frames-${protocol}`, i), protocol as FrameProtocol, MAX_WS_MESSAGE_BYTES);
      if (!socket || closed) {
        socket = await open();
      }
      const mark = gw.log().length;
      socket.send(c.data, { binary: typeof c.data !== 'string' && !c.asText });
      await waitClose(c.close ? 5000 : 150);
      const got = closed as { code: number; reason: string } | null;
      tally.add(`[${mode.name}] kernel websocket frames (${protocol}) → close code`, c.kind, got ? got.code : 'open');
      const request = typeof c.data === 'string' ? describeBytes([Buffer.from(c.data)]) : `${c.asText ? 'text' : 'binary'} ${describeBytes([c.data])} (hex ${c.data.subarray(0, 96).toString('hex')})`;
      const gotText = got ? `close ${got.code} ${JSON.stringify(got.reason)}` : 'still open';
      if (c.close && !(got && c.close.includes(got.code))) {
        fail(`frames-${protocol}`, i, `${c.kind}: expected close ${c.close.join(' or ')}`, request, gotText, mark);
      } else if (!c.close && got) {
        fail(`frames-${protocol}`, i, `${c.kind}: a valid frame closed the connection`, request, gotText, mark);
      } else if (got && c.reason && got.reason === '') {
        fail(`frames-${protocol}`, i, `${c.kind}: closed ${got.code} without a reason`, request, gotText, mark);
      }
      done++;
    }
    socket?.close();
    notes.push(`[${mode.name}] ${protocol} frames: ${done} of ${mode.counts.frames} sent`);
    expect(bystander.closeCode).toBeUndefined();
    expect((await bystander.execute('6*7', 30_000)).result).toBe('42');
    bystander.close();
    expectNoFailures(`frames-${protocol}`);
    await witness(`after the ${protocol} frame fuzz`);
  });

  it('should refuse bad kernel websocket upgrades with 4xx and never hand out another user kernel', async () => {
    const deadline = Date.now() + 20_000;
    const { done } = await bounded(mode.counts.upgrades, 4, deadline, async i => {
      const c = upgradeCase(Rng.forCase(SEED, `${mode.name}/upgrades`, i), targets);
      const mark = gw.log().length;
      const { outcome, afterOpen } = await exchangeUpgrade({ host, port, request: c.request, afterOpen: c.afterOpen, timeoutMs: 8000, waitMs: 1000 });
      tally.add(`[${mode.name}] websocket upgrades → status`, c.kind, outcomeLabel(outcome));
      for (const m of c.mutations) {
        tally.add(`[${mode.name}] websocket upgrades by mutation → status`, m, outcomeLabel(outcome));
      }
      if (afterOpen) {
        tally.add(`[${mode.name}] websocket garbage after 101 → connection`, c.mutations.find(m => m.startsWith('ws:')) ?? 'ws:?', afterOpen);
      }
      const problem = judgeUpgrade(c, outcome);
      if (problem) {
        fail('upgrades', i, `${c.kind} [${c.mutations.join(', ')}] as ${c.actor}: ${problem}`, describeBytes([c.request]), gotText(outcome), mark);
      }
    });
    notes.push(`[${mode.name}] upgrades: ${done} of ${mode.counts.upgrades} sent`);
    expectNoFailures('upgrades');
    await witness('after the upgrade fuzz');
  });

  it('should take socket.io handshakes with good, bad and missing tokens on both transports, and garbage packets', async () => {
    const deadline = Date.now() + 25_000;
    const table = `[${mode.name}] socket.io → outcome`;
    // 1. Real clients: a valid token streams only the caller's clusters; others get connect_error.
    let index = 0;
    for (const transport of ['polling', 'websocket'] as const) {
      for (const party of targets.parties) {
        const variants: [string, Record<string, unknown>, boolean][] = [
          ['auth.token', { auth: { token: party.token } }, true],
          ['query token', { query: { token: party.token } }, true],
          ['header token', { extraHeaders: { Authorization: `token ${party.token}` } }, true],
          ['no token', {}, false],
          ['wrong token', { auth: { token: `${party.token}x` } }, false],
          ['malformed header', { extraHeaders: { Authorization: `token${party.token}` } }, false]
        ];
        for (const [what, options, valid] of variants) {
          const i = index++;
          const mark = gw.log().length;
          const socket = io(`${gw.url}/status`, { path: '/socket.io', transports: [transport], reconnection: false, timeout: 5000, ...options });
          const got = await new Promise<{ clusters?: { id: string }[]; error?: string }>(resolve => {
            const timer = setTimeout(() => resolve({ error: 'timeout' }), 8000);
            socket.once('clusters', (clusters: { id: string }[]) => (clearTimeout(timer), resolve({ clusters })));
            socket.once('connect_error', (error: Error) => (clearTimeout(timer), resolve({ error: error.message })));
          });
          socket.close();
          tally.add(table, `client ${transport} ${what}`, got.clusters ? 'clusters' : `connect_error`);
          const own = [party.witness, party.spare, party.spark].filter(Boolean);
          const request = `io(${JSON.stringify(`${gw.url}/status`)}, ${JSON.stringify({ transports: [transport], ...options })}) as ${party.name}`;
          if (valid && !got.clusters) {
            fail('socket.io', i, `client ${transport} ${what}: expected the clusters event`, request, got.error ?? '', mark);
          } else if (!valid && !got.error?.match(/token/)) {
            fail('socket.io', i, `client ${transport} ${what}: expected connect_error naming the token`, request, JSON.stringify(got).slice(0, 300), mark);
          } else if (got.clusters && got.clusters.some(c => !own.includes(c.id))) {
            fail('socket.io', i, `client ${transport} ${what}: clusters of another user`, request, JSON.stringify(got.clusters).slice(0, 300), mark);
          }
        }
      }
    }
    // 2. Raw polling: handshake, then a connect packet or garbage, then one poll.
    const pollTable = `[${mode.name}] socket.io raw polling → status`;
    await bounded(mode.counts.socketIo, 4, deadline, async i => {
      const rng = Rng.forCase(SEED, `${mode.name}/socket.io-polling`, i);
      const party = rng.pick(targets.parties);
      const mark = gw.log().length;
      const send = async (method: string, target: string, body: Buffer | null, timeoutMs: number): Promise<RawOutcome> => {
        const head = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${body ? `Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${body.length}\r\n` : ''}\r\n`;
        const outcome = await exchange({ host, port, pieces: [Buffer.concat([Buffer.from(head, 'latin1'), body ?? Buffer.alloc(0)])], after: 'wait', timeoutMs });
        const problem = outcome.kind === 'response' && outcome.response.status >= 500 ? `answered ${outcome.response.status}` : null;
        if (problem) {
          fail('socket.io', 1000 + i, `polling ${method} ${target.split('?')[0]}: ${problem}`, describeBytes([Buffer.from(head), body ?? Buffer.alloc(0)]), gotText(outcome), mark);
        }
        return outcome;
      };
      const tokenQuery = rng.pick(['', `&token=${party.token}`, '&token=wrong']);
      const handshake = await send('GET', `/socket.io/?EIO=4&transport=polling${tokenQuery}`, null, 5000);
      tally.add(pollTable, 'handshake', outcomeLabel(handshake));
      const sid = handshake.kind === 'response' ? /"sid":"([^"]+)"/.exec(handshake.response.body.toString())?.[1] : undefined;
      if (!sid) {
        fail('socket.io', 1000 + i, 'polling handshake: no sid', `GET /socket.io/?EIO=4&transport=polling${tokenQuery}`, gotText(handshake), mark);
        return;
      }
      const kind = rng.weighted<string>([
        [2, 'connect-valid'],
        [1, 'connect-wrong'],
        [1, 'connect-missing'],
        [4, 'garbage']
      ]);
      const packets: (string | Buffer)[] =
        kind === 'connect-valid'
          ? [connectPacket(party.token)]
          : kind === 'connect-wrong'
            ? [connectPacket('wrong')]
            : kind === 'connect-missing'
              ? [connectPacket(undefined)]
              : Array.from({ length: rng.between(1, 3) }, () => garbagePacket(rng, SOCKET_IO_MAX_BYTES).data);
      for (const packet of packets) {
        const posted = await send('POST', `/socket.io/?EIO=4&transport=polling&sid=${sid}`, Buffer.isBuffer(packet) ? packet : Buffer.from(packet), 5000);
        tally.add(pollTable, `post ${kind}`, outcomeLabel(posted));
      }
      const poll = await send('GET', `/socket.io/?EIO=4&transport=polling&sid=${sid}`, null, 1500);
      tally.add(pollTable, `poll after ${kind}`, outcomeLabel(poll));
      const body = poll.kind === 'response' ? poll.response.body.toString() : '';
      if (kind === 'connect-valid' && !body.includes('40/status,{"sid"')) {
        fail('socket.io', 1000 + i, 'polling connect with a valid token: no CONNECT answer', connectPacket('<token>'), gotText(poll), mark);
      }
      // Without a token in the CONNECT packet, the handshake's query token counts.
      const refused = kind === 'connect-wrong' || (kind === 'connect-missing' && tokenQuery !== `&token=${party.token}`);
      if (kind === 'connect-missing' && !refused && !body.includes('40/status,{"sid"')) {
        fail('socket.io', 1000 + i, 'polling connect without a token, valid query token: no CONNECT answer', connectPacket(undefined), gotText(poll), mark);
      }
      if (refused && !body.includes('44/status,')) {
        fail('socket.io', 1000 + i, `polling ${kind}: no CONNECT_ERROR answer`, connectPacket(kind === 'connect-wrong' ? 'wrong' : undefined), gotText(poll), mark);
      }
    });
    // 3. Raw websocket transport: open packet, maybe a connect packet, then garbage.
    const wsTable = `[${mode.name}] socket.io raw websocket → outcome`;
    await bounded(mode.counts.socketIo, 4, deadline, async i => {
      const rng = Rng.forCase(SEED, `${mode.name}/socket.io-websocket`, i);
      const party = rng.pick(targets.parties);
      const mark = gw.log().length;
      const tokenQuery = rng.pick(['', `&token=${party.token}`, '&token=wrong']);
      const ws = new WebSocket(`${wsUrl}/socket.io/?EIO=4&transport=websocket${tokenQuery}`);
      const messages: string[] = [];
      let closeCode: number | null = null;
      ws.on('message', (data, isBinary) => messages.push(isBinary ? '<binary>' : data.toString()));
      ws.on('close', code => (closeCode = code));
      ws.on('error', () => undefined);
      const waitFor = (predicate: () => boolean, ms: number): Promise<boolean> => holdsWithin(predicate, { timeoutMs: ms, intervalMs: 5 });
      const opened = await waitFor(() => messages.some(m => m.startsWith('0{')), 5000);
      if (!opened) {
        fail('socket.io', 2000 + i, 'websocket transport: no engine.io open packet', `ws ${wsUrl}/socket.io/?EIO=4&transport=websocket${tokenQuery}`, `close ${closeCode} ${messages.join(' | ').slice(0, 300)}`, mark);
        ws.terminate();
        return;
      }
      const kind = rng.weighted<string>([
        [2, 'connect-valid'],
        [1, 'connect-wrong'],
        [4, 'garbage']
      ]);
      if (kind !== 'garbage') {
        ws.send(connectPacket(kind === 'connect-valid' ? party.token : 'wrong'));
        const answered = await waitFor(() => messages.some(m => m.startsWith(kind === 'connect-valid' ? '40/status,{"sid"' : '44/status,')), 5000);
        tally.add(wsTable, kind, answered ? (kind === 'connect-valid' ? 'connected' : 'connect_error') : 'no answer');
        if (!answered) {
          fail('socket.io', 2000 + i, `websocket transport ${kind}: no CONNECT${kind === 'connect-valid' ? '' : '_ERROR'} answer`, connectPacket(kind === 'connect-valid' ? '<token>' : 'wrong'), messages.join(' | ').slice(0, 300), mark);
        }
      }
      for (let k = 0; k < rng.between(1, 3) && closeCode === null; k++) {
        const packet = garbagePacket(rng, SOCKET_IO_MAX_BYTES);
        ws.send(packet.data, { binary: Buffer.isBuffer(packet.data) });
        await waitFor(() => closeCode !== null, 150);
        tally.add(wsTable, `garbage ${packet.kind}`, closeCode === null ? 'open' : `closed ${closeCode}`);
      }
      ws.terminate();
    });
    expectNoFailures('socket.io');
    await witness('after the socket.io fuzz');
  });

  it('should leave the witness running code and the gateway RSS back under its bound', async () => {
    await witness('at the end');
    const pid = gw.child.pid as number;
    const bound = baselineRss + RSS_GROWTH_BOUND_MIB;
    // Bounded wait for the heap to settle (no way to force a GC in the child).
    let rss = rssMiB(pid);
    await holdsWithin(() => (rss = rssMiB(pid)) <= bound, { timeoutMs: 10_000, intervalMs: 250 });
    const figures = { seed: SEED, baselineMiB: Math.round(baselineRss), peakMiB: Math.round(peakRss), rssMiB: Math.round(rss), boundMiB: Math.round(bound) };
    expect({ ...figures, underBound: rss <= bound }).toEqual({ ...figures, underBound: true });
    assertAlive('at the end');
  });
});
