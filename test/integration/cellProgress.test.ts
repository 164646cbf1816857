/**
 * Per-cell Spark progress (issue 16, item 1) with a real local PySpark kernel: the kernel tags each
 * cell's jobs with the cell's msg_id, the gateway's Spark monitor sends that cell's jobs, stages and
 * tasks as `cell:progress` on `/status` to the kernel's owner only, and a final summary once the
 * cell ends; an interrupt cancels exactly the cell's jobs and shows a short KeyboardInterrupt.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import type { CellProgress } from '@sparkgate/contract';
import { cellTag } from '../../server/src/spark/cellProgress.js';
import { waitUntil } from '../support/waitFor.js';
import { api, startGateway, type TestGateway } from './support/gateway.js';
import { KernelSocket, type WsMessage } from './support/kernelSocket.js';

// A JVM per kernel on 2 cores: SparkSession start takes ~10–20 s.
jest.setTimeout(420_000);

const ALICE = 'cell-progress-alice-token-0123456789';
const BOB = 'cell-progress-bob-token-0123456789';
const yaml = `
# Tenancy is what is tested; local kernels share one OS user (README, Security).
local: {usersTrustEachOther: true}
users:
  - {name: alice, tenant: team-a, token: ${ALICE}}
  - {name: bob, tenant: team-b, token: ${BOB}}
tenants:
  team-a: {}
  team-b: {}
`;

let gw: TestGateway;
let id: string;
let warmCell: { msgId: string; reply: WsMessage; iopub: WsMessage[] };
let ws: KernelSocket;
const sockets: Socket[] = [];
const seen = { alice: [] as CellProgress[], bob: [] as CellProgress[] };

function listen(token: string, into: CellProgress[]): Promise<void> {
  const socket = io(`${gw.url}/status`, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false });
  sockets.push(socket);
  socket.on('cell:progress', (progress: CellProgress) => into.push(progress));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

/** Sends a cell; `done` resolves with its reply and iopub messages once it is idle. */
function run(code: string, timeoutMs = 180_000): { msgId: string; done: Promise<{ reply: WsMessage; iopub: WsMessage[] }> } {
  const msgId = ws.send('shell', 'execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
  const mine = (): WsMessage[] => ws.received.filter(m => m.parent_header.msg_id === msgId);
  const done = ws
    .waitFor(
      () => mine().some(m => m.header.msg_type === 'execute_reply') && mine().some(m => m.header.msg_type === 'status' && m.content.execution_state === 'idle'),
      timeoutMs,
      `cell ${JSON.stringify(code.slice(0, 60))}`
    )
    .then(() => ({ reply: mine().find(m => m.header.msg_type === 'execute_reply') as WsMessage, iopub: mine().filter(m => m.channel === 'iopub') }));
  return { msgId, done };
}

const ofCell = (cell: string): CellProgress[] => seen.alice.filter(p => p.cell === cell);
const finalOf = (cell: string): CellProgress | undefined => ofCell(cell).find(p => !p.running);

beforeAll(async () => {
  gw = await startGateway({ yaml, token: ALICE });
  const { status, body } = await api({ url: gw.url, token: ALICE }, 'POST', '/api/kernels', { name: 'pyspark' });
  expect(status).toBe(201);
  id = (body as { id: string }).id;
  ws = await KernelSocket.open(gw.wsUrl, id, ALICE);
  await Promise.all([listen(ALICE, seen.alice), listen(BOB, seen.bob)]);
  // Spark up, and a Python worker warm, before what is measured; sent before Spark is up.
  const warm = run('sc.parallelize(range(4), 2).map(lambda x: x).count()\nprint(sorted(sc.getJobTags()))');
  warmCell = { msgId: warm.msgId, ...(await warm.done) };
});
afterAll(async () => {
  sockets.forEach(s => s.close());
  ws?.close();
  await gw?.stop();
});

// Two stages (a shuffle): 8 map tasks of ~1 s on local[2], then the reduce.
const MULTI_STAGE = `
import time
def slow(x):
    time.sleep(0.5)
    return (x % 4, x)
sc.parallelize(range(16), 8).map(slow).reduceByKey(lambda a, b: a + b).count()`;

describe('integration/cell progress', () => {
  let first: string;

  it('should tag the jobs of a cell sent before Spark was up with that cell', () => {
    const stdout = warmCell.iopub.filter(m => m.header.msg_type === 'stream').map(m => String(m.content.text)).join('');
    expect([warmCell.reply.content.status, stdout]).toEqual(['ok', `['${cellTag(warmCell.msgId)}']\n`]);
  });

  it('should send a cell’s jobs with their stages and moving tasks as cell:progress, then a final summary', async () => {
    const cell = run(MULTI_STAGE);
    first = cell.msgId;
    expect((await cell.done).reply.content.status).toBe('ok');
    const summary = await waitUntil(() => finalOf(first), { timeoutMs: 30_000, what: 'the final summary' });
    const running = ofCell(first).filter(p => p.running);
    // Tasks moved while it ran: more than one figure of done tasks of its job was shown.
    const doneFigures = new Set(running.flatMap(p => p.jobs.map(j => j.tasks.done)));
    expect([running.length > 1, doneFigures.size > 1]).toEqual([true, true]);
    expect(running.some(p => p.jobs.some(j => j.stages.some(s => s.status === 'active' && s.tasks.running > 0)))).toBe(true);
    expect(summary).toMatchObject({ clusterId: id, cell: first, running: false, waiting: null });
    expect(summary.jobs).toHaveLength(1);
    const [job] = summary.jobs;
    expect(job).toMatchObject({ status: 'succeeded', uiPath: `ui/${id}/jobs/job/?id=${job!.id}`, tasks: { done: 16, running: 0, failed: 0, total: 16 } });
    expect(job!.stages.map(s => [s.status, s.tasks.done, s.tasks.total])).toEqual([
      ['complete', 8, 8],
      ['complete', 8, 8]
    ]);
    expect(Date.parse(job!.completedAt ?? '') >= Date.parse(job!.submittedAt ?? '')).toBe(true);
    // The link works through the gateway.
    const page = await fetch(`${gw.url}/${job!.uiPath}`, { headers: { Authorization: `token ${ALICE}` } });
    expect(page.status).toBe(200);
  });

  it('should keep the next cell’s progress to its own jobs', async () => {
    const cell = run(MULTI_STAGE.replace('range(16), 8', 'range(12), 6'));
    expect((await cell.done).reply.content.status).toBe('ok');
    const summary = await waitUntil(() => finalOf(cell.msgId), { timeoutMs: 30_000, what: 'the second summary' });
    const firstJobs = new Set(ofCell(first).flatMap(p => p.jobs.map(j => j.id)));
    const secondJobs = new Set(ofCell(cell.msgId).flatMap(p => p.jobs.map(j => j.id)));
    expect([summary.jobs.map(j => j.tasks.total), [...secondJobs].filter(j => firstJobs.has(j))]).toEqual([[12], []]);
  });

  it('should cancel the cell’s jobs on interrupt, not another thread’s, answer a short KeyboardInterrupt, and run the next cell', async () => {
    // A job of a background thread an earlier cell started (one core of local[2]) must survive it.
    const background = run(`
import threading, time
def hold(rows):
    time.sleep(60)
    yield from rows
threading.Thread(target=lambda: sc.parallelize(range(1), 1).mapPartitions(hold).count(), daemon=True).start()
for _ in range(300):
    if sc.statusTracker().getActiveJobsIds():
        break
    time.sleep(0.1)
print(len(sc.statusTracker().getActiveJobsIds()))`);
    const started = await background.done;
    expect(started.iopub.find(m => m.header.msg_type === 'stream')?.content.text).toBe('1\n');
    const cell = run(`
def forever(rows):
    time.sleep(600)
    yield from rows
sc.parallelize(range(4), 2).mapPartitions(forever).count()`);
    // Interrupt once the gateway shows the job's tasks running.
    await waitUntil(() => ofCell(cell.msgId).some(p => p.jobs.some(j => j.tasks.running > 0)), { timeoutMs: 60_000, what: 'the long job running' });
    const asked = Date.now();
    expect((await api({ url: gw.url, token: ALICE }, 'POST', `/api/kernels/${id}/interrupt`, {})).status).toBe(204);
    const { reply, iopub } = await cell.done;
    expect(Date.now() - asked).toBeLessThan(15_000);
    expect([reply.content.status, reply.content.ename]).toEqual(['error', 'KeyboardInterrupt']);
    const errors = iopub.filter(m => m.header.msg_type === 'error');
    expect(errors.map(m => m.content.ename)).toEqual(['KeyboardInterrupt']);
    const shown = JSON.stringify([reply.content, errors.map(m => m.content)]);
    expect([shown.includes('Py4J'), shown.includes('SPARK_JOB_CANCELLED'), shown.length < 1000]).toEqual([false, false, true]);
    const summary = await waitUntil(() => finalOf(cell.msgId), { timeoutMs: 30_000, what: 'the interrupted cell’s summary' });
    // Its own job only: the background thread's (untagged, still running) is no part of it.
    expect(summary.jobs.map(j => [j.status, j.tasks.running])).toEqual([['failed', 0]]);
    const next = run('spark.range(10).count(), len(sc.statusTracker().getActiveJobsIds())');
    const after = await next.done;
    expect(after.reply.content.status).toBe('ok');
    // 10 rows, and the background thread's job still runs.
    expect(after.iopub.find(m => m.header.msg_type === 'execute_result')?.content.data).toMatchObject({ 'text/plain': '(10, 1)' });
  });

  it('should keep a plain error’s traceback as it is', async () => {
    const cell = run('spark.sql("SELECT * FROM no_such_table").collect()', 60_000);
    const { reply } = await cell.done;
    expect(reply.content.status).toBe('error');
    expect(reply.content.ename).not.toBe('KeyboardInterrupt');
    expect(JSON.stringify(reply.content.traceback)).toContain('no_such_table');
  });

  it('should know Spark’s executors (local: the driver, with its cores)', async () => {
    const kernel = gw.gateway.kernels.get({ user: 'alice', tenant: 'team-a' }, id);
    const executors = await waitUntil(() => kernel.sparkExecutors, { timeoutMs: 30_000, what: 'Spark’s executors' });
    expect(executors.map(e => [e.id, e.isActive, e.cores > 0, /^127\.0\.0\.1:\d+$/.test(e.hostPort)])).toEqual([['driver', true, true, true]]);
  });

  it('should send none of it to another user', () => {
    expect([seen.alice.length > 0, seen.bob]).toEqual([true, []]);
  });
});
