// The kernel state machine (issue 12, item 7): one mutator, one change event (its rules: state.test.ts),
// busy/idle from iopub, messages held while (re)starting, the gateway's own requests consumed, replies routed.
import { describe, expect, it } from '@jest/globals';
import { GatewayKernel } from '../../../../server/src/kernels/kernel.js';
import { silentLogger } from '../../../../server/src/log.js';
import { makeMessage } from '../../../../server/src/protocol/make.js';
import { parseHeader } from '../../../../server/src/protocol/wire.js';
import { waitUntil } from '../../../support/waitFor.js';
import { ANSWER_ALL, ANSWER_NOTHING, FakeChannels, FakeClient, FakeLaunched, fromKernel, PROFILES, SIZING, status, type Answer } from './fakes.js';

function kernel(): { kernel: GatewayKernel; changes: string[] } {
  const changes: string[] = [];
  const k = new GatewayKernel({
    id: 'k1',
    name: 'python3',
    profile: PROFILES.python3!,
    sizing: SIZING,
    owner: { user: 'u', tenant: 't' },
    logger: silentLogger,
    now: () => new Date('2026-01-02T03:04:05.678Z'),
    onChange: c => changes.push(`${c.state}/${c.phase}`)
  });
  return { kernel: k, changes };
}

function bind(k: GatewayKernel, answer: Answer = ANSWER_ALL): FakeChannels {
  const channels = new FakeChannels({ connection: new FakeLaunched().connection, onMessage: m => k.fromKernel(m) }, answer);
  k.bindChannels(channels);
  return channels;
}

const clientMessage = (session = 'client-session') =>
  makeMessage({ channel: 'shell', msgType: 'execute_request', content: { code: '1' }, session, username: 'u' });

