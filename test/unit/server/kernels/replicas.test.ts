// Active-active replicas (issue 13, item 4) as one manager sees them, with a fake backend: kernels
// another gateway starts are adopted as they appear; one it shuts down leaves this list, one it
// culls stays dead with the reason; stops here tell the others why; cull state comes from the pod.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { DiscoveredKernel } from '../../../../server/src/backends/types.js';
import { GatewayKernelManager, type KernelWatcher } from '../../../../server/src/kernels/manager.js';
import { silentLogger } from '../../../../server/src/log.js';
import { waitUntil } from '../../../support/waitFor.js';
import { FakeBackend, FakeChannelsFactory, FakeClient, FakeLaunched, managerConfig, SIZING } from './fakes.js';

const alice = { user: 'alice', tenant: 't' };
const quiet: KernelWatcher = { update: () => undefined, remove: () => undefined, dispose: () => undefined };
const managers: GatewayKernelManager[] = [];
const ID = '55555555-5555-5555-5555-555555555555';

afterEach(async () => {
  await Promise.all(managers.splice(0).map(m => m.dispose()));
});

function setup() {
  const backend = new FakeBackend();
  backend.kernelsOutliveGateway = true;
  backend.watching = null;
  const manager = new GatewayKernelManager({ backend, channels: new FakeChannelsFactory().create, config: managerConfig(), logger: silentLogger, spark: quiet });
  managers.push(manager);
  const removed: string[] = [];
  manager.on('removed', k => removed.push(k.id));
  return { backend, manager, removed };
}

const found = (launched: FakeLaunched, id = ID): DiscoveredKernel => ({
  kernelId: id,
  owner: alice,
  profileId: 'pyspark',
  kernelName: `pyspark--${id}`,
  sizing: SIZING,
  adopt: () => launched
});
const until = (condition: () => boolean, what: string) => waitUntil(condition, { timeoutMs: 2000, what });

describe('kernels/manager with replicas', () => {
  it('should adopt a kernel another gateway starts, and stop watching once disposed', async () => {
    const { backend, manager } = setup();
    manager.watchRunning();
    expect(backend.watching?.known(ID)).toBe(false);
    backend.watching?.found(found(new FakeLaunched()));
    const [kernel] = manager.list(alice);
    expect(kernel?.id).toBe(ID);
    await until(() => kernel?.state === 'idle', 'the adopted kernel idle');
    expect(backend.watching?.known(ID)).toBe(true);
    await manager.dispose();
    expect(backend.watching).toBeNull();
  });

  it('should drop a kernel another gateway shut down, closing its clients, and keep one it culled as dead with the reason', async () => {
    const { backend, manager, removed } = setup();
    manager.watchRunning();
    const gone = new FakeLaunched();
    const culled = new FakeLaunched();
    const other = '66666666-6666-6666-6666-666666666666';
    backend.watching?.found(found(gone));
    backend.watching?.found(found(culled, other));
    const [a, b] = manager.list(alice);
    await until(() => a?.state === 'idle' && b?.state === 'idle', 'both adopted');
    const client = new FakeClient();
    a?.attach(client);
    gone.exit({ code: null, signal: null, reason: 'shut down through another gateway', byGateway: 'removed' });
    culled.exit({ code: null, signal: null, reason: 'culled after 60 min idle', byGateway: 'culled' });
    await until(() => removed.length === 1 && b?.state === 'dead', 'one removed, one dead');
    expect(removed).toEqual([ID]);
    expect(manager.list(alice).map(k => [k.id, k.state, k.reason])).toEqual([[other, 'dead', 'culled after 60 min idle']]);
    expect(client.closed).toEqual([1000, 'kernel shut down']);
    // This gateway cleans up nothing the other one stops.
    expect([gone.terminated, culled.terminated]).toEqual([[], []]);
  });

  it('should still list a kernel deleted by someone else as dead with the reason', async () => {
    const { backend, manager } = setup();
    manager.watchRunning();
    const launched = new FakeLaunched();
    backend.watching?.found(found(launched));
    const [kernel] = manager.list(alice);
    await until(() => kernel?.state === 'idle', 'adopted');
    launched.exit({ code: null, signal: null, reason: 'driver pod t/sg-5 was deleted' });
    await until(() => kernel?.state === 'dead', 'dead');
    expect(kernel?.reason).toBe('kernel process ended: driver pod t/sg-5 was deleted');
  });

  it('should tell other gateways why it stops a kernel: removed for shutdown and restart, the reason for a cull', async () => {
    const { backend, manager } = setup();
    const k1 = await manager.start({ owner: alice, env: {} });
    await manager.restart(alice, k1.id);
    await manager.shutdown(alice, k1.id);
    const k2 = await manager.start({ owner: alice, env: {} });
    await manager.cull(k2.id, 'culled after 60 min idle');
    expect(backend.launched.map(l => l.notes)).toEqual([[{ removed: true }], [{ removed: true }], [{ culled: 'culled after 60 min idle' }]]);
  });

  it('should take the activity recorded on the pod at adoption, report the newest any gateway saw (what the culler reads), and record its own', async () => {
    const { backend, manager } = setup();
    manager.watchRunning();
    const launched = new FakeLaunched();
    launched.recorded = new Date('2026-12-02T14:02:00.000Z');
    backend.watching?.found(found(launched));
    const [kernel] = manager.list(alice);
    await until(() => kernel?.state === 'idle', 'adopted');
    expect(kernel?.lastActivity).toEqual(new Date('2026-12-02T14:02:00.000Z'));
    expect(launched.noted).toEqual([]);
    launched.recorded = new Date('2026-12-02T14:30:00.000Z'); // another replica saw the user
    expect(kernel?.lastActivity).toEqual(new Date('2026-12-02T14:30:00.000Z'));
    expect(kernel?.model().last_activity).toBe('2026-12-02T14:30:00.000000Z');
    kernel?.keepAlive();
    expect(launched.noted).toHaveLength(1);
    expect(kernel?.lastActivity.getTime()).toBeGreaterThan(new Date('2026-12-02T14:30:00.000Z').getTime());
  });
});
