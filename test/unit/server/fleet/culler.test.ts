// Idle culling (issue 13, item 1): rules like jupyter_server's culler (cull_idle_timeout,
// cull_connected, cull_busy), a notice before every cull, activity withdrawing it, tenant policies.
import { describe, expect, it } from '@jest/globals';
import type { CullPolicy } from '../../../../server/src/config/types.js';
import { LimitExceededError } from '../../../../server/src/errors.js';
import { Culler, decide, duration, presenceRefreshMs } from '../../../../server/src/fleet/culler.js';
import { Tenancy } from '../../../../server/src/fleet/tenancy.js';
import type { CullNotice, FleetKernel, KernelFleet } from '../../../../server/src/kernels/types.js';
import { silentLogger } from '../../../../server/src/log.js';
import { managerConfig, SIZING } from '../kernels/fakes.js';

const MIN = 60_000;
const POLICY: CullPolicy = { idleMs: 60 * MIN, intervalMs: MIN, connected: false, busy: false, warnMs: 5 * MIN };
const T0 = Date.parse('2026-01-02T14:02:00.000Z');

type FakeKernel = { -readonly [K in keyof FleetKernel]: FleetKernel[K] };

/** Kernels the test edits in place; records what the culler asked for. */
class FakeFleet implements KernelFleet {
  readonly kernels = new Map<string, FakeKernel>();
  readonly culled: { id: string; reason: string }[] = [];

  add(id: string, over: Partial<FakeKernel> = {}): FakeKernel {
    const kernel: FakeKernel = { id, owner: { user: 'u', tenant: 't' }, state: 'idle', connections: 0, lastActivity: new Date(T0), cullNotice: null, ...over };
    this.kernels.set(id, kernel);
    return kernel;
  }
  /** What the kernel does on activity: a new lastActivity withdraws the notice. */
  touch(id: string, at: number): void {
    const k = this.kernels.get(id)!;
    k.lastActivity = new Date(at);
    k.cullNotice = null;
  }
  all(): FleetKernel[] {
    return [...this.kernels.values()];
  }
  announceCull(id: string, notice: CullNotice | null): void {
    const k = this.kernels.get(id);
    if (k) {
      k.cullNotice = notice;
    }
  }
  async cull(id: string, reason: string): Promise<void> {
    this.culled.push({ id, reason });
    const k = this.kernels.get(id)!;
    k.state = 'dead';
    k.cullNotice = null;
  }
}

function setup(policies: Record<string, CullPolicy> = {}, global: CullPolicy = POLICY) {
  const fleet = new FakeFleet();
  let now = T0;
  const ticks: { ms: number; tick: () => void }[] = [];
  const culler = new Culler({
    kernels: fleet,
    policyFor: tenant => policies[tenant] ?? global,
    policies: [global, ...Object.values(policies)],
    logger: silentLogger,
    now: () => now,
    every: (ms, tick) => {
      ticks.push({ ms, tick });
      return () => ticks.splice(0);
    }
  });
  /** Advances the clock to `T0 + ms` and sweeps once. */
  const at = async (ms: number): Promise<void> => {
    now = T0 + ms;
    await culler.sweep();
  };
  return { fleet, culler, at, ticks };
}

