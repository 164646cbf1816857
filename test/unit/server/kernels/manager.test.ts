// The kernel manager's lifecycle with a fake backend and fake channels, no processes (issue 12,
// item 7): start, ready, busy/idle, interrupt, restart, death, re-adoption, limits.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { DiscoveredKernel } from '../../../../server/src/backends/types.js';
import { ConflictError, KernelLaunchError, LimitExceededError, NotFoundError } from '../../../../server/src/errors.js';
import { GatewayKernelManager, type KernelWatcher } from '../../../../server/src/kernels/manager.js';
import type { Kernel } from '../../../../server/src/kernels/types.js';
import { silentLogger } from '../../../../server/src/log.js';
import { SparkMonitor } from '../../../../server/src/spark/monitor.js';
import { waitUntil } from '../../../support/waitFor.js';
import {
  ANSWER_NOTHING,
  FakeBackend,
  FakeChannelsFactory,
  FakeClient,
  FakeLaunched,
  managerConfig,
  SIZING,
  status
} from './fakes.js';

const alice = { user: 'alice', tenant: 't' };
const bob = { user: 'bob', tenant: 't' };
const quiet: KernelWatcher = { update: () => undefined, remove: () => undefined, dispose: () => undefined };
const managers: GatewayKernelManager[] = [];

// Kernels a test left starting would keep their start timers and readiness polls going.
afterEach(async () => {
  await Promise.all(managers.splice(0).map(m => m.dispose()));
});

function setup(options: { config?: ReturnType<typeof managerConfig>; spark?: KernelWatcher } = {}) {
  const backend = new FakeBackend();
  const channels = new FakeChannelsFactory();
  let n = 0;
  const manager = new GatewayKernelManager({
    backend,
    channels: channels.create,
    config: options.config ?? managerConfig(),
    logger: silentLogger,
    newId: () => `00000000-0000-0000-0000-00000000000${++n}`,
    spark: options.spark ?? quiet
  });
  managers.push(manager);
  const changes: string[] = [];
  const removed: string[] = [];
  manager.on('changed', k => changes.push(`${k.state}/${k.phase}`));
  manager.on('removed', k => removed.push(k.id));
  return { backend, channels, manager, changes, removed };
}

