import { describe, expect, it } from '@jest/globals';
import type { Profile, ProfileOptions, Sizing } from '../../../../server/src/config/types.js';
import { InputError } from '../../../../server/src/errors.js';
import { resolveSizing, sameSizing } from '../../../../server/src/kernels/sizing.js';

const L4 = 'NVIDIA-L4';
const A100 = 'NVIDIA-A100-SXM4-80GB';

/** A GPU profile as the config builds it: its executors' default GPU type (the option's first choice) is in its sizing. */
function profile(options: ProfileOptions | undefined, sizing?: Partial<Sizing>): Profile {
  return {
    id: 'gpu',
    displayName: 'GPU',
    spark: true,
    sizing: {
      driver: { cores: 1, memoryMiB: 4096, gpus: 0 },
      executors: { count: 2, cores: 4, memoryMiB: 8192, gpus: 1, gpuType: L4, memoryOverheadMiB: 3072 },
      ...sizing
    },
    ...(options ? { options } : {})
  };
}

const options: ProfileOptions = {
  driver: { memoryMiB: { min: 2048, max: null } },
  executors: {
    count: { min: 1, max: 8 },
    cores: { max: 8, min: null },
    memoryMiB: { choices: [4096, 8192, 16384] },
    gpus: { choices: [1, 2] },
    gpuType: { choices: [L4, A100] }
  }
};

