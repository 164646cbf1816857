// The kernel manager with warm pools (issue 15), over the fake backend and channels: warm drivers
// are nobody's until claimed, a claim is a cold launch's equal for the claimer, limits hold.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { KernelClaim } from '../../../../server/src/backends/types.js';
import { LimitExceededError } from '../../../../server/src/errors.js';
import { GatewayKernelManager, type KernelWatcher } from '../../../../server/src/kernels/manager.js';
import { silentLogger } from '../../../../server/src/log.js';
import { parseHeader } from '../../../../server/src/protocol/wire.js';
import { waitUntil } from '../../../support/waitFor.js';
import { FakeBackend, FakeChannelsFactory, FakeLaunched, managerConfig, SIZING } from './fakes.js';

const alice = { user: 'alice', tenant: 't' };
const bob = { user: 'bob', tenant: 't' };
const quiet: KernelWatcher = { update: () => undefined, remove: () => undefined, dispose: () => undefined };
const managers: GatewayKernelManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map(m => m.dispose()));
});

/** A launched kernel that records its claims (what the Kubernetes backend writes on the pod). */
class ClaimableLaunched extends FakeLaunched {
  claims: KernelClaim[] = [];
  refuse: Error | null = null;
  async claim(claim: KernelClaim): Promise<{ workingDir?: string }> {
    if (this.refuse) {
      throw this.refuse;
    }
    this.claims.push(claim);
    return { workingDir: '/home/alice/work' };
  }
}

function setup(options: { size?: number; cores?: number | null; maxKernelsPerUser?: number; outlive?: boolean } = {}) {
  const backend = new FakeBackend();
  backend.kernelsOutliveGateway = options.outlive ?? false;
  backend.launchWith = async () => new ClaimableLaunched();
  const channels = new FakeChannelsFactory();
  let n = 0;
  const manager = new GatewayKernelManager({
    backend,
    channels: channels.create,
    config: managerConfig({
      cores: options.cores === undefined ? null : options.cores,
      maxKernelsPerUser: options.maxKernelsPerUser ?? 3,
      pools: { python3: { size: options.size ?? 2, maxIdleMs: 0 } }
    }),
    logger: silentLogger,
    newId: () => `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}`,
    spark: quiet
  });
  managers.push(manager);
  const warm = () => manager.poolCounts('t').python3?.warm ?? 0;
  const launchedFor = (id: string) => backend.launched[backend.launches.findIndex(l => l.kernelId === id)] as ClaimableLaunched;
  return { backend, channels, manager, warm, launchedFor };
}