describe('kernels/kernel', () => {
  describe('#update()', () => {
    it('should emit one change for a patch of several fields, and none for a no-op or a new `ready`', () => {
      const { kernel: k, changes } = kernel();
      const launched = new FakeLaunched();
      k.update({ state: 'idle', phase: 'spark-ready', launched });
      expect(changes).toEqual(['idle/spark-ready']);
      k.update({ state: 'idle', phase: 'spark-ready', launched });
      k.update({ ready: Promise.resolve() });
      expect(changes).toEqual(['idle/spark-ready']);
      expect(k.launched).toBe(launched);
    });

    it('should show the reason of a dead kernel in its model', () => {
      const { kernel: k } = kernel();
      k.update({ state: 'dead', reason: 'kernel process ended (1): boom' });
      expect(k.model()).toEqual({
        id: 'k1',
        name: 'python3',
        last_activity: '2026-01-02T03:04:05.678000Z',
        execution_state: 'dead',
        connections: 0,
        reason: 'kernel process ended (1): boom'
      });
    });
  });

  describe('#fromKernel()', () => {
    it('should follow busy and idle from iopub once the kernel is up, and relay them to clients', () => {
      const { kernel: k, changes } = kernel();
      bind(k);
      const client = new FakeClient();
      k.attach(client);
      k.fromKernel(status('busy'));
      expect(k.state).toBe('starting'); // not up yet: readiness decides when it is idle
      k.update({ state: 'idle' });
      k.fromKernel(status('busy'));
      expect(k.state).toBe('busy');
      k.fromKernel(status('idle'));
      expect(k.state).toBe('idle');
      expect(changes).toEqual(['idle/requested', 'busy/requested', 'idle/requested']);
      expect(client.states).toEqual(['busy', 'busy', 'idle']);
      expect(k.iopubReceived).toBe(3);
    });

    it("should keep its state through the busy and idle of the gateway's own requests, still relaying them", async () => {
      const { kernel: k } = kernel();
      // The kernel answers only with status messages (no reply), as when a late re-ask is answered.
      bind(k, request => [status('busy', request), status('idle', request)]);
      const client = new FakeClient();
      k.attach(client);
      k.update({ state: 'idle' });
      void k.request('shell', 'kernel_info_request', {}, 50);
      await waitUntil(() => client.states.length === 2, { timeoutMs: 1000, what: 'both statuses relayed' });
      expect([k.state, client.states]).toEqual(['idle', ['busy', 'idle']]);
      // A user's cell runs: an interrupt's idle (the gateway's request) does not end it.
      k.fromKernel(status('busy'));
      void k.request('control', 'interrupt_request', {}, 50);
      await waitUntil(() => client.states.length === 5, { timeoutMs: 1000, what: 'the interrupt statuses relayed' });
      expect(k.state).toBe('busy');
    });

    it('should not follow iopub without bound channels, nor after death', () => {
      const { kernel: k } = kernel();
      k.update({ state: 'idle' });
      k.fromKernel(status('busy'));
      expect(k.state).toBe('idle');
      bind(k);
      k.update({ state: 'dead', reason: 'gone' });
      k.fromKernel(status('busy'));
      expect(k.state).toBe('dead');
    });

    it("should route a reply to the clients of its request's session, or to everyone when none matches", () => {
      const { kernel: k } = kernel();
      const mine = new FakeClient('s1');
      const other = new FakeClient('s2');
      k.attach(mine);
      k.attach(other);
      k.fromKernel(fromKernel('shell', 'execute_reply', {}, clientMessage('s1')));
      expect([mine.types, other.types]).toEqual([['execute_reply'], []]);
      k.fromKernel(fromKernel('shell', 'execute_reply', {}, clientMessage('s3')));
      expect([mine.types, other.types]).toEqual([['execute_reply', 'execute_reply'], ['execute_reply']]);
    });

    it('should encode once per protocol', () => {
      const { kernel: k } = kernel();
      const a = new FakeClient(null, '');
      const b = new FakeClient(null, '');
      const c = new FakeClient(null, 'v1.kernel.websocket.jupyter.org');
      [a, b, c].forEach(x => k.attach(x));
      k.fromKernel(status('idle'));
      expect(a.frames[0]).toBe(b.frames[0]);
      expect(Buffer.isBuffer(c.frames[0])).toBe(true);
    });
  });

  describe('#fromClient()', () => {
    it('should hold messages while starting and send them once flushed', async () => {
      const { kernel: k } = kernel();
      const channels = bind(k, ANSWER_NOTHING);
      k.fromClient(clientMessage());
      expect(channels.sent).toEqual([]);
      k.update({ state: 'idle' });
      k.flushHeld();
      k.fromClient(clientMessage());
      await waitUntil(() => channels.sent.length === 2, { timeoutMs: 1000, what: 'both messages sent' });
      expect(channels.sentTypes).toEqual(['execute_request', 'execute_request']);
    });

    it('should drop messages to a dead kernel', () => {
      const { kernel: k } = kernel();
      const channels = bind(k, ANSWER_NOTHING);
      k.update({ state: 'dead' });
      k.fromClient(clientMessage());
      k.flushHeld();
      expect(channels.sent).toEqual([]);
    });
  });

  describe('#request()', () => {
    it("should resolve with the reply from the gateway's own session and relay it to no client", async () => {
      const { kernel: k } = kernel();
      bind(k);
      const client = new FakeClient();
      k.attach(client);
      const reply = await k.request('shell', 'kernel_info_request', {}, 5000);
      expect(reply && parseHeader(reply).msg_type).toBe('kernel_info_reply');
      // iopub is everyone's; the reply itself is the gateway's.
      expect(client.types).toEqual(['status', 'status']);
    });

    it('should resolve null without channels, and after the timeout without a reply', async () => {
      const { kernel: k } = kernel();
      expect(await k.request('shell', 'kernel_info_request', {}, 5000)).toBeNull();
      bind(k, ANSWER_NOTHING);
      expect(await k.request('shell', 'kernel_info_request', {}, 1)).toBeNull();
    });

    it('should wait for the idle after the reply with untilIdle', async () => {
      const { kernel: k } = kernel();
      let request: Parameters<Answer>[0] | undefined;
      const channels = bind(k, r => {
        request = r;
        return [fromKernel('control', 'shutdown_reply', {}, r)];
      });
      let settled = false;
      const done = k.request('control', 'shutdown_request', {}, 5000, { untilIdle: true }).then(r => {
        settled = true;
        return r;
      });
      await waitUntil(() => request, { timeoutMs: 1000, what: 'the request sent' });
      // The reply is in; the idle is not.
      await Promise.resolve();
      expect(settled).toBe(false);
      channels.receive(status('idle', request));
      expect((await done) && settled).toBe(true);
    });
  });

  describe('#broadcastStatus()', () => {
    it("should tell every client the kernel is dead, from the gateway's session", () => {
      const { kernel: k } = kernel();
      const client = new FakeClient();
      k.attach(client);
      k.broadcastStatus('dead');
      expect(client.states).toEqual(['dead']);
      expect(JSON.parse(String(client.frames[0])).header.session).toBe(k.gatewaySession);
    });
  });

  describe('#attach() / #detach() / #closeClients()', () => {
    it('should count connections, emit a change on detach, and close clients with the code given', () => {
      const { kernel: k, changes } = kernel();
      const client = new FakeClient();
      k.attach(client);
      expect(k.connections).toBe(1);
      k.detach(client);
      expect([k.connections, changes.length]).toEqual([0, 1]);
      k.attach(client);
      k.closeClients(1000, 'kernel shut down');
      expect([k.connections, client.closed]).toEqual([0, [1000, 'kernel shut down']]);
    });
  });
});