describe('fleet/culler', () => {
  describe('#sweep()', () => {
    it('should announce the cull warnMs ahead, then cull an idle kernel on time with the reason', async () => {
      const { fleet, at } = setup();
      fleet.add('k');
      await at(54 * MIN);
      expect(fleet.kernels.get('k')?.cullNotice).toBeNull();
      await at(55 * MIN);
      expect(fleet.kernels.get('k')?.cullNotice).toEqual({ at: new Date(T0 + 60 * MIN), idleSince: new Date(T0) });
      await at(59 * MIN);
      expect(fleet.culled).toEqual([]);
      await at(60 * MIN);
      expect(fleet.culled).toEqual([{ id: 'k', reason: 'culled after 60 min idle' }]);
    });

    it('should never cull without a notice first: a sparse sweep announces a full warning from now', async () => {
      const { fleet, at } = setup();
      fleet.add('k');
      await at(90 * MIN);
      expect(fleet.culled).toEqual([]);
      expect(fleet.kernels.get('k')?.cullNotice?.at).toEqual(new Date(T0 + 95 * MIN));
      await at(95 * MIN);
      expect(fleet.culled).toEqual([{ id: 'k', reason: 'culled after 95 min idle' }]);
    });

    it('should keep a kernel with websocket clients unless connected is true', async () => {
      const kept = setup();
      kept.fleet.add('k', { connections: 1 });
      await kept.at(55 * MIN);
      await kept.at(61 * MIN);
      expect(kept.fleet.culled).toEqual([]);
      expect(kept.fleet.kernels.get('k')?.cullNotice).toBeNull();

      const culled = setup({}, { ...POLICY, connected: true });
      culled.fleet.add('k', { connections: 1 });
      await culled.at(55 * MIN);
      await culled.at(60 * MIN);
      expect(culled.fleet.culled.map(c => c.id)).toEqual(['k']);
    });

    it('should keep a busy kernel unless busy is true', async () => {
      const kept = setup();
      kept.fleet.add('k', { state: 'busy' });
      await kept.at(55 * MIN);
      await kept.at(600 * MIN);
      expect(kept.fleet.culled).toEqual([]);

      const culled = setup({}, { ...POLICY, busy: true });
      culled.fleet.add('k', { state: 'busy' });
      await culled.at(55 * MIN);
      await culled.at(60 * MIN);
      expect(culled.fleet.culled.map(c => c.id)).toEqual(['k']);
    });

    it('should withdraw a notice once the kernel is kept after all (a client connects)', async () => {
      const { fleet, at } = setup();
      const k = fleet.add('k');
      await at(56 * MIN);
      expect(k.cullNotice).not.toBeNull();
      k.connections = 1;
      await at(57 * MIN);
      expect(k.cullNotice).toBeNull();
      // Left again: a full warning from now, not a cull at once.
      k.connections = 0;
      await at(70 * MIN);
      expect(fleet.culled).toEqual([]);
      expect(k.cullNotice?.at).toEqual(new Date(T0 + 75 * MIN));
    });

    it('should start over after activity (which withdraws the notice)', async () => {
      const { fleet, at } = setup();
      fleet.add('k');
      await at(56 * MIN);
      fleet.touch('k', T0 + 57 * MIN);
      await at(60 * MIN);
      await at(112 * MIN);
      expect(fleet.culled).toEqual([]);
      expect(fleet.kernels.get('k')?.cullNotice).toEqual({ at: new Date(T0 + 117 * MIN), idleSince: new Date(T0 + 57 * MIN) });
      await at(117 * MIN);
      expect(fleet.culled).toEqual([{ id: 'k', reason: 'culled after 60 min idle' }]);
    });

    it("should apply each tenant's policy, and leave alone kernels that are not running", async () => {
      const { fleet, at } = setup({ fast: { ...POLICY, idleMs: 10 * MIN, warnMs: MIN }, never: { ...POLICY, idleMs: 0 } });
      fleet.add('fast', { owner: { user: 'a', tenant: 'fast' } });
      fleet.add('never', { owner: { user: 'b', tenant: 'never' } });
      fleet.add('global', { owner: { user: 'c', tenant: 'other' } });
      fleet.add('starting', { state: 'starting' });
      fleet.add('dead', { state: 'dead' });
      await at(9 * MIN);
      await at(10 * MIN);
      expect(fleet.culled.map(c => c.id)).toEqual(['fast']);
      await at(1000 * MIN);
      await at(1005 * MIN);
      expect(fleet.culled.map(c => c.id)).toEqual(['fast', 'global']);
    });

    it("should leave a culled kernel listed as dead, no longer counting toward its owner's maxKernelsPerUser", async () => {
      const { fleet, at } = setup();
      fleet.add('k', { owner: { user: 'u', tenant: 't' } });
      const tenancy = new Tenancy({
        config: managerConfig({ maxKernelsPerUser: 1, cores: null }),
        kernels: () => fleet.all().map(k => ({ owner: k.owner, state: k.state, sizing: SIZING }))
      });
      expect(() => tenancy.assertMayStart({ user: 'u', tenant: 't' }, SIZING)).toThrow(LimitExceededError);
      await at(55 * MIN);
      await at(60 * MIN);
      expect(fleet.all().map(k => [k.id, k.state])).toEqual([['k', 'dead']]);
      expect(() => tenancy.assertMayStart({ user: 'u', tenant: 't' }, SIZING)).not.toThrow();
    });
  });

  describe('#start()', () => {
    it('should sweep at the shortest interval among policies that cull, and not at all when none does', () => {
      const on = setup({ slow: { ...POLICY, intervalMs: 5 * MIN }, fast: { ...POLICY, intervalMs: 10_000, idleMs: 0 }, quick: { ...POLICY, intervalMs: 30_000 } });
      on.culler.start();
      on.culler.start();
      expect(on.ticks.map(t => t.ms)).toEqual([30_000]);
      on.culler.stop();
      expect(on.ticks).toEqual([]);

      const off = setup({}, { ...POLICY, idleMs: 0 });
      off.culler.start();
      expect(off.culler.intervalMs).toBeNull();
      expect(off.ticks).toEqual([]);
    });
  });

  describe('#decide()', () => {
    it('should keep everything when culling is off', () => {
      const k: FleetKernel = { id: 'k', owner: { user: 'u', tenant: 't' }, state: 'idle', connections: 0, lastActivity: new Date(0), cullNotice: null };
      expect(decide(k, { ...POLICY, idleMs: 0 }, 1e12)).toEqual({ keep: true });
    });
  });

  describe('#duration()', () => {
    it('should read as a person would say it', () => {
      expect([duration(45_000), duration(60 * MIN), duration(125 * MIN), duration(180 * MIN)]).toEqual(['45 s', '60 min', '2 h 5 min', '3 h']);
    });
  });
});