describe('kernels/manager with warm pools', () => {
  it("should keep warm drivers nobody sees, counted in the tenant's usage", async () => {
    const { backend, manager, warm } = setup();
    manager.startPools();
    await waitUntil(() => warm() === 2, { timeoutMs: 2000, what: 'two warm drivers' });
    expect(backend.launches.map(l => [l.pooled, l.owner, l.env])).toEqual([
      [true, { user: '', tenant: 't' }, {}],
      [true, { user: '', tenant: 't' }, {}]
    ]);
    expect([manager.list(alice), manager.list(bob), manager.list({ user: '', tenant: 't' }).length]).toEqual([[], [], 2]);
    expect(manager.usageOf('t')).toEqual({ gpus: 0, cores: 2, memoryMiB: 2048 });
  });

  it("should hand a warm driver to a start at the profile's sizing: listed for the claimer, recorded, settings applied, pool refilled", async () => {
    const { backend, channels, manager, warm, launchedFor } = setup();
    manager.startPools();
    await waitUntil(() => warm() === 2, { timeoutMs: 2000, what: 'two warm drivers' });
    const warmIds = backend.launches.map(l => l.kernelId);
    const kernel = await manager.start({ owner: alice, env: { KERNEL_PROJECT: 'churn "q3"' } });
    expect(warmIds).toContain(kernel.id);
    expect([kernel.name, kernel.owner, kernel.pooled, kernel.state]).toEqual(['python3', alice, false, 'idle']);
    expect(manager.list(alice)).toEqual([kernel]);
    expect(launchedFor(kernel.id).claims).toEqual([{ owner: alice, kernelName: 'python3', env: { KERNEL_PROJECT: 'churn "q3"' } }]);
    // The claim cell ran silently in that kernel: its env and the backend's working directory.
    const sent = channels.made[warmIds.indexOf(kernel.id)]!.sent.filter(m => parseHeader(m).msg_type === 'execute_request');
    expect(sent).toHaveLength(1);
    const content = JSON.parse(sent[0]!.content) as { code: string; silent: boolean; store_history: boolean };
    expect([content.silent, content.store_history]).toEqual([true, false]);
    expect(content.code).toContain('KERNEL_PROJECT');
    expect(content.code).toContain('_sg_os.chdir("/home/alice/work")');
    // Refilled in the background: a third launch, pooled.
    await waitUntil(() => warm() === 2, { timeoutMs: 2000, what: 'the pool refilled' });
    expect(backend.launches.map(l => l.pooled ?? false)).toEqual([true, true, true]);
    // A cluster launch takes one too, under its cluster name.
    const cluster = manager.launch({ owner: bob, name: 'python3', env: {}, sizing: SIZING });
    expect([warmIds.concat(backend.launches[2]!.kernelId).includes(cluster.id), cluster.name]).toEqual([true, `python3--${cluster.id}`]);
    await cluster.ready;
    expect(launchedFor(cluster.id).claims[0]?.kernelName).toBe(`python3--${cluster.id}`);
  });

  it('should start a custom sizing cold, and a pool-less profile cold, leaving the pool as is', async () => {
    const { backend, manager, warm } = setup();
    manager.startPools();
    await waitUntil(() => warm() === 2, { timeoutMs: 2000, what: 'two warm drivers' });
    const big = { ...SIZING, driver: { ...SIZING.driver, cores: 2 } };
    const custom = manager.launch({ owner: alice, name: 'python3', env: {}, sizing: big });
    const spark = await manager.start({ owner: alice, name: 'pyspark', env: {} });
    await custom.ready;
    expect(backend.launches.slice(2).map(l => [l.kernelId, l.pooled ?? false])).toEqual([
      [custom.id, false],
      [spark.id, false]
    ]);
    expect(warm()).toBe(2);
  });

  it('should give two users claiming at once two different drivers', async () => {
    const { manager, warm } = setup();
    manager.startPools();
    await waitUntil(() => warm() === 2, { timeoutMs: 2000, what: 'two warm drivers' });
    const [a, b] = await Promise.all([manager.start({ owner: alice, env: {} }), manager.start({ owner: bob, env: {} })]);
    expect(a.id).not.toBe(b.id);
    expect([manager.list(alice), manager.list(bob)]).toEqual([[a], [b]]);
  });

  it("should keep the user's own kernel count at a claim, and never grow a pool past the tenant's limits", async () => {
    const { backend, manager, warm } = setup({ size: 3, cores: 2, maxKernelsPerUser: 1 });
    manager.startPools();
    await waitUntil(() => warm() === 2, { timeoutMs: 2000, what: 'two warm drivers' });
    expect(backend.launches).toHaveLength(2); // 2 cores: the third would exceed them
    const mine = await manager.start({ owner: alice, env: {} });
    await expect(manager.start({ owner: alice, env: {} })).rejects.toThrow(
      new LimitExceededError('kernels: you have 1 running, the limit per user; shut one down first')
    );
    expect(warm()).toBe(1); // the refused claim took nothing
    // Full: the claimed one and the warm one hold both cores; a cold custom launch is refused as ever.
    expect(backend.launches).toHaveLength(2);
    await manager.shutdown(alice, mine.id);
    await waitUntil(() => warm() === 2, { timeoutMs: 2000, what: 'the pool refilled into the freed room' });
  });

  it('should replace a warm driver that dies, and drop it from every list', async () => {
    const { backend, manager, warm } = setup({ size: 1 });
    manager.startPools();
    await waitUntil(() => warm() === 1, { timeoutMs: 2000, what: 'a warm driver' });
    backend.launched[0]!.exit({ code: null, signal: 'SIGKILL', reason: 'OOMKilled' });
    await waitUntil(() => backend.launches.length === 2 && warm() === 1, { timeoutMs: 5000, what: 'a replacement' });
    expect(manager.all().map(k => k.id)).toEqual([backend.launches[1]!.kernelId]);
  });

  it('should list a driver whose claim could not be recorded as dead with the reason', async () => {
    const { backend, manager, warm } = setup({ size: 1 });
    backend.launchWith = async () => Object.assign(new ClaimableLaunched(), { refuse: new Error('pods "x" not found') });
    manager.startPools();
    await waitUntil(() => warm() === 1, { timeoutMs: 2000, what: 'a warm driver' });
    const kernel = manager.launch({ owner: alice, name: 'python3', env: {}, sizing: SIZING });
    await waitUntil(() => kernel.state === 'dead', { timeoutMs: 2000, what: 'the failed claim' });
    expect(kernel.reason).toBe('the warm driver could not be handed over: pods "x" not found');
    expect(manager.list(alice)).toEqual([kernel]);
  });

  it('should stop unclaimed drivers at gateway stop and let claimed ones outlive it where kernels do', async () => {
    const { backend, manager, warm, launchedFor } = setup({ outlive: true });
    manager.startPools();
    await waitUntil(() => warm() === 2, { timeoutMs: 2000, what: 'two warm drivers' });
    const mine = await manager.start({ owner: alice, env: {} });
    await waitUntil(() => warm() === 2, { timeoutMs: 2000, what: 'the pool refilled' });
    await manager.dispose();
    const terminated = backend.launches.filter(l => launchedFor(l.kernelId).terminated.length > 0).map(l => l.kernelId);
    expect(terminated.sort()).toEqual(backend.launches.map(l => l.kernelId).filter(id => id !== mine.id).sort());
    expect(launchedFor(mine.id).terminated).toEqual([]);
  });
});
