/**
 * Issue 13: images/kernel/sparkgate_launcher.py holds iopub output while no gateway is subscribed
 * (its iopub is an XPUB socket that sees subscribers come and go) and publishes it, in order, to
 * the next subscriber; past its bound (2,000 messages / 16 MiB) the oldest are dropped and a
 * `stream` stderr message says how many. The real launcher runs in the project's .venv; the test
 * talks to it with the gateway's own ZeroMQ channels, closed (a gateway gone) mid-cell.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../../server/src/backends/local/ports.js';
import { createZmqChannels } from '../../server/src/channels/zmqChannels.js';
import type { KernelChannels } from '../../server/src/channels/types.js';
import { makeMessage } from '../../server/src/protocol/make.js';
import type { ConnectionInfo, RawMessage } from '../../server/src/protocol/messages.js';
import { signalGroup } from '../../server/src/util/processGroup.js';
import { waitUntil } from '../support/waitFor.js';
import { python, repoRoot } from './support/gateway.js';

jest.setTimeout(120_000);

interface Seen {
  channel: string;
  msgType: string;
  parent: string | undefined;
  content: Record<string, unknown>;
}

/** One subscriber (a gateway's channels) and what it received, decoded. */
class Listener {
  readonly seen: Seen[] = [];
  readonly channels: KernelChannels;
  private readonly _session = randomUUID();

  constructor(connection: ConnectionInfo) {
    this.channels = createZmqChannels({
      connection,
      onMessage: (msg: RawMessage) =>
        this.seen.push({
          channel: msg.channel,
          msgType: (JSON.parse(msg.header) as { msg_type: string }).msg_type,
          parent: (JSON.parse(msg.parentHeader) as { msg_id?: string }).msg_id,
          content: JSON.parse(msg.content) as Record<string, unknown>
        })
    });
  }

  send(msgType: string, content: Record<string, unknown>): string {
    const msg = makeMessage({ channel: 'shell', msgType, content, session: this._session, username: 'test' });
    void this.channels.send(msg);
    return (JSON.parse(msg.header) as { msg_id: string }).msg_id;
  }

  execute(code: string): string {
    return this.send('execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false });
  }

  /** stdout text of `stream` messages, in arrival order. */
  stdout(): string {
    return this.seen.filter(m => m.msgType === 'stream' && m.content.name === 'stdout').map(m => String(m.content.text)).join('');
  }
}

/** The numbers of "tick N" lines in `text`, in order. */
function ticks(text: string): number[] {
  return [...text.matchAll(/^tick (\d+)$/gm)].map(m => Number(m[1]));
}

let tmp: string;
let kernel: ChildProcess;
let connection: ConnectionInfo;
let log = '';
const listeners: Listener[] = [];

function listen(): Listener {
  const l = new Listener(connection);
  listeners.push(l);
  return l;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-iopub-hold-'));
  const [shell, iopub, stdin, control, hb] = await freePorts(5);
  connection = {
    ip: '127.0.0.1',
    transport: 'tcp',
    shell_port: shell!,
    iopub_port: iopub!,
    stdin_port: stdin!,
    control_port: control!,
    hb_port: hb!,
    key: randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256'
  };
  const file = path.join(tmp, 'connection.json');
  await writeFile(file, JSON.stringify(connection), { mode: 0o600 });
  kernel = spawn(python, [path.join(repoRoot, 'images', 'kernel', 'sparkgate_launcher.py'), '--connection-file', file], {
    env: { PATH: process.env.PATH ?? '', HOME: tmp },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true // its own group, ended in afterAll
  });
  kernel.stderr?.on('data', (d: Buffer) => (log += d.toString()));
});

afterAll(async () => {
  listeners.forEach(l => l.channels.close());
  if (kernel.pid !== undefined && kernel.exitCode === null) {
    const exited = new Promise(resolve => kernel.once('exit', resolve));
    signalGroup(kernel.pid, 'SIGKILL');
    await exited;
  }
  await rm(tmp, { recursive: true, force: true });
});

/** Asks kernel_info until a reply comes (the kernel is up and `l` is connected). */
async function awaitKernel(l: Listener): Promise<void> {
  await waitUntil(
    () => {
      if (l.seen.some(m => m.msgType === 'kernel_info_reply')) {
        return true;
      }
      l.send('kernel_info_request', {});
      return false;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: `the kernel to answer kernel_info\n${log}` }
  );
}

