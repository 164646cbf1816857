/**
 * Issue 10, item 6: "A slow websocket reader lets gateway memory balloon". With two paused clients
 * during 400 MiB of output the gateway's RSS went from 155 MiB to 940 MiB: each client could queue
 * 256 MiB (plus a frame) before it was cut off. Each client's backlog is now bounded
 * (`limits.maxWsBacklogBytes`, 32 MiB by default); a client past it is closed with 1013 and a
 * reason, while the kernel and its other clients carry on.
 *
 * The gateway is a real child process (its RSS read from /proc), the kernel a real IPython kernel.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnGatewayWithKernel, type GatewayProcess } from '../support/gatewayProcess.js';
import { memoryOf, OutputReader } from './support/outputReader.js';

/**
 * 320 MiB of output: 320 messages of 1,024 numbered lines of 1 KiB (the cell flushes after each),
 * paced at up to 20 MiB/s so that the active client (this process, parsing every line) keeps up;
 * unpaced, the kernel writes faster than any client reads, and every client is cut off.
 */
const CHUNKS = 320;
const LINES_PER_CHUNK = 1024;
const LINES = CHUNKS * LINES_PER_CHUNK;
const PAD = 'x'.repeat(1014);
const line = (i: number): string => `${String(i).padStart(8, '0')} ${PAD}`;
const CELL = [
  'import sys, time',
  `pad = 'x' * 1014`,
  `for c in range(${CHUNKS}):`,
  `    sys.stdout.write(''.join(f'{i:08d} {pad}\\n' for i in range(c * ${LINES_PER_CHUNK}, (c + 1) * ${LINES_PER_CHUNK})))`,
  '    sys.stdout.flush()',
  '    time.sleep(0.05)'
].join('\n');

/**
 * What the gateway may grow by: two paused clients at 32 MiB (plus one tick of output) each, the
 * 1 MiB messages in flight to the active client, and V8's garbage not yet collected.
 */
const MAX_GROWTH_MIB = 200;

jest.setTimeout(240_000);

let gw: GatewayProcess;
let kernelId: string;
const readers: OutputReader[] = [];

beforeAll(async () => {
  ({ gw, kernelId } = await spawnGatewayWithKernel());
});

afterAll(async () => {
  readers.forEach(r => r.close());
  await gw?.stop();
});

/** Resolves once the gateway has logged `count` lines matching `pattern`. */
function gatewayLogged(pattern: RegExp, count: number, timeoutMs: number): Promise<void> {
  const seen = (): boolean => (gw.log().match(new RegExp(pattern.source, 'g')) ?? []).length >= count;
  return new Promise((resolve, reject) => {
    const stderr = gw.child.stderr;
    const check = (): void => {
      if (seen()) {
        clearTimeout(timer);
        stderr?.off('data', check);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      stderr?.off('data', check);
      reject(new Error(`gateway did not log ${pattern} ${count} times within ${timeoutMs} ms`));
    }, timeoutMs);
    // Our listener runs after gatewayProcess's, which appends the chunk to log().
    stderr?.on('data', check);
    check();
  });
}

describe('integration/slow websocket clients (issue 10, item 6)', () => {
  it('should close paused clients with 1013 and keep gateway memory bounded, while an active client gets all 320 MiB in order', async () => {
    const wsUrl = gw.url.replace(/^http/, 'ws');
    const active = await OutputReader.open(wsUrl, kernelId, gw.token, line);
    const paused = [await OutputReader.open(wsUrl, kernelId, gw.token, line), await OutputReader.open(wsUrl, kernelId, gw.token, line)];
    readers.push(active, ...paused);
    paused.forEach(p => p.pause());
    const pid = gw.child.pid as number;
    const before = memoryOf(pid);

    const msgId = active.execute(CELL);
    paused.forEach(p => p.follow(msgId));
    // The paused clients read again only once the gateway has given up on them, so they hold
    // their full backlog while the output runs; then they read what was queued and the close.
    const cutOff = gatewayLogged(/websocket client too slow/, 2, 200_000).then(() => paused.forEach(p => p.resume()));
    await active.waitFor(() => active.idle || active.closeCode !== undefined, 200_000, 'the cell to finish');
    const after = memoryOf(pid);
    process.stdout.write(
      `slow clients: gateway RSS ${before.rssMiB} MiB before (peak so far ${before.peakMiB}), peak ${after.peakMiB} MiB during ` +
        `${CHUNKS} MiB of output, ${after.rssMiB} MiB after; active got ${active.check.lines}/${LINES} lines\n`
    );
    await cutOff;
    await Promise.all(paused.map(p => p.waitFor(() => p.closeCode !== undefined, 60_000, 'the paused client to be closed')));
    process.stdout.write(
      `slow clients: paused got ${paused.map(p => p.check.lines).join(', ')} lines, closed ${paused.map(p => `${p.closeCode} "${p.closeReason}"`).join(', ')}\n` +
        gw.log().split('\n').filter(l => l.includes('websocket client too slow')).map(l => `  ${l}\n`).join('')
    );

    // The active client: everything, in order, and still connected.
    expect(active.closeCode).toBeUndefined();
    expect(active.check.firstMismatch).toBeNull();
    expect(active.check.lines).toBe(LINES);
    // The paused ones: told why, after an in-order prefix of the output with no gap.
    for (const p of paused) {
      expect([p.closeCode, p.closeReason]).toEqual([1013, 'output backlog over 32 MiB: client too slow; reconnect to resume']);
      expect(p.check.firstMismatch).toBeNull();
      expect(p.check.lines).toBeLessThan(LINES);
    }
    expect(after.peakMiB - before.rssMiB).toBeLessThan(MAX_GROWTH_MIB);
    // The kernel carries on, with the one client left.
    const model = await fetch(`${gw.url}/api/kernels/${kernelId}`, { headers: { Authorization: `token ${gw.token}` } });
    expect(model.status).toBe(200);
    expect(await model.json()).toMatchObject({ execution_state: 'idle', connections: 1 });
  });
});
