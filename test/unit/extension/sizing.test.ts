import { describe, expect, it } from '@jest/globals';
import * as contract from '@sparkgate/contract';
import {
  checkSizing,
  draftFromProfile,
  draftFromSizing,
  formatMemory,
  formatResource,
  gibToMiB,
  issuesFor,
  MEMORY_STEP_GIB,
  mibToGiB,
  remaining,
  sizingFromDraft,
  totalsOf
} from '../../../extension/src/sizing.js';
import { DYNAMIC_PROFILE, GPU_PROFILE, PYTHON_PROFILE } from './fixtures.js';

const UNLIMITED = { gpus: null, cores: null, memoryMiB: null };
const NOTHING = { gpus: 0, cores: 0, memoryMiB: 0 };

describe('extension/sizing', () => {
  describe('#draftFromProfile()', () => {
    it('should take a fixed count from a count profile', () => {
      const d = draftFromProfile(GPU_PROFILE);
      expect(d.autoscale).toBe(false);
      expect(d.executors).toEqual({ count: 2, min: 0, max: 2, cores: 4, memoryMiB: 8192, gpus: 1 });
      expect(d.driver).toEqual({ cores: 1, memoryMiB: 2048, gpus: 0 });
    });

    it('should turn autoscale on for a min/max profile', () => {
      const d = draftFromProfile(DYNAMIC_PROFILE);
      expect(d.autoscale).toBe(true);
      expect(d.executors.min).toBe(1);
      expect(d.executors.max).toBe(4);
    });
  });

  describe('#draftFromSizing()', () => {
    it('should hold a shared min/max shape on a count profile', () => {
      const d = draftFromSizing(GPU_PROFILE, {
        driver: { cores: 1, memoryMiB: 2048, gpus: 1 },
        executors: { min: 2, max: 6, cores: 2, memoryMiB: 4096, gpus: 1 }
      });
      expect(d.autoscale).toBe(true);
      // Turning autoscale off falls back to the profile's count.
      expect(d.executors).toEqual({ count: 2, min: 2, max: 6, cores: 2, memoryMiB: 4096, gpus: 1 });
      expect(d.driver.gpus).toBe(1);
    });
  });

  describe('#sizingFromDraft()', () => {
    it('should send count without min/max', () => {
      const s = sizingFromDraft(draftFromProfile(GPU_PROFILE), GPU_PROFILE);
      expect(s.executors).toEqual({ count: 2, cores: 4, memoryMiB: 8192, gpus: 1 });
    });

    it('should send min/max without count when autoscaling', () => {
      const s = sizingFromDraft(draftFromProfile(DYNAMIC_PROFILE), DYNAMIC_PROFILE);
      expect(s.executors).toEqual({ min: 1, max: 4, cores: 2, memoryMiB: 4096, gpus: 0 });
    });

    it('should send no executors for a profile without Spark', () => {
      const s = sizingFromDraft(draftFromProfile(PYTHON_PROFILE), PYTHON_PROFILE);
      expect(s.executors.count).toBe(0);
    });
  });

  describe('#totalsOf()', () => {
    it('should add the driver to the largest executor set', () => {
      const s = sizingFromDraft(draftFromProfile(DYNAMIC_PROFILE), DYNAMIC_PROFILE);
      expect(totalsOf(s)).toEqual({ gpus: 0, cores: 8.5, memoryMiB: 1024 + 4 * 4096 });
    });

    it('should be the gateway\'s own (the contract\'s), so the panel shows what limits are checked against', () => {
      expect(totalsOf).toBe(contract.totalsOf);
    });
  });

  describe('#checkSizing()', () => {
    it('should accept a profile default within limits', () => {
      const check = checkSizing(draftFromProfile(GPU_PROFILE), {
        profile: GPU_PROFILE,
        limits: { gpus: 4, cores: 32, memoryMiB: 65536 },
        usage: NOTHING
      });
      expect(check.valid).toBe(true);
      expect(check.issues).toEqual([]);
      expect(check.totals).toEqual({ gpus: 2, cores: 9, memoryMiB: 2048 + 2 * 8192 });
    });

    it('should name the asked value, the limit and the usage when over the GPU limit', () => {
      const draft = draftFromProfile(GPU_PROFILE);
      draft.executors.count = 8;
      const check = checkSizing(draft, {
        profile: GPU_PROFILE,
        limits: { gpus: 4, cores: null, memoryMiB: null },
        usage: { gpus: 2, cores: 0, memoryMiB: 0 }
      });
      expect(check.valid).toBe(false);
      expect(issuesFor(check, 'gpus')).toEqual(['8 GPUs asked, tenant limit 4, 2 in use']);
    });

    it('should count what is in use against the limit', () => {
      const check = checkSizing(draftFromProfile(GPU_PROFILE), {
        profile: GPU_PROFILE,
        limits: { gpus: 3, cores: null, memoryMiB: 20480 },
        usage: { gpus: 2, cores: 1, memoryMiB: 4096 }
      });
      expect(issuesFor(check, 'gpus')).toEqual(['2 GPUs asked, tenant limit 3, 2 in use']);
      expect(issuesFor(check, 'memoryMiB')).toEqual(['18 GiB memory asked, tenant limit 20 GiB, 4 GiB in use']);
    });

    it('should check the autoscale maximum, not the minimum, against limits', () => {
      const draft = draftFromProfile(DYNAMIC_PROFILE);
      draft.executors.max = 10;
      const check = checkSizing(draft, {
        profile: DYNAMIC_PROFILE,
        limits: { gpus: null, cores: 16, memoryMiB: null },
        usage: NOTHING
      });
      expect(issuesFor(check, 'cores')).toEqual(['20.5 cores asked, tenant limit 16, 0 in use']);
      expect(check.minTotals.cores).toBe(2.5);
    });

    it('should reject max below min', () => {
      const draft = draftFromProfile(DYNAMIC_PROFILE);
      draft.executors.min = 5;
      draft.executors.max = 2;
      const check = checkSizing(draft, { profile: DYNAMIC_PROFILE, limits: UNLIMITED, usage: NOTHING });
      expect(issuesFor(check, 'executors.max')).toEqual(['maximum (2) must be at least the minimum (5)']);
    });

    it('should name an empty or fractional field', () => {
      const draft = draftFromProfile(GPU_PROFILE);
      draft.executors.gpus = Number.NaN;
      draft.executors.cores = 1.5;
      draft.executors.memoryMiB = 100;
      const check = checkSizing(draft, { profile: GPU_PROFILE, limits: UNLIMITED, usage: NOTHING });
      expect(issuesFor(check, 'executors.gpus')).toEqual(['executor GPUs: enter a number']);
      expect(issuesFor(check, 'executors.cores')).toEqual(['executor cores must be a whole number']);
      expect(issuesFor(check, 'executors.memoryMiB')).toEqual(['executor memory must be at least 0.25 GiB']);
      // No limit messages computed from NaN.
      expect(issuesFor(check, 'gpus')).toEqual([]);
    });

    it('should enforce the profile executor cap', () => {
      const draft = draftFromProfile(GPU_PROFILE);
      draft.executors.count = 9;
      const check = checkSizing(draft, { profile: GPU_PROFILE, limits: UNLIMITED, usage: NOTHING });
      expect(issuesFor(check, 'executors.count')).toEqual(['9 executors asked, this profile allows at most 8']);
    });

    it('should ignore executor fields for a profile without Spark', () => {
      const draft = draftFromProfile(PYTHON_PROFILE);
      draft.executors.cores = Number.NaN;
      const check = checkSizing(draft, { profile: PYTHON_PROFILE, limits: UNLIMITED, usage: NOTHING });
      expect(check.valid).toBe(true);
      expect(check.totals).toEqual({ gpus: 0, cores: 1, memoryMiB: 1024 });
    });

    it('should refuse an unknown profile', () => {
      const draft = { ...draftFromProfile(GPU_PROFILE), profile: 'gone' };
      const check = checkSizing(draft, { profile: undefined, limits: UNLIMITED, usage: NOTHING });
      expect(check.valid).toBe(false);
    });
  });

  describe('#remaining()', () => {
    it('should subtract usage, floor at zero and keep unlimited as null', () => {
      expect(remaining({ gpus: 4, cores: 2, memoryMiB: null }, { gpus: 1, cores: 3, memoryMiB: 99 })).toEqual({
        gpus: 3,
        cores: 0,
        memoryMiB: null
      });
    });
  });

  describe('#mibToGiB() / #gibToMiB()', () => {
    it('should convert the form\'s GiB to the API\'s MiB exactly, both ways', () => {
      expect(mibToGiB(1536)).toBe(1.5);
      expect(gibToMiB(1.5)).toBe(1536);
      expect(gibToMiB(MEMORY_STEP_GIB)).toBe(256);
      // Any whole MiB survives the round trip (a profile's "1000m" shows as 0.9765625 GiB).
      for (const mib of [256, 1000, 1024, 3333, 8192, 65535]) {
        expect(gibToMiB(mibToGiB(mib))).toBe(mib);
      }
    });

    it('should round a GiB that is no whole MiB to the nearest MiB and keep empty as NaN', () => {
      expect(gibToMiB(1.3)).toBe(1331);
      expect(gibToMiB(Number.NaN)).toBeNaN();
    });

    it('should word memory rules in GiB, as the form asks for them', () => {
      const draft = draftFromProfile(GPU_PROFILE);
      draft.driver.memoryMiB = gibToMiB(0.1);
      draft.executors.memoryMiB = Number.NaN;
      const check = checkSizing(draft, { profile: GPU_PROFILE, limits: UNLIMITED, usage: NOTHING });
      expect(issuesFor(check, 'driver.memoryMiB')).toEqual(['driver memory must be at least 0.25 GiB']);
      expect(issuesFor(check, 'executors.memoryMiB')).toEqual(['executor memory: enter a number of GiB']);
    });
  });

  describe('#formatMemory()', () => {
    it('should show MiB below 1 GiB and GiB above', () => {
      expect(formatMemory(512)).toBe('512 MiB');
      expect(formatMemory(4096)).toBe('4 GiB');
      expect(formatMemory(1536)).toBe('1.5 GiB');
      // Quarter GiB steps show as typed, not rounded to 1.8.
      expect(formatMemory(1792)).toBe('1.75 GiB');
    });
  });

  describe('#formatResource()', () => {
    it('should use singular units for one', () => {
      expect(formatResource('gpus', 1)).toBe('1 GPU');
      expect(formatResource('cores', 1)).toBe('1 core');
      expect(formatResource('cores', 2.5)).toBe('2.5 cores');
    });
  });
});
