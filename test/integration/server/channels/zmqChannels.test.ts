import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { ChannelsClosedError, QueueFullError } from '../../../../server/src/channels/errors.js';
import type { KernelChannels, KernelChannelsOptions } from '../../../../server/src/channels/types.js';
import { createZmqChannels } from '../../../../server/src/channels/zmqChannels.js';
import { InvalidMessageError } from '../../../../server/src/protocol/errors.js';
import { makeMessage } from '../../../../server/src/protocol/make.js';
import type { Channel, RawMessage } from '../../../../server/src/protocol/messages.js';
import { parseContent, parseHeader, parseParentHeader } from '../../../../server/src/protocol/wire.js';
import { FakeKernel } from '../../../support/fakeKernel.js';

/** Collects what the channels deliver and lets tests await it (no sleeps). */
class Inbox {
  readonly messages: RawMessage[] = [];
  readonly invalid: string[] = [];
  private readonly _listeners = new Set<() => void>();

  readonly options = (): Pick<KernelChannelsOptions, 'onMessage' | 'onInvalid'> => ({
    onMessage: msg => this._add(() => this.messages.push(msg)),
    onInvalid: reason => this._add(() => this.invalid.push(reason))
  });

  /** Resolves with the first message (already or later) matching `test`. */
  waitFor(test: (msg: RawMessage) => boolean): Promise<RawMessage> {
    return this._until(() => this.messages.find(test));
  }

  waitForInvalid(count: number): Promise<string[]> {
    return this._until(() => (this.invalid.length >= count ? this.invalid : undefined));
  }

  private _add(push: () => void): void {
    push();
    for (const listener of [...this._listeners]) {
      listener();
    }
  }

  private _until<T>(probe: () => T | undefined): Promise<T> {
    return new Promise(resolve => {
      const check = (): void => {
        const found = probe();
        if (found !== undefined) {
          this._listeners.delete(check);
          resolve(found);
        }
      };
      this._listeners.add(check);
      check();
    });
  }
}

const SESSION = 'client-session';
const request = (channel: Channel, msgType: string, content: Record<string, unknown> = {}): RawMessage =>
  makeMessage({ channel, msgType, content, session: SESSION, username: 'alice' });
const msgId = (msg: RawMessage): string => parseHeader(msg).msg_id;
const isChildOf = (parent: RawMessage, channel: Channel, msgType: string) => (msg: RawMessage) =>
  msg.channel === channel && parseHeader(msg).msg_type === msgType && parseParentHeader(msg)?.msg_id === msgId(parent);