// Replicas (issue 13, item 4): every replica sees every kernel; only the Lease holder culls.
describe('fleet/culler presenceRefreshMs', () => {
  const policy = (over: Partial<CullPolicy>): CullPolicy => ({ idleMs: 0, intervalMs: 60_000, connected: false, busy: false, warnMs: 0, ...over });
  it('should need no presence with culling off or when connected kernels are culled anyway', () => {
    expect(presenceRefreshMs(policy({}))).toBeNull();
    expect(presenceRefreshMs(policy({ idleMs: 3_600_000, connected: true }))).toBeNull();
  });
  it('should renew a sixth of the idle timeout, between 30 s and 10 min', () => {
    expect(presenceRefreshMs(policy({ idleMs: 60_000 }))).toBe(30_000);
    expect(presenceRefreshMs(policy({ idleMs: 1_800_000 }))).toBe(300_000);
    expect(presenceRefreshMs(policy({ idleMs: 86_400_000 }))).toBe(600_000);
  });
});

describe('fleet/culler among replicas', () => {
  it('should sweep on its timer only while this replica leads', async () => {
    const fleet = new FakeFleet();
    fleet.add('k');
    let leading = false;
    const ticks: Array<() => void> = [];
    const culler = new Culler({
      kernels: fleet,
      policyFor: () => POLICY,
      policies: [POLICY],
      logger: silentLogger,
      now: () => T0 + 2 * 60 * MIN,
      every: (_ms, tick) => {
        ticks.push(tick);
        return () => undefined;
      },
      isLeader: () => leading
    });
    culler.start();
    ticks[0]?.();
    await new Promise(resolve => setImmediate(resolve));
    expect(fleet.kernels.get('k')?.cullNotice).toBeNull();
    leading = true;
    ticks[0]?.();
    await new Promise(resolve => setImmediate(resolve));
    expect(fleet.kernels.get('k')?.cullNotice).not.toBeNull();
  });
});

describe('decide() among replicas', () => {
  it('should count clients attached through another replica as connected', () => {
    const kernel = { id: 'k', owner: { user: 'u', tenant: 't' }, state: 'idle' as const, connections: 0, connectedElsewhere: true, lastActivity: new Date(T0), cullNotice: null };
    expect(decide(kernel, POLICY, T0 + 2 * 60 * MIN)).toEqual({ keep: true });
    expect(decide({ ...kernel, connectedElsewhere: false }, POLICY, T0 + 2 * 60 * MIN)).not.toEqual({ keep: true });
    expect(decide(kernel, { ...POLICY, connected: true }, T0 + 2 * 60 * MIN)).not.toEqual({ keep: true });
  });
});
