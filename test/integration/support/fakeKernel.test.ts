import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Dealer, Request, Subscriber } from 'zeromq';

import { makeMessage } from '../../../server/src/protocol/make.js';
import type { RawMessage } from '../../../server/src/protocol/messages.js';
import { deserializeWire, parseContent, parseHeader, serializeWire } from '../../../server/src/protocol/wire.js';
import { FakeKernel } from '../../support/fakeKernel.js';

// Talks to the fake kernel with bare zeromq sockets, independent of the gateway's channels.
describe('support/fakeKernel', () => {
  let kernel: FakeKernel;
  let shell: Dealer;
  let control: Dealer;
  let iopub: Subscriber;
  const url = (port: number): string => `tcp://127.0.0.1:${port}`;

  beforeEach(async () => {
    kernel = await FakeKernel.start({
      key: 'k',
      execute: code => (code === 'fail' ? { error: { ename: 'ValueError', evalue: 'bad' } } : { result: code.toUpperCase(), stdout: 'out\n' })
    });
    shell = new Dealer({ linger: 0, routingId: 'client' });
    shell.connect(url(kernel.connection.shell_port));
    control = new Dealer({ linger: 0, routingId: 'client' });
    control.connect(url(kernel.connection.control_port));
    iopub = new Subscriber({ linger: 0 });
    iopub.subscribe();
    iopub.connect(url(kernel.connection.iopub_port));
    await kernel.whenSubscribed();
  });

  afterEach(async () => {
    for (const socket of [shell, control, iopub]) {
      socket.close();
    }
    await kernel.close();
  });

  const request = (channel: 'shell' | 'control', msgType: string, content: Record<string, unknown> = {}): RawMessage =>
    makeMessage({ channel, msgType, content, session: 's', username: 'u' });
  const receive = async (socket: Dealer | Subscriber, channel: 'shell' | 'control' | 'iopub'): Promise<RawMessage> =>
    deserializeWire(await socket.receive(), 'k', channel);
  /** iopub messages up to and including the idle status. */
  const iopubUntilIdle = async (): Promise<string[]> => {
    const seen: string[] = [];
    for (;;) {
      const msg = await receive(iopub, 'iopub');
      const type = parseHeader(msg).msg_type;
      seen.push(type === 'status' ? `status:${String(parseContent(msg)['execution_state'])}` : type);
      if (seen.at(-1) === 'status:idle') {
        return seen;
      }
    }
  };

  it('should expose loopback connection info with distinct ephemeral ports', () => {
    const { ip, shell_port, control_port, stdin_port, iopub_port, hb_port } = kernel.connection;
    expect(ip).toBe('127.0.0.1');
    expect(new Set([shell_port, control_port, stdin_port, iopub_port, hb_port]).size).toBe(5);
  });

  it('should answer kernel_info_request with busy/idle around the reply', async () => {
    const info = request('shell', 'kernel_info_request');
    await shell.send(serializeWire(info, 'k'));
    const reply = await receive(shell, 'shell');
    expect(parseHeader(reply).msg_type).toBe('kernel_info_reply');
    expect(reply.parentHeader).toBe(info.header);
    expect(await iopubUntilIdle()).toEqual(['status:busy', 'status:idle']);
  });

  it('should run execute_request through the configured function', async () => {
    await shell.send(serializeWire(request('shell', 'execute_request', { code: 'abc' }), 'k'));
    const reply = await receive(shell, 'shell');
    expect(parseContent(reply)).toEqual({ status: 'ok', execution_count: 1, user_expressions: {} });
    expect(await iopubUntilIdle()).toEqual(['status:busy', 'execute_input', 'stream', 'execute_result', 'status:idle']);
  });

  it('should report errors from the configured function', async () => {
    await shell.send(serializeWire(request('shell', 'execute_request', { code: 'fail' }), 'k'));
    expect(parseContent(await receive(shell, 'shell'))).toMatchObject({ status: 'error', ename: 'ValueError' });
    expect(await iopubUntilIdle()).toEqual(['status:busy', 'execute_input', 'error', 'status:idle']);
  });

  it('should answer shutdown_request on control', async () => {
    await control.send(serializeWire(request('control', 'shutdown_request', { restart: true }), 'k'));
    expect(parseContent(await receive(control, 'control'))).toEqual({ status: 'ok', restart: true });
  });

  it('should record badly signed requests as invalid without answering', async () => {
    await shell.send(serializeWire(request('shell', 'kernel_info_request'), 'wrong'));
    await shell.send(serializeWire(request('shell', 'comm_info_request'), 'k'));
    await kernel.waitForRequest('comm_info_request');
    expect(kernel.invalid).toEqual(['kernel message on shell: invalid signature']);
    expect(kernel.requests.map(r => parseHeader(r).msg_type)).toEqual(['comm_info_request']);
  });

  it('should echo heartbeats', async () => {
    const hb = new Request({ linger: 0 });
    try {
      hb.connect(url(kernel.connection.hb_port));
      await hb.send('ping');
      expect((await hb.receive()).map(f => f.toString())).toEqual(['ping']);
    } finally {
      hb.close();
    }
  });

  it('should close idempotently', async () => {
    await kernel.close();
    await kernel.close();
  });
});
