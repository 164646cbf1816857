import { describe, expect, it } from '@jest/globals';
import { maxExecutors, totalsOf, totalsWith, type Sizing } from '../../../contract/src/index.js';

const fixed: Sizing = {
  driver: { cores: 2, memoryMiB: 4096, gpus: 1 },
  executors: { count: 2, cores: 4, memoryMiB: 8192, gpus: 1 }
};
const dynamic: Sizing = {
  driver: { cores: 0.5, memoryMiB: 1024, gpus: 0 },
  executors: { min: 1, max: 4, cores: 2, memoryMiB: 4096, gpus: 1 }
};

describe('contract/sizing', () => {
  describe('#maxExecutors()', () => {
    it('should be the fixed count, else the dynamic-allocation maximum, else none', () => {
      expect(maxExecutors(fixed)).toBe(2);
      expect(maxExecutors(dynamic)).toBe(4);
      expect(maxExecutors({ ...fixed, executors: { cores: 1, memoryMiB: 1024, gpus: 0 } })).toBe(0);
      // A count wins over min/max if a sizing carries both.
      expect(maxExecutors({ ...fixed, executors: { ...fixed.executors, min: 1, max: 9 } })).toBe(2);
    });
  });

  describe('#totalsWith()', () => {
    it('should add n executors to the driver', () => {
      expect(totalsWith(dynamic, 1)).toEqual({ gpus: 1, cores: 2.5, memoryMiB: 5120 });
      expect(totalsWith(dynamic, 3)).toEqual({ gpus: 3, cores: 6.5, memoryMiB: 13312 });
    });

    it('should count the driver alone with no executors, whatever the executor fields hold', () => {
      // The panel's form may leave executor fields blank (NaN) for a profile without Spark.
      const blank: Sizing = { driver: fixed.driver, executors: { count: 0, cores: Number.NaN, memoryMiB: Number.NaN, gpus: Number.NaN } };
      expect(totalsWith(blank, 0)).toEqual({ gpus: 1, cores: 2, memoryMiB: 4096 });
    });

    it('should return a new object with the three totals only', () => {
      const driver = { ...fixed.driver, extra: 'x' } as Sizing['driver'];
      const t = totalsWith({ ...fixed, driver }, 0);
      expect(Object.keys(t).sort()).toEqual(['cores', 'gpus', 'memoryMiB']);
      expect(t).not.toBe(driver);
    });
  });

  describe('#totalsOf()', () => {
    it('should add the driver to count × executor', () => {
      expect(totalsOf(fixed)).toEqual({ gpus: 3, cores: 10, memoryMiB: 20480 });
    });

    it('should count the dynamic-allocation maximum (what limits are checked against)', () => {
      expect(totalsOf(dynamic)).toEqual({ gpus: 4, cores: 8.5, memoryMiB: 17408 });
    });
  });
});
