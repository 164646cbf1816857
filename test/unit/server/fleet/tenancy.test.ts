// Tenancy over many kernels (issue 12, item 1): profiles per tenant, usage, per-user and tenant limits.
import { describe, expect, it } from '@jest/globals';
import type { Identity } from '../../../../server/src/auth/types.js';
import type { Sizing } from '../../../../server/src/config/types.js';
import { InputError, LimitExceededError, NotFoundError } from '../../../../server/src/errors.js';
import { owns, Tenancy, type TenantKernel } from '../../../../server/src/fleet/tenancy.js';
import { managerConfig, SIZING } from '../kernels/fakes.js';

const alice: Identity = { user: 'alice', tenant: 't' };
const bob: Identity = { user: 'bob', tenant: 't' };
const carol: Identity = { user: 'carol', tenant: 'other' };
const cores = (n: number): Sizing => ({ ...SIZING, driver: { ...SIZING.driver, cores: n } });

function tenancy(kernels: TenantKernel[], overrides: Parameters<typeof managerConfig>[0] = {}): Tenancy {
  return new Tenancy({ config: managerConfig(overrides), kernels: () => kernels });
}

describe('fleet/tenancy', () => {
  describe('owns()', () => {
    it('should need the same user in the same tenant', () => {
      expect(owns(alice, { owner: { user: 'alice', tenant: 't' } })).toBe(true);
      expect(owns(alice, { owner: { user: 'alice', tenant: 'other' } })).toBe(false);
      expect(owns(alice, { owner: bob })).toBe(false);
    });
  });

  describe('#profilesFor() / #profileFor()', () => {
    it("should offer the tenant's profiles, the default one when no name is given", () => {
      const t = tenancy([]);
      expect(t.profilesFor(alice).map(p => p.id)).toEqual(['python3', 'pyspark']);
      expect(t.profilesFor(carol)).toEqual([]);
      expect(t.profileFor(alice, undefined).id).toBe('python3');
      expect(t.profileFor(alice, 'pyspark').id).toBe('pyspark');
    });

    it('should answer NotFound naming what is available', () => {
      expect(() => tenancy([]).profileFor(alice, 'r')).toThrow(new NotFoundError("kernel spec 'r' does not exist; available: python3, pyspark"));
      expect(() => tenancy([]).profileFor(carol, 'python3')).toThrow("kernel spec 'python3' does not exist; available: (none)");
    });
  });

  describe('#usageOf()', () => {
    it("should sum the tenant's kernels that are not dead", () => {
      const t = tenancy([
        { owner: alice, state: 'idle', sizing: cores(1) },
        { owner: bob, state: 'starting', sizing: cores(2) },
        { owner: bob, state: 'dead', sizing: cores(4) },
        { owner: carol, state: 'busy', sizing: cores(8) }
      ]);
      expect(t.usageOf('t')).toEqual({ gpus: 0, cores: 3, memoryMiB: 2048 });
      expect(t.usageOf('nobody')).toEqual({ gpus: 0, cores: 0, memoryMiB: 0 });
    });
  });

  describe('#assertMayStart()', () => {
    it("should refuse, as bad input naming the limit, a sizing no node could hold although within quota; claims and unknown nodes pass", () => {
      const asked: Sizing[] = [];
      const t = new Tenancy({
        config: managerConfig(),
        kernels: () => [],
        fitProblem: sizing => {
          asked.push(sizing);
          return sizing.driver.cores > 2 ? 'no node can hold the driver: it needs 3 cores (node n1 has 2); make the driver smaller' : null;
        }
      });
      // Within the tenant's 4 cores, but no node has 3.
      expect(() => t.assertMayStart(alice, cores(3))).toThrow(
        new InputError('sizing: no node can hold the driver: it needs 3 cores (node n1 has 2); make the driver smaller')
      );
      expect(() => t.assertMayStart(alice, cores(2))).not.toThrow();
      expect(() => t.assertMayStart(alice, null)).not.toThrow();
      expect(asked.map(s => s.driver.cores)).toEqual([3, 2]);
      expect(() => tenancy([]).assertMayStart(alice, cores(3))).not.toThrow();
    });

    it("should count the user's kernels that are not dead against the per-user limit", () => {
      const kernels: TenantKernel[] = [
        { owner: alice, state: 'idle', sizing: cores(0.5) },
        { owner: alice, state: 'starting', sizing: cores(0.5) },
        { owner: alice, state: 'dead', sizing: cores(0.5) }
      ];
      const t = tenancy(kernels, { maxKernelsPerUser: 2, cores: null });
      expect(() => t.assertMayStart(alice, cores(1))).toThrow(new LimitExceededError('kernels: you have 2 running, the limit per user; shut one down first'));
      expect(() => t.assertMayStart(bob, cores(1))).not.toThrow();
      expect(() => tenancy(kernels, { maxKernelsPerUser: 0, cores: null }).assertMayStart(alice, cores(1))).not.toThrow();
    });

    it('should let a user whose kernels were culled or crashed start a new one, while they stay listed (issue 13)', () => {
      const kernels: TenantKernel[] = [
        { owner: alice, state: 'busy', sizing: cores(0.5) },
        { owner: alice, state: 'dead', sizing: cores(0.5) },
        { owner: alice, state: 'dead', sizing: cores(0.5) }
      ];
      const t = tenancy(kernels, { maxKernelsPerUser: 2, cores: null });
      expect(() => t.assertMayStart(alice, cores(1))).not.toThrow();
      // The one live kernel dies too (culled): the limit still leaves room for two.
      kernels[0] = { ...kernels[0]!, state: 'dead' };
      kernels.push({ owner: alice, state: 'idle', sizing: cores(0.5) });
      expect(() => t.assertMayStart(alice, cores(1))).not.toThrow();
      kernels.push({ owner: alice, state: 'idle', sizing: cores(0.5) });
      expect(() => t.assertMayStart(alice, cores(1))).toThrow(LimitExceededError);
    });

    it("should refuse a sizing over what is left of the tenant's limits", () => {
      const t = tenancy([{ owner: bob, state: 'idle', sizing: cores(3) }], { cores: 4 });
      expect(() => t.assertMayStart(alice, cores(1))).not.toThrow();
      expect(() => t.assertMayStart(alice, cores(2))).toThrow(
        new LimitExceededError("cores: this cluster asks for 2, tenant 't' has a limit of 4 and 3 in use; ask for at most 1")
      );
    });
  });
});