describe('kernels/manager', () => {
  describe('#start()', () => {
    it('should launch, bind channels and resolve once kernel_info is answered and iopub is live', async () => {
      const { backend, channels, manager, changes } = setup();
      const kernel = await manager.start({ owner: alice, env: { KERNEL_X: '1' } });
      expect([kernel.state, kernel.phase, kernel.name]).toEqual(['idle', 'spark-ready', 'python3']);
      expect(backend.launches[0]).toMatchObject({ kernelId: kernel.id, kernelName: 'python3', env: { KERNEL_X: '1' }, profile: { id: 'python3' } });
      expect(channels.last.sentTypes).toEqual(['kernel_info_request']);
      expect(changes).toEqual(['starting/requested', 'starting/starting', 'starting/starting', 'idle/spark-ready']);
      expect(manager.list(alice)).toEqual([kernel]);
    });

    it('should stop at kernel-ready for a Spark profile (the Spark monitor takes it further)', async () => {
      const { manager } = setup();
      const kernel = await manager.start({ owner: alice, name: 'pyspark', env: {} });
      expect([kernel.state, kernel.phase]).toEqual(['idle', 'kernel-ready']);
    });

    it('should leave no record when the kernel exits during start', async () => {
      const { backend, channels, manager, removed } = setup();
      channels.answer = ANSWER_NOTHING;
      backend.launchWith = async () => {
        const launched = new FakeLaunched();
        queueMicrotask(() => launched.exit({ code: 1, signal: null, reason: 'ImportError' }));
        return launched;
      };
      await expect(manager.start({ owner: alice, env: {} })).rejects.toThrow(new KernelLaunchError('kernel exited during start (code 1): ImportError'));
      expect(manager.list(alice)).toEqual([]);
      expect(removed).toHaveLength(1);
      expect(backend.launched[0]?.terminated).toEqual([0]);
    });

    it('should refuse a profile the tenant lacks', () => {
      const { manager } = setup();
      expect(() => manager.profileFor(alice, 'nope')).toThrow(NotFoundError);
      return expect(manager.start({ owner: alice, name: 'nope', env: {} })).rejects.toThrow("kernel spec 'nope' does not exist; available: python3, pyspark");
    });
  });

  describe('#launch()', () => {
    it('should list the cluster at once under `<profile>--<id>`, and a start naming it return the same kernel', async () => {
      const { manager } = setup();
      const kernel = manager.launch({ owner: alice, name: 'pyspark', env: {}, sizing: SIZING });
      expect([kernel.name, kernel.state]).toEqual([`pyspark--${kernel.id}`, 'starting']);
      expect(manager.list(alice)).toEqual([kernel]);
      expect(await manager.start({ owner: alice, name: kernel.name, env: {} })).toBe(kernel);
      // Someone else's cluster name (a shared notebook) starts the plain profile afresh.
      const theirs = await manager.start({ owner: bob, name: kernel.name, env: {} });
      expect([theirs.name, theirs.id === kernel.id]).toEqual(['pyspark', false]);
    });

    it('should keep a failed launch listed as dead with the reason', async () => {
      const { backend, manager } = setup();
      backend.launchWith = async () => {
        throw new Error('ErrImagePull');
      };
      const kernel = manager.launch({ owner: alice, name: 'pyspark', env: {}, sizing: SIZING });
      await waitUntil(() => kernel.state === 'dead', { timeoutMs: 2000, what: 'the launch to fail' });
      expect([kernel.reason, manager.list(alice)]).toEqual(['ErrImagePull', [kernel]]);
    });
  });

  describe('busy and idle', () => {
    it('should follow the kernel’s iopub status and tell every listener', async () => {
      const { channels, manager, changes } = setup();
      const kernel = await manager.start({ owner: alice, env: {} });
      changes.length = 0;
      channels.last.receive(status('busy'));
      expect(kernel.state).toBe('busy');
      channels.last.receive(status('idle'));
      expect([kernel.state, changes]).toEqual(['idle', ['busy/spark-ready', 'idle/spark-ready']]);
    });
  });

  describe('#interrupt()', () => {
    it('should signal a local kernel', async () => {
      const { backend, manager } = setup();
      const kernel = await manager.start({ owner: alice, env: {} });
      await manager.interrupt(alice, kernel.id);
      expect(backend.launched[0]?.interrupts).toBe(1);
    });

    it('should send interrupt_request on control to a pod', async () => {
      const { backend, channels, manager } = setup();
      backend.launchWith = async () => new FakeLaunched({ interruptMode: 'message' });
      const kernel = await manager.start({ owner: alice, env: {} });
      await manager.interrupt(alice, kernel.id);
      expect(channels.last.sentTypes).toEqual(['kernel_info_request', 'interrupt_request']);
      expect(channels.last.sent[1]?.channel).toBe('control');
      expect(backend.launched[0]?.interrupts).toBe(0);
    });

    it('should refuse while the kernel starts, and for another user', async () => {
      const { channels, manager } = setup();
      channels.answer = ANSWER_NOTHING;
      const kernel = manager.launch({ owner: alice, env: {}, sizing: SIZING });
      await expect(manager.interrupt(alice, kernel.id)).rejects.toThrow(ConflictError);
      await expect(manager.interrupt(bob, kernel.id)).rejects.toThrow(NotFoundError);
    });
  });

  describe('#restart()', () => {
    it('should stop the old process politely and bring a fresh one up under the same id', async () => {
      const { backend, channels, manager, changes } = setup();
      const kernel = await manager.start({ owner: alice, env: {} });
      const first = channels.last;
      changes.length = 0;
      expect(await manager.restart(alice, kernel.id)).toBe(kernel);
      expect(first.sentTypes).toEqual(['kernel_info_request', 'shutdown_request']);
      expect([first.isClosed, backend.launched[0]?.terminated]).toEqual([true, [100]]);
      expect([backend.launched.length, channels.made.length, kernel.state]).toEqual([2, 2, 'idle']);
      expect(changes[0]).toBe('restarting/requested');
      expect(changes.at(-1)).toBe('idle/spark-ready');
    });

    it('should refuse a second restart while one runs', async () => {
      const { manager } = setup();
      const kernel = await manager.start({ owner: alice, env: {} });
      const restarting = manager.restart(alice, kernel.id);
      await expect(manager.restart(alice, kernel.id)).rejects.toThrow(new ConflictError(`kernel ${kernel.id} is already restarting`));
      await restarting;
    });

    it('should leave the kernel dead, and tell its clients, when the restart fails', async () => {
      const { backend, manager } = setup();
      const kernel = await manager.start({ owner: alice, env: {} });
      const client = new FakeClient();
      kernel.attach(client);
      backend.launchWith = async () => {
        throw new Error('no capacity');
      };
      await expect(manager.restart(alice, kernel.id)).rejects.toThrow('no capacity');
      expect([kernel.state, kernel.reason, client.states.at(-1)]).toEqual(['dead', 'no capacity', 'dead']);
    });
  });

  describe('death', () => {
    it('should mark a kernel that exits while running dead, tell its clients, clean up and keep it listed', async () => {
      const { backend, manager } = setup();
      const kernel = await manager.start({ owner: alice, env: {} });
      const client = new FakeClient();
      kernel.attach(client);
      const launched = backend.launched[0]!;
      launched.exit({ code: 137, signal: null, reason: 'line 1\nline 2\nline 3\nKilled' });
      await waitUntil(() => kernel.state === 'dead', { timeoutMs: 2000, what: 'the kernel dead' });
      expect(kernel.reason).toBe('kernel process ended (137): line 2 line 3 Killed');
      expect([kernel.launched, client.states.at(-1), manager.list(alice)]).toEqual([null, 'dead', [kernel]]);
      await waitUntil(() => launched.terminated.length === 1, { timeoutMs: 2000, what: 'the cleanup' });
      expect(launched.terminated).toEqual([0]);
    });

    it('should not call an exit after a shutdown a death', async () => {
      const { manager, removed } = setup();
      const kernel = await manager.start({ owner: alice, env: {} });
      const client = new FakeClient();
      kernel.attach(client);
      await manager.shutdown(alice, kernel.id);
      expect([kernel.state, removed, client.closed, client.states]).toEqual(['terminating', [kernel.id], [1000, 'kernel shut down'], ['busy', 'idle']]);
      await expect(manager.shutdown(alice, kernel.id)).rejects.toThrow(NotFoundError);
    });
  });

  describe('#cull()', () => {
    it('should stop the kernel, tell and close its clients with the reason, and keep it listed as dead (issue 13)', async () => {
      const { backend, manager, removed } = setup();
      const kernel = await manager.start({ owner: alice, env: {} });
      const client = new FakeClient('s');
      kernel.attach(client);
      manager.announceCull(kernel.id, { at: new Date(), idleSince: kernel.lastActivity });
      expect(kernel.cullNotice).not.toBeNull();
      await manager.cull(kernel.id, 'culled after 60 min idle');
      expect([kernel.state, kernel.reason, kernel.launched, kernel.cullNotice]).toEqual(['dead', 'culled after 60 min idle', null, null]);
      expect(backend.launched[0]?.terminated).toHaveLength(1);
      expect(client.states.at(-1)).toBe('dead');
      expect(client.closed).toEqual([1000, 'culled after 60 min idle']);
      expect(manager.list(alice).map(k => k.id)).toEqual([kernel.id]);
      expect(removed).toEqual([]);
      // Not running any more: a second cull does nothing; the owner may restart it.
      await manager.cull(kernel.id, 'again');
      expect(kernel.reason).toBe('culled after 60 min idle');
      await manager.restart(alice, kernel.id);
      expect(kernel.state).toBe('idle');
    });
  });

  describe('#adoptRunning()', () => {
    const found = (id: string, adopt: () => FakeLaunched, profileId = 'pyspark'): DiscoveredKernel => ({
      kernelId: id,
      owner: alice,
      profileId,
      kernelName: `${profileId}--${id}`,
      sizing: SIZING,
      adopt
    });

    it('should take over discovered kernels and leave unknown profiles alone', async () => {
      const { backend, manager } = setup();
      const launched = new FakeLaunched({ sparkUi: '10.0.0.1:4040' });
      backend.discovered = [found('11111111-1111-1111-1111-111111111111', () => launched), found('22222222-2222-2222-2222-222222222222', () => launched, 'gone')];
      expect(await manager.adoptRunning()).toBe(1);
      const [kernel] = manager.list(alice) as Kernel[];
      expect([kernel?.id, kernel?.name, kernel?.state]).toEqual(['11111111-1111-1111-1111-111111111111', 'pyspark--11111111-1111-1111-1111-111111111111', 'starting']);
      await waitUntil(() => kernel?.state === 'idle', { timeoutMs: 2000, what: 'the adopted kernel idle' });
      expect(kernel?.launched?.sparkUi).toBe('10.0.0.1:4040');
      expect(await manager.adoptRunning()).toBe(0); // already known
    });

    it('should list a kernel that does not answer after adoption as dead, with the reason', async () => {
      const { backend, channels, manager } = setup();
      channels.answer = ANSWER_NOTHING;
      const launched = new FakeLaunched();
      backend.discovered = [found('33333333-3333-3333-3333-333333333333', () => launched)];
      expect(await manager.adoptRunning()).toBe(1);
      launched.exit({ code: null, signal: 'SIGKILL', reason: 'evicted' });
      const [kernel] = manager.list(alice);
      await waitUntil(() => kernel?.state === 'dead', { timeoutMs: 2000, what: 'the adoption to fail' });
      expect(kernel?.reason).toBe('kernel did not answer after a gateway restart: kernel exited during start (code SIGKILL): evicted');
    });
  });

  describe('limits', () => {
    it('should refuse a kernel over the per-user count; a dead one frees its slot, and restarting it takes one again', async () => {
      const { backend, manager } = setup({ config: managerConfig({ maxKernelsPerUser: 2, cores: null }) });
      const first = await manager.start({ owner: alice, env: {} });
      await manager.start({ owner: alice, env: {} });
      await expect(manager.start({ owner: alice, env: {} })).rejects.toThrow(
        new LimitExceededError('kernels: you have 2 running, the limit per user; shut one down first')
      );
      expect(() => manager.launch({ owner: alice, env: {}, sizing: SIZING })).toThrow(LimitExceededError);
      await manager.start({ owner: bob, env: {} }); // per user, not per tenant
      backend.launched[0]?.exit({ code: 1, signal: null, reason: 'x' });
      await waitUntil(() => first.state === 'dead', { timeoutMs: 2000, what: 'the first kernel dead' });
      expect(manager.list(alice).map(k => k.id)).toContain(first.id); // still listed, with its reason
      await manager.start({ owner: alice, env: {} });
      await expect(manager.restart(alice, first.id)).rejects.toThrow(
        new LimitExceededError('kernels: you have 2 running, the limit per user; shut one down first')
      );
      expect(first.state).toBe('dead');
      await manager.shutdown(alice, first.id);
      await expect(manager.start({ owner: alice, env: {} })).rejects.toThrow(LimitExceededError);
    });

    it("should refuse a kernel over the tenant's quota, and free it on shutdown", async () => {
      const { manager } = setup({ config: managerConfig({ cores: 2 }) });
      const big = { ...SIZING, driver: { ...SIZING.driver, cores: 2 } };
      const kernel = await manager.start({ owner: alice, env: {}, sizing: big });
      expect(manager.usageOf('t')).toEqual({ gpus: 0, cores: 2, memoryMiB: 1024 });
      await expect(manager.start({ owner: bob, env: {} })).rejects.toThrow(/^cores: this cluster asks for 1, tenant 't' has a limit of 2 and 2 in use/);
      await manager.shutdown(alice, kernel.id);
      expect(manager.usageOf('t')).toEqual({ gpus: 0, cores: 0, memoryMiB: 0 });
      await manager.start({ owner: bob, env: {} });
    });
  });

  describe('#dispose()', () => {
    it('should let running kernels go on a backend whose kernels outlive the gateway', async () => {
      const { backend, manager, removed } = setup();
      backend.kernelsOutliveGateway = true;
      const kernel = await manager.start({ owner: alice, env: {} });
      const client = new FakeClient();
      kernel.attach(client);
      await manager.dispose();
      expect([removed, client.closed, backend.launched[0]?.terminated]).toEqual([[kernel.id], [1001, 'gateway restarting; reconnect'], []]);
    });

    it('should shut every kernel down otherwise', async () => {
      const { backend, manager } = setup();
      await manager.start({ owner: alice, env: {} });
      await manager.dispose();
      expect([manager.list(alice), backend.launched[0]?.terminated]).toEqual([[], [100]]);
    });
  });

  describe('Spark progress', () => {
    it('should bring a Spark kernel to spark-ready with nothing but the manager’s monitor', async () => {
      let stopped = 0;
      const spark = new SparkMonitor({
        logger: silentLogger,
        client: () => ({ applicationId: async () => 'app-1', runningJob: async () => null }),
        repeat: () => () => void stopped++
      });
      const { backend, manager } = setup({ spark });
      backend.launchWith = async () => new FakeLaunched({ sparkUi: '127.0.0.1:4040' });
      const kernel = await manager.start({ owner: alice, name: 'pyspark', env: {} });
      await waitUntil(() => kernel.phase === 'spark-ready', { timeoutMs: 2000, what: 'spark-ready' });
      expect([spark.follows(kernel.id), stopped]).toEqual([false, 1]);
    });
  });
});