describe('channels/zmqChannels', () => {
  let kernel: FakeKernel;
  let inbox: Inbox;
  let channels: KernelChannels;

  beforeEach(async () => {
    kernel = await FakeKernel.start();
    inbox = new Inbox();
    channels = createZmqChannels({ connection: kernel.connection, ...inbox.options() });
  });

  afterEach(async () => {
    channels.close();
    await kernel.close();
  });

  it('should round-trip kernel_info on shell with busy/idle on iopub once subscribed', async () => {
    // Slow joiner: iopub published before the subscription arrives is lost, so wait for it.
    await kernel.whenSubscribed();
    const info = request('shell', 'kernel_info_request');
    await channels.send(info);
    const reply = await inbox.waitFor(isChildOf(info, 'shell', 'kernel_info_reply'));
    expect(parseContent(reply)).toMatchObject({ status: 'ok', protocol_version: '5.4' });
    const idle = await inbox.waitFor(m => isChildOf(info, 'iopub', 'status')(m) && parseContent(m)['execution_state'] === 'idle');
    const states = inbox.messages.filter(isChildOf(info, 'iopub', 'status')).map(m => parseContent(m)['execution_state']);
    expect(states).toEqual(['busy', 'idle']);
    expect(idle.channel).toBe('iopub');
  });

  it('should keep the JSON text the kernel sent', async () => {
    await kernel.whenSubscribed();
    await kernel.sendStream('hello\n');
    const stream = await inbox.waitFor(m => parseHeader(m).msg_type === 'stream');
    expect(stream.content).toBe('{"name":"stdout","text":"hello\\n"}');
  });

  it('should send on control', async () => {
    const interrupt = request('control', 'interrupt_request');
    await channels.send(interrupt);
    const received = await kernel.waitForRequest('interrupt_request');
    expect(received.channel).toBe('control');
    await inbox.waitFor(isChildOf(interrupt, 'control', 'interrupt_reply'));
  });

  it('should receive input_request on stdin for an execute_request sent on shell (shared routing id)', async () => {
    const execute = request('shell', 'execute_request', { code: 'input()' });
    await channels.send(execute);
    const onKernel = await kernel.waitForRequest('execute_request');
    const answered = kernel.requestInput(onKernel, 'name? ');
    const prompt = await inbox.waitFor(m => m.channel === 'stdin' && parseHeader(m).msg_type === 'input_request');
    await channels.send(makeMessage({ channel: 'stdin', msgType: 'input_reply', content: { value: 'bob' }, session: SESSION, username: 'alice', parentHeader: prompt.header }));
    expect(parseContent(await answered)).toEqual({ value: 'bob' });
  });

  it('should drop a badly signed iopub message and report it', async () => {
    await kernel.whenSubscribed();
    await kernel.sendBadlySigned();
    await kernel.sendStatus('idle');
    await inbox.waitFor(m => parseHeader(m).msg_type === 'status');
    expect(inbox.invalid).toEqual(['kernel message on iopub: invalid signature']);
    expect(inbox.messages).toHaveLength(1);
  });

  it('should drop a badly signed shell reply and report it', async () => {
    const comm = request('shell', 'comm_info_request');
    await channels.send(comm);
    const onKernel = await kernel.waitForRequest('comm_info_request');
    await kernel.sendBadlySigned(onKernel);
    await kernel.reply(onKernel, 'comm_info_reply', { status: 'ok', comms: {} });
    await inbox.waitFor(isChildOf(comm, 'shell', 'comm_info_reply'));
    expect(inbox.invalid).toEqual(['kernel message on shell: invalid signature']);
    expect(inbox.messages.filter(m => m.channel === 'shell')).toHaveLength(1);
  });

  it('should report frames without the delimiter', async () => {
    await kernel.whenSubscribed();
    await kernel.publishFrames([Buffer.from('garbage')]);
    expect(await inbox.waitForInvalid(1)).toEqual(['kernel message on iopub: no <IDS|MSG> delimiter among 1 frames']);
  });

  it('should refuse to send on iopub', async () => {
    await expect(channels.send(request('iopub', 'status'))).rejects.toBeInstanceOf(InvalidMessageError);
  });

  it('should reject sends past the queue bound with QueueFullError', async () => {
    const bounded = createZmqChannels({ connection: kernel.connection, onMessage: () => undefined, maxQueue: 2 });
    try {
      // Synchronous burst: one send in flight, two waiting, the fourth over the bound.
      const sends = [1, 2, 3, 4].map(() => bounded.send(request('shell', 'comm_info_request')));
      await expect(sends[3]).rejects.toBeInstanceOf(QueueFullError);
      await Promise.all(sends.slice(0, 3));
      await kernel.waitForRequest(() => kernel.requests.length === 3);
    } finally {
      bounded.close();
    }
  });

  it('should reject sends after close and close idempotently', async () => {
    channels.close();
    channels.close();
    expect(channels.isClosed).toBe(true);
    await expect(channels.send(request('shell', 'kernel_info_request'))).rejects.toBeInstanceOf(ChannelsClosedError);
  });

  it('should close when its signal aborts', () => {
    const abort = new AbortController();
    const owned = createZmqChannels({ connection: kernel.connection, onMessage: () => undefined, signal: abort.signal });
    abort.abort();
    expect(owned.isClosed).toBe(true);
  });
});