describe('integration/kernel launcher holds iopub output while no gateway is subscribed (issue 13)', () => {
  it('should publish the output of a cell printed while its only subscriber was gone, in order, none missing, to the next subscriber', async () => {
    const first = listen();
    await awaitKernel(first);
    const marker = path.join(tmp, 'slow-done');
    const code = `import time\nfor i in range(30):\n    print("tick", i, flush=True)\n    time.sleep(0.2)\nopen(${JSON.stringify(marker)}, "w").close()`;
    const request = first.execute(code);
    await waitUntil(() => ticks(first.stdout()).includes(3), { timeoutMs: 30_000, what: 'tick 3 on the first subscriber' });
    // The gateway goes away mid-cell (its sockets close, as when its process is killed).
    first.channels.close();
    const before = ticks(first.stdout());
    await waitUntil(() => existsSync(marker), { timeoutMs: 30_000, what: 'the cell to finish with no subscriber' });

    const second = listen();
    await waitUntil(() => second.seen.some(m => m.msgType === 'status' && m.parent === request && m.content.execution_state === 'idle'), {
      timeoutMs: 15_000,
      what: `the held output (and the cell's idle) on the next subscriber\n${log}`
    });
    const after = ticks(second.stdout());
    // Everything printed after the first subscriber left, in order, none twice, up to tick 29.
    expect([...before, ...after]).toEqual(Array.from({ length: 30 }, (_x, i) => i));
    expect(after.length).toBeGreaterThan(20);
    expect(second.seen.filter(m => m.msgType === 'stream' && m.content.name === 'stderr')).toEqual([]);
    // The kernel still answers, and the new subscriber gets live output as before.
    const live = second.execute('print("live")');
    await waitUntil(() => second.seen.some(m => m.parent === live && m.msgType === 'stream' && m.content.text === 'live\n'), {
      timeoutMs: 15_000,
      what: 'live output on the new subscriber'
    });
    second.channels.close();
  });

  it('should drop the oldest past 2,000 held messages and say how many, then publish the rest in order', async () => {
    const l = listen();
    await awaitKernel(l);
    const go = path.join(tmp, 'go');
    const done = path.join(tmp, 'burst-done');
    const LINES = 2500;
    const code =
      `import os, sys, time\nwhile not os.path.exists(${JSON.stringify(go)}):\n    time.sleep(0.05)\n` +
      // One write and one flush per line: one `stream` message each.
      `for i in range(${LINES}):\n    sys.stdout.write("tick %d\\n" % i); sys.stdout.flush()\nopen(${JSON.stringify(done)}, "w").close()`;
    const request = l.execute(code);
    await waitUntil(() => l.seen.some(m => m.msgType === 'execute_input' && m.parent === request), { timeoutMs: 15_000, what: 'the cell to start' });
    const holding = (): number => log.split('iopub: no subscriber; holding output').length - 1;
    const held = holding();
    l.channels.close();
    // The cell prints only once the kernel has seen its subscriber go.
    await waitUntil(() => holding() > held, { timeoutMs: 15_000, what: `the kernel to notice its subscriber gone\n${log}` });
    await writeFile(go, '');
    await waitUntil(() => existsSync(done), { timeoutMs: 60_000, what: 'the burst to finish with no subscriber' });

    const next = listen();
    await waitUntil(() => next.seen.some(m => m.msgType === 'status' && m.parent === request && m.content.execution_state === 'idle'), {
      timeoutMs: 30_000,
      what: `the held output on the next subscriber\n${log}`
    });
    const streams = next.seen.filter(m => m.msgType === 'stream');
    // The notice comes first, tied to the request whose output was dropped, never silent.
    const notice = streams[0]!;
    expect(notice.content.name).toBe('stderr');
    expect(notice.parent).toBe(request);
    const dropped = Number(/\[sparkgate\] (\d+) output messages of this kernel were dropped while no gateway was connected/.exec(String(notice.content.text))?.[1]);
    // 2,500 lines and the idle were held; 2,000 kept, so the oldest 501 dropped.
    expect(dropped).toBe(LINES + 1 - 2000);
    const after = ticks(streams.slice(1).map(m => String(m.content.text)).join(''));
    // The newest 1,999 lines (2,000 kept minus the final idle), contiguous, in order, up to the last.
    expect(after).toEqual(Array.from({ length: 1999 }, (_x, i) => LINES - 1999 + i));
    expect(log).toContain('output messages dropped while no gateway was subscribed');
  });
});
