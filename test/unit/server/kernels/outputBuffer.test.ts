// Issue 13: iopub output a kernel publishes while no websocket client is attached (a re-adopted
// kernel before its notebooks reconnect) is kept, bounded, for the first client that attaches.
import { describe, expect, it } from '@jest/globals';
import { GatewayKernel } from '../../../../server/src/kernels/kernel.js';
import { droppedNotice, messageBytes, OUTPUT_BUFFER_MAX_BYTES, OUTPUT_BUFFER_MAX_MESSAGES, OutputBuffer } from '../../../../server/src/kernels/outputBuffer.js';
import { silentLogger } from '../../../../server/src/log.js';
import type { RawMessage } from '../../../../server/src/protocol/messages.js';
import { FakeClient, fromKernel, PROFILES, SIZING, status } from './fakes.js';

const execute = fromKernel('shell', 'execute_request', { code: 'print(1)' });
const line = (i: number, parent: RawMessage = execute): RawMessage => fromKernel('iopub', 'stream', { name: 'stdout', text: `tick ${i}\n` }, parent);
const text = (m: RawMessage): string => String((JSON.parse(m.content) as { text: string }).text);

describe('kernels/outputBuffer', () => {
  it('should keep messages in order and hand them out once, then be empty', () => {
    const b = new OutputBuffer();
    for (let i = 0; i < 5; i++) {
      b.push(line(i));
    }
    expect(b.size).toBe(5);
    const out = b.take();
    expect(out.messages.map(text)).toEqual(['tick 0\n', 'tick 1\n', 'tick 2\n', 'tick 3\n', 'tick 4\n']);
    expect([out.dropped, out.droppedParent]).toEqual([0, null]);
    expect([b.size, b.bytes, b.dropped]).toEqual([0, 0, 0]);
    expect(b.take().messages).toEqual([]);
  });

  it('should drop the oldest past the message bound and count them, with the newest dropped one\'s parent', () => {
    const b = new OutputBuffer({ maxMessages: 3 });
    const other = fromKernel('shell', 'execute_request', { code: '2' });
    b.push(line(0));
    b.push(line(1, other));
    for (let i = 2; i < 6; i++) {
      b.push(line(i));
    }
    const out = b.take();
    expect(out.messages.map(text)).toEqual(['tick 3\n', 'tick 4\n', 'tick 5\n']);
    expect(out.dropped).toBe(3);
    expect(out.droppedParent).toBe(execute.header);
  });

  it('should drop the oldest past the byte bound, including one message bigger than the bound', () => {
    const one = messageBytes(line(0));
    const b = new OutputBuffer({ maxBytes: one * 2 });
    for (let i = 0; i < 4; i++) {
      b.push(line(i));
    }
    expect([b.size, b.dropped, b.bytes]).toEqual([2, 2, one * 2]);
    const huge = { ...line(9), buffers: [Buffer.alloc(one * 3)] };
    b.push(huge);
    expect([b.size, b.dropped, b.bytes]).toEqual([0, 5, 0]);
  });

  it('should stay bounded and in order over many pushes (the FIFO compacts)', () => {
    const b = new OutputBuffer({ maxMessages: 10 });
    for (let i = 0; i < 5000; i++) {
      b.push(line(i));
    }
    const out = b.take();
    expect(out.messages.map(text)).toEqual(Array.from({ length: 10 }, (_x, i) => `tick ${4990 + i}\n`));
    expect(out.dropped).toBe(4990);
  });

  it('should bound at 2,000 messages and 4 MiB by default', () => {
    expect([OUTPUT_BUFFER_MAX_MESSAGES, OUTPUT_BUFFER_MAX_BYTES]).toEqual([2000, 4 * 1024 * 1024]);
  });

  it('should say how many were dropped in a stderr stream message under the dropped output\'s request', () => {
    const notice = droppedNotice(7, execute.header, 'gw-session', { maxMessages: 2000, maxBytes: 4 * 1024 * 1024 });
    expect(notice.channel).toBe('iopub');
    expect(JSON.parse(notice.header)).toMatchObject({ msg_type: 'stream', session: 'gw-session' });
    expect(notice.parentHeader).toBe(execute.header);
    expect(JSON.parse(notice.content)).toEqual({
      name: 'stderr',
      text:
        '[sparkgate] 7 output messages were dropped while no client was connected to this kernel ' +
        '(the gateway keeps at most 2000 messages / 4 MiB); the output that follows is the most recent.\n'
    });
    expect(droppedNotice(1, null, 's', { maxMessages: 1, maxBytes: 1024 * 1024 }).parentHeader).toBe('{}');
  });
});

describe('kernels/kernel: output while no client is attached', () => {
  const kernel = (): GatewayKernel =>
    new GatewayKernel({ id: 'k1', name: 'python3', profile: PROFILES.python3!, sizing: SIZING, owner: { user: 'u', tenant: 't' }, logger: silentLogger });
  const texts = (c: FakeClient): string[] =>
    c.frames.map(f => JSON.parse(String(f)) as { header: { msg_type: string }; content: { text?: string; execution_state?: string } }).map(m => m.content.text ?? `${m.header.msg_type}:${m.content.execution_state}`);

  it('should deliver it to the first client that attaches, in order, before live output, and to it only', () => {
    const k = kernel();
    k.update({ state: 'idle' });
    k.fromKernel(status('starting'));
    k.fromKernel(status('busy', execute));
    k.fromKernel(line(0));
    k.fromKernel(line(1));
    k.fromKernel(status('idle', execute));
    const first = new FakeClient('a');
    k.attach(first);
    k.fromKernel(line(2));
    const second = new FakeClient('b');
    k.attach(second);
    k.fromKernel(line(3));
    // A boot's `starting` is stale by then: not kept.
    expect(texts(first)).toEqual(['status:busy', 'tick 0\n', 'tick 1\n', 'status:idle', 'tick 2\n', 'tick 3\n']);
    expect(texts(second)).toEqual(['tick 3\n']);
  });

  it('should keep the gateway\'s own busy/idle out of it', () => {
    const k = kernel();
    k.update({ state: 'idle' });
    const own = fromKernel('shell', 'kernel_info_request', {});
    const ownHeader = JSON.parse(own.header) as Record<string, unknown>;
    k.fromKernel({ ...status('busy'), parentHeader: JSON.stringify({ ...ownHeader, session: k.gatewaySession }) });
    k.fromKernel(line(0));
    const c = new FakeClient('a');
    k.attach(c);
    expect(texts(c)).toEqual(['tick 0\n']);
  });

  it('should open with the drop notice when more came than it keeps', () => {
    const k = kernel();
    k.update({ state: 'busy' });
    for (let i = 0; i < OUTPUT_BUFFER_MAX_MESSAGES + 5; i++) {
      k.fromKernel(line(i));
    }
    const c = new FakeClient('a');
    k.attach(c);
    const got = texts(c);
    expect(got).toHaveLength(OUTPUT_BUFFER_MAX_MESSAGES + 1);
    expect(got[0]).toMatch(/^\[sparkgate\] 5 output messages were dropped while no client was connected/);
    expect(got[1]).toBe('tick 5\n');
    expect(got.at(-1)).toBe(`tick ${OUTPUT_BUFFER_MAX_MESSAGES + 4}\n`);
    expect((JSON.parse(String(c.frames[0])) as { parent_header: unknown }).parent_header).toEqual(JSON.parse(execute.header));
  });
});