const refusal = (p: Profile, overrides: unknown): string => {
  try {
    resolveSizing(p, overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error(`resolveSizing accepted ${JSON.stringify(overrides)}`);
};

describe('kernels/sizing resolveSizing with profile options (issue 18)', () => {
  describe('fields with an option', () => {
    it('should accept values within each kind of option and keep the rest of the profile', () => {
      expect(resolveSizing(profile(options), { driver: { memoryMiB: 65536 }, executors: { count: 8, cores: 1, memoryMiB: 16384, gpus: 2 } })).toEqual({
        driver: { cores: 1, memoryMiB: 65536, gpus: 0 },
        executors: { count: 8, cores: 1, memoryMiB: 16384, gpus: 2, gpuType: L4, memoryOverheadMiB: 3072 }
      });
    });

    it.each([
      ['min and max', { executors: { count: 12 } }, "sizing.executors.count must be between 1 and 8 for profile 'gpu' (got 12)"],
      ['min and max, below', { executors: { count: 0 } }, "sizing.executors.count must be between 1 and 8 for profile 'gpu' (got 0)"],
      ['max only', { executors: { cores: 16 } }, "sizing.executors.cores must be at most 8 for profile 'gpu' (got 16)"],
      ['min only, memory in GiB', { driver: { memoryMiB: 1024 } }, "sizing.driver.memoryMiB must be at least 2 GiB for profile 'gpu' (got 1 GiB)"],
      [
        'choices of memory, in GiB and MiB',
        { executors: { memoryMiB: 6000 } },
        "sizing.executors.memoryMiB must be one of 4 GiB, 8 GiB, 16 GiB for profile 'gpu' (got 6000 MiB)"
      ],
      ['choices of a number', { executors: { gpus: 4 } }, "sizing.executors.gpus must be one of 1, 2 for profile 'gpu' (got 4)"]
    ])('should refuse a value outside an option of %s, naming the field and its bound', (_kind, overrides, message) => {
      expect(refusal(profile(options), overrides)).toBe(message);
    });

    it('should still refuse what no profile allows before the option (shape first)', () => {
      expect(refusal(profile(options), { executors: { count: 1.5 } })).toBe('sizing.executors.count must be a whole number ≥ 0 (got 1.5)');
    });

    it('should bound dynamic allocation by the min and max options', () => {
      const dynamic = profile(
        { driver: {}, executors: { min: { min: 0, max: 2 }, max: { min: 1, max: 4 } } },
        { executors: { min: 1, max: 2, cores: 2, memoryMiB: 4096, gpus: 0 } }
      );
      expect(resolveSizing(dynamic, { executors: { min: 0, max: 4 } }).executors).toEqual({ min: 0, max: 4, cores: 2, memoryMiB: 4096, gpus: 0 });
      expect(refusal(dynamic, { executors: { max: 6 } })).toBe("sizing.executors.max must be between 1 and 4 for profile 'gpu' (got 6)");
      expect(refusal(dynamic, { executors: { min: 3, max: 4 } })).toBe("sizing.executors.min must be between 0 and 2 for profile 'gpu' (got 3)");
      expect(refusal(dynamic, { executors: { count: 2 } })).toBe(
        "sizing.executors.count: profile 'gpu' sizes executors with min/max (dynamic allocation), not a count; remove it and send min/max"
      );
    });
  });

  describe('fields without an option', () => {
    it.each([
      [{ driver: { cores: 2 } }, "sizing.driver.cores: profile 'gpu' fixes it at 1; remove it or send 1"],
      [{ driver: { gpus: 1 } }, "sizing.driver.gpus: profile 'gpu' fixes it at 0; remove it or send 0"],
      [{ executors: { count: 3 }, driver: { memoryMiB: 2048, cores: 0.5 } }, "sizing.driver.cores: profile 'gpu' fixes it at 1; remove it or send 1"]
    ])('should refuse %j: the profile fixes the field', (overrides, message) => {
      expect(refusal(profile(options), overrides)).toBe(message);
    });

    it('should show a fixed memory in GiB and ask for it in MiB', () => {
      const fixed = profile({ driver: {}, executors: { count: { min: 1, max: 8 } } });
      expect(refusal(fixed, { executors: { memoryMiB: 16384 } })).toBe("sizing.executors.memoryMiB: profile 'gpu' fixes it at 8 GiB; remove it or send 8192");
    });

    it('should accept the profile\'s own value sent back for a fixed field (what the panel sends)', () => {
      const p = profile(options);
      const sizing = resolveSizing(p, { driver: { ...p.sizing.driver }, executors: { ...p.sizing.executors } });
      expect(sizing).toEqual(p.sizing);
      // The same cluster as the profile's: a warm driver of the profile can serve it.
      expect(sameSizing(sizing, p.sizing)).toBe(true);
    });

    it('should refuse switching a fixed count to dynamic allocation, saying what count may be', () => {
      expect(refusal(profile(options), { executors: { min: 1, max: 4 } })).toBe(
        "sizing.executors: profile 'gpu' runs a fixed executor count (2), not min/max; remove min and max (count may be between 1 and 8)"
      );
      const noCount = profile({ driver: {}, executors: {} });
      expect(refusal(noCount, { executors: { max: 4 } })).toBe(
        "sizing.executors: profile 'gpu' runs a fixed executor count (2), not min/max; remove min and max"
      );
    });

    it('should fix every field with empty options', () => {
      const none = profile({ driver: {}, executors: {} });
      expect(resolveSizing(none, {})).toEqual(none.sizing);
      expect(refusal(none, { executors: { count: 1 } })).toBe("sizing.executors.count: profile 'gpu' fixes it at 2; remove it or send 2");
    });
  });

  describe('GPU type', () => {
    it('should default to the profile\'s and take one of the option\'s choices', () => {
      expect(resolveSizing(profile(options), { executors: { count: 1 } }).executors.gpuType).toBe(L4);
      expect(resolveSizing(profile(options), { executors: { gpuType: A100 } }).executors).toEqual({
        count: 2,
        cores: 4,
        memoryMiB: 8192,
        gpus: 1,
        gpuType: A100,
        memoryOverheadMiB: 3072
      });
    });

    it('should refuse a type the option does not offer, naming the choices', () => {
      expect(refusal(profile(options), { executors: { gpuType: 'H100' } })).toBe(
        `sizing.executors.gpuType must be one of ${L4}, ${A100} for profile 'gpu' (got 'H100')`
      );
    });

    it('should refuse a type other than the profile\'s without an option, with or without other options', () => {
      const noTypeChoice = profile({ driver: {}, executors: { count: { min: 1, max: 8 } } });
      expect(refusal(noTypeChoice, { executors: { gpuType: A100 } })).toBe(`sizing.executors.gpuType: profile 'gpu' fixes it at ${L4}; remove it or send '${L4}'`);
      expect(refusal(profile(undefined), { executors: { gpuType: A100 } })).toBe(`sizing.executors.gpuType: profile 'gpu' fixes it at ${L4}; remove it or send '${L4}'`);
      expect(refusal(profile(undefined), { driver: { gpus: 1, gpuType: A100 } })).toBe(
        "sizing.driver.gpuType: profile 'gpu' offers no choice of GPU type (its pods take any GPU); remove it"
      );
      expect(resolveSizing(profile(undefined), { executors: { gpuType: L4 } }).executors.gpuType).toBe(L4);
    });

    it('should refuse a GPU type that is not text', () => {
      expect(refusal(profile(options), { executors: { gpuType: 4 } })).toBe(
        "sizing.executors.gpuType must be a GPU type, the text of a node's nvidia.com/gpu.product label (got 4)"
      );
    });
  });

  describe('memory overhead', () => {
    it('should keep the profile\'s and accept it sent back unchanged', () => {
      expect(resolveSizing(profile(options), { executors: { count: 3, memoryOverheadMiB: 3072 } }).executors.memoryOverheadMiB).toBe(3072);
      expect(resolveSizing(profile(undefined), { executors: { count: 3 } }).executors.memoryOverheadMiB).toBe(3072);
    });

    it.each([
      [options, { executors: { memoryOverheadMiB: 4096 } }, "sizing.executors.memoryOverheadMiB is set by profile 'gpu' (3 GiB), not by a launch; remove it"],
      [undefined, { executors: { memoryOverheadMiB: 1000 } }, "sizing.executors.memoryOverheadMiB is set by profile 'gpu' (3 GiB), not by a launch; remove it"],
      [undefined, { driver: { memoryOverheadMiB: 1024 } }, "sizing.driver.memoryOverheadMiB is set by profile 'gpu' (the gateway's default), not by a launch; remove it"]
    ])('should refuse a request that sets it (options %j, request %j)', (o, overrides, message) => {
      expect(refusal(profile(o), overrides)).toBe(message);
    });
  });

  describe('without options (as before issue 18)', () => {
    it('should let every numeric field change, within the shape rules only', () => {
      expect(resolveSizing(profile(undefined), { driver: { cores: 3, gpus: 1 }, executors: { min: 0, max: 20, cores: 16, memoryMiB: 256, gpus: 0 } })).toEqual({
        driver: { cores: 3, memoryMiB: 4096, gpus: 1 },
        executors: { min: 0, max: 20, cores: 16, memoryMiB: 256, gpus: 0, gpuType: L4, memoryOverheadMiB: 3072 }
      });
    });

    it('should return the profile\'s own sizing object without overrides', () => {
      const p = profile(options);
      expect(resolveSizing(p, undefined)).toBe(p.sizing);
      expect(resolveSizing(p, null)).toBe(p.sizing);
    });
  });

  describe('unknown fields', () => {
    it.each([
      [{ executors: { memory: 8192 } }, 'sizing.executors.memory is not a sizing field; sizing.executors takes count, min, max, cores, memoryMiB, gpus, gpuType, memoryOverheadMiB'],
      [{ driver: { gpu: 1 } }, 'sizing.driver.gpu is not a sizing field; sizing.driver takes cores, memoryMiB, gpus, gpuType, memoryOverheadMiB'],
      [{ executor: { count: 1 } }, 'sizing.executor is not a sizing field; sizing takes driver, executors']
    ])('should refuse %j rather than launch the default silently', (overrides, message) => {
      expect(refusal(profile(undefined), overrides)).toBe(message);
      expect(refusal(profile(options), overrides)).toBe(message);
    });
  });
});
