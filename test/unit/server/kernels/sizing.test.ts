import { describe, expect, it } from '@jest/globals';
import * as contract from '@sparkgate/contract';
import type { Profile } from '../../../../server/src/config/types.js';
import { InputError, LimitExceededError } from '../../../../server/src/errors.js';
import { assertWithinLimits, resolveSizing, totalsOf } from '../../../../server/src/kernels/sizing.js';

const gpuProfile: Profile = {
  id: 'gpu',
  displayName: 'GPU',
  spark: true,
  sizing: {
    driver: { cores: 2, memoryMiB: 4096, gpus: 1 },
    executors: { count: 2, cores: 4, memoryMiB: 8192, gpus: 1 }
  }
};

describe('kernels/sizing', () => {
  describe('#totalsOf()', () => {
    it('should be the contract\'s, the same function the extension\'s panel shows totals with', () => {
      expect(totalsOf).toBe(contract.totalsOf);
    });

    it('should add the driver to count × executor', () => {
      expect(totalsOf(gpuProfile.sizing)).toEqual({ gpus: 3, cores: 10, memoryMiB: 20480 });
    });

    it('should count the dynamic-allocation maximum', () => {
      expect(totalsOf({ ...gpuProfile.sizing, executors: { min: 1, max: 5, cores: 1, memoryMiB: 1024, gpus: 2 } })).toEqual({
        gpus: 11,
        cores: 7,
        memoryMiB: 9216
      });
    });
  });

  describe('#assertWithinLimits()', () => {
    it('should name the limit, the asked value and what is in use', () => {
      expect(() =>
        assertWithinLimits(gpuProfile.sizing, { gpus: 4, cores: null, memoryMiB: null }, { gpus: 2, cores: 0, memoryMiB: 0 }, 'team-a')
      ).toThrow(
        new LimitExceededError("GPUs: this cluster asks for 3, tenant 'team-a' has a limit of 4 and 2 in use; ask for at most 2")
      );
    });

    it('should format memory in GiB', () => {
      expect(() =>
        assertWithinLimits(gpuProfile.sizing, { gpus: null, cores: null, memoryMiB: 16384 }, { gpus: 0, cores: 0, memoryMiB: 0 }, 't')
      ).toThrow(/memory: this cluster asks for 20 GiB, tenant 't' has a limit of 16 GiB and 0 GiB in use/);
    });

    it('should accept exactly the limit and treat null as unlimited', () => {
      expect(() =>
        assertWithinLimits(gpuProfile.sizing, { gpus: 3, cores: null, memoryMiB: null }, { gpus: 0, cores: 0, memoryMiB: 0 }, 't')
      ).not.toThrow();
    });
  });

  describe('#resolveSizing()', () => {
    it('should return the profile sizing without overrides', () => {
      expect(resolveSizing(gpuProfile, undefined)).toBe(gpuProfile.sizing);
    });

    it('should apply overrides and switch to dynamic allocation', () => {
      expect(resolveSizing(gpuProfile, { executors: { min: 1, max: 3, gpus: 0 } })).toEqual({
        driver: { cores: 2, memoryMiB: 4096, gpus: 1 },
        executors: { min: 1, max: 3, cores: 4, memoryMiB: 8192, gpus: 0 }
      });
    });

    it.each([
      [{ driver: { gpus: 0.5 } }, /sizing.driver.gpus must be a whole number ≥ 0/],
      [{ executors: { count: -1 } }, /sizing.executors.count must be a whole number ≥ 0/],
      [{ executors: { count: 2, max: 3 } }, /either count or min\/max/],
      [{ executors: { min: 4, max: 2 } }, /max \(2\) must be at least min \(4\)/],
      [{ driver: 'big' }, /sizing.driver must be an object/]
    ])('should reject %j', (overrides, message) => {
      expect(() => resolveSizing(gpuProfile, overrides)).toThrow(InputError);
      expect(() => resolveSizing(gpuProfile, overrides)).toThrow(message);
    });
  });
});
