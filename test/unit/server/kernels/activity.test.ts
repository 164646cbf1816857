// What counts as a kernel's activity, for idle culling (issue 13, item 1): what users do, never the
// gateway's own kernel_info nudges, readiness asks or shutdown requests and their busy/idle.
import { describe, expect, it } from '@jest/globals';
import { GatewayKernel } from '../../../../server/src/kernels/kernel.js';
import { silentLogger } from '../../../../server/src/log.js';
import { makeMessage } from '../../../../server/src/protocol/make.js';
import { ANSWER_ALL, FakeChannels, FakeClient, FakeLaunched, fromKernel, PROFILES, SIZING, status } from './fakes.js';

const T0 = Date.parse('2026-01-02T14:02:00.000Z');

function setup() {
  let now = T0;
  const changes: (string | null)[] = [];
  const kernel = new GatewayKernel({
    id: 'k1',
    name: 'python3',
    profile: PROFILES.python3!,
    sizing: SIZING,
    owner: { user: 'u', tenant: 't' },
    logger: silentLogger,
    now: () => new Date(now),
    onChange: k => changes.push(k.cullNotice?.at.toISOString() ?? null)
  });
  // Like ipykernel: busy, the reply, idle for every request, each with the request as parent.
  const channels = new FakeChannels({ connection: new FakeLaunched().connection, onMessage: m => kernel.fromKernel(m) }, ANSWER_ALL);
  kernel.bindChannels(channels);
  kernel.update({ state: 'idle' });
  changes.splice(0);
  return { kernel, channels, changes, later: (ms: number) => (now = T0 + ms) };
}

const clientRequest = (session = 'client-session') =>
  makeMessage({ channel: 'shell', msgType: 'execute_request', content: { code: '1' }, session, username: 'u' });

describe('kernels/kernel activity', () => {
  it("should not count the gateway's own requests, their replies or their busy/idle", async () => {
    const { kernel, later } = setup();
    later(60_000);
    expect(await kernel.request('shell', 'kernel_info_request', {}, 1000, { untilIdle: true })).not.toBeNull();
    expect(await kernel.request('control', 'interrupt_request', {}, 1000)).not.toBeNull();
    expect(kernel.lastActivity).toEqual(new Date(T0));
    expect(kernel.model().last_activity).toBe('2026-01-02T14:02:00.000000Z');
  });

  it('should not count what a booting kernel says unasked', () => {
    const { kernel, later } = setup();
    kernel.update({ state: 'starting' });
    later(1000);
    kernel.fromKernel(status('starting'));
    kernel.fromKernel(fromKernel('iopub', 'iopub_welcome', { subscription: '' }));
    expect(kernel.lastActivity).toEqual(new Date(T0));
  });

  it('should not count a websocket connecting by itself, but what its client then sends', () => {
    const { kernel, later } = setup();
    later(1000);
    kernel.attach(new FakeClient('client-session'));
    expect(kernel.lastActivity).toEqual(new Date(T0));
    later(2000);
    kernel.fromClient(clientRequest());
    expect(kernel.lastActivity).toEqual(new Date(T0 + 2000));
  });

  it("should count a client's request's output, reply and busy/idle", () => {
    const { kernel, later } = setup();
    const request = clientRequest();
    later(1000);
    kernel.fromKernel(status('busy', request));
    expect(kernel.lastActivity).toEqual(new Date(T0 + 1000));
    later(2000);
    kernel.fromKernel(fromKernel('iopub', 'stream', { name: 'stdout', text: 'hi' }, request));
    expect(kernel.lastActivity).toEqual(new Date(T0 + 2000));
    later(3000);
    kernel.fromKernel(fromKernel('shell', 'execute_reply', { status: 'ok' }, request));
    expect(kernel.lastActivity).toEqual(new Date(T0 + 3000));
    later(4000);
    // Output without a parent (a thread of the user's code) is the user's too.
    kernel.fromKernel(fromKernel('iopub', 'stream', { name: 'stdout', text: 'tick' }));
    expect(kernel.lastActivity).toEqual(new Date(T0 + 4000));
  });

  it('should withdraw a cull notice on activity and on keepAlive, with one change each', () => {
    const { kernel, changes, later } = setup();
    const notice = { at: new Date(T0 + 300_000), idleSince: new Date(T0) };
    kernel.announceCull(notice);
    kernel.announceCull(notice);
    expect(changes).toEqual(['2026-01-02T14:07:00.000Z']);
    kernel.fromClient(clientRequest());
    expect(kernel.cullNotice).toBeNull();
    expect(changes).toEqual(['2026-01-02T14:07:00.000Z', null]);
    kernel.announceCull(notice);
    later(5000);
    kernel.keepAlive();
    expect([kernel.cullNotice, kernel.lastActivity]).toEqual([null, new Date(T0 + 5000)]);
    // Activity with no notice out emits nothing.
    const before = changes.length;
    kernel.fromKernel(fromKernel('iopub', 'stream', { name: 'stdout', text: 'x' }, clientRequest()));
    expect(changes).toHaveLength(before);
  });
});
