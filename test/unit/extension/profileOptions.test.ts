// Issue 18 items 2 and 5: a profile's options decide what the panel offers (inputs within
// bounds, selects of choices, the rest as the profile's text) and what it refuses, naming the
// bound as the gateway does; launches and notebook shapes carry only what a user may choose.
import { describe, expect, it } from '@jest/globals';
import type { IProfile, ISizing } from '../../../extension/src/api.js';
import { profileFacts } from '../../../extension/src/panel/labels.js';
import { describeControl, fieldControl, fixedNotes, gpuTypeControl, optionIssues } from '../../../extension/src/options.js';
import { checkSizing, draftFromProfile, draftFromSizing, issuesFor, sizingFromDraft } from '../../../extension/src/sizing.js';
import { plainTrans as t } from '../../../extension/src/trans.js';
import { assertProfile, parseSharedShape, toSharedSizing, ValidationError } from '../../../extension/src/validate.js';
import { cluster, DYNAMIC_PROFILE, GPU_PROFILE, OTHER_TENANT_RAPIDS, RAPIDS_PROFILE } from './fixtures.js';

const UNLIMITED = { gpus: null, cores: null, memoryMiB: null };
const NOTHING = { gpus: 0, cores: 0, memoryMiB: 0 };

const check = (profile: IProfile, draft = draftFromProfile(profile), nodes: Parameters<typeof checkSizing>[1]['nodes'] = null) =>
  checkSizing(draft, { profile, limits: UNLIMITED, usage: NOTHING, nodes, trans: t });

describe('extension/options', () => {
  describe('#fieldControl()', () => {
    it('should leave every field a free input on a profile without options (as before issue 18)', () => {
      for (const field of ['driver.cores', 'driver.gpus', 'executors.count', 'executors.memoryMiB'] as const) {
        expect(fieldControl(GPU_PROFILE, field)).toEqual({ kind: 'free' });
      }
    });

    it('should offer bounds as a bounded input, choices as a select, and fix every field not listed', () => {
      expect(fieldControl(RAPIDS_PROFILE, 'executors.count')).toEqual({ kind: 'bounded', min: 1, max: 8 });
      expect(fieldControl(RAPIDS_PROFILE, 'driver.memoryMiB')).toEqual({ kind: 'bounded', min: 2048, max: 8192 });
      expect(fieldControl(RAPIDS_PROFILE, 'executors.gpus')).toEqual({ kind: 'choices', choices: [1, 2] });
      expect(fieldControl(RAPIDS_PROFILE, 'executors.cores')).toEqual({ kind: 'fixed', value: 4 });
      expect(fieldControl(RAPIDS_PROFILE, 'executors.memoryMiB')).toEqual({ kind: 'fixed', value: 16384 });
      expect(fieldControl(RAPIDS_PROFILE, 'driver.gpus')).toEqual({ kind: 'fixed', value: 0 });
    });
  });

  describe('#gpuTypeControl()', () => {
    it('should offer no GPU type without options, nor where the JVM cannot have GPUs', () => {
      expect(gpuTypeControl({ ...GPU_PROFILE, executors: { ...GPU_PROFILE.executors, gpuType: 'NVIDIA-L4' } }, 'executors')).toEqual({ kind: 'hidden' });
      // The driver's GPUs are fixed at 0.
      expect(gpuTypeControl(RAPIDS_PROFILE, 'driver')).toEqual({ kind: 'hidden' });
    });

    it("should offer the option's choices, or show the profile's own type as fixed", () => {
      expect(gpuTypeControl(RAPIDS_PROFILE, 'executors')).toEqual({ kind: 'choices', choices: ['NVIDIA-L4', 'NVIDIA-A100-80GB'] });
      const fixedType: IProfile = {
        ...RAPIDS_PROFILE,
        options: { driver: {}, executors: { count: { min: 1, max: 8 } } }
      };
      expect(gpuTypeControl(fixedType, 'executors')).toEqual({ kind: 'fixed', value: 'NVIDIA-L4' });
    });
  });

  describe('#describeControl()', () => {
    it('should word each bound, memory in GiB', () => {
      expect(describeControl('executors.count', { kind: 'bounded', min: 1, max: 8 }, t)).toBe('between 1 and 8');
      expect(describeControl('executors.count', { kind: 'bounded', min: 2, max: null }, t)).toBe('at least 2');
      expect(describeControl('executors.gpus', { kind: 'bounded', min: null, max: 4 }, t)).toBe('at most 4');
      expect(describeControl('driver.memoryMiB', { kind: 'bounded', min: 2048, max: 8192 }, t)).toBe('between 2 GiB and 8 GiB');
      expect(describeControl('executors.memoryMiB', { kind: 'choices', choices: [8192, 16384] }, t)).toBe('one of 8 GiB, 16 GiB');
    });
  });

  describe('#checkSizing() with options', () => {
    it("should accept the profile's defaults", () => {
      const c = check(RAPIDS_PROFILE);
      expect(c.issues).toEqual([]);
      expect(c.valid).toBe(true);
    });

    it('should name the bound of a value outside it, as the gateway would, and refuse the draft', () => {
      const draft = draftFromProfile(RAPIDS_PROFILE);
      draft.executors.count = 9;
      draft.executors.gpus = 3;
      draft.driver.memoryMiB = 1024;
      const c = check(RAPIDS_PROFILE, draft);
      expect(c.valid).toBe(false);
      expect(issuesFor(c, 'executors.count')).toEqual(['Executors: between 1 and 8']);
      expect(issuesFor(c, 'executors.gpus')).toEqual(['Executor GPUs: one of 1, 2']);
      expect(issuesFor(c, 'driver.memoryMiB')).toEqual(['Driver memory: between 2 GiB and 8 GiB']);
    });

    it("should keep a field's own rule as its only message (a blank or negative value)", () => {
      const draft = draftFromProfile(RAPIDS_PROFILE);
      draft.executors.count = -1;
      draft.driver.memoryMiB = Number.NaN;
      const c = check(RAPIDS_PROFILE, draft);
      expect(issuesFor(c, 'executors.count')).toEqual(['executors must be at least 0']);
      expect(issuesFor(c, 'driver.memoryMiB')).toEqual(['driver memory: enter a number of GiB']);
    });

    it('should refuse a GPU type not among the choices, naming them', () => {
      const draft = draftFromProfile(RAPIDS_PROFILE);
      draft.executors.gpuType = 'NVIDIA-H100';
      expect(issuesFor(check(RAPIDS_PROFILE, draft), 'executors.gpuType')).toEqual(['Executor GPU type: one of NVIDIA-L4, NVIDIA-A100-80GB']);
    });

    it('should name a fixed field a draft changed (the form never does; a hand-made draft may)', () => {
      const draft = draftFromProfile(RAPIDS_PROFILE);
      draft.executors.cores = 8;
      expect(optionIssues(draft, RAPIDS_PROFILE, t)).toEqual([{ field: 'executors.cores', message: 'Executor cores: fixed at 4 by this profile' }]);
    });

    it("should count the profile's raised memory overhead when checking the nodes", () => {
      // 16 GiB heap: the default 40% overhead (22.4 GiB) fits a 23 GiB node, the profile's 8 GiB (24 GiB) does not.
      const nodes = { nodes: 1, largest: { gpus: 2, cores: 16, memoryMiB: 23 * 1024 }, gpuTypes: [] };
      const { memoryOverheadMiB: _, ...executors } = RAPIDS_PROFILE.executors;
      expect(issuesFor(check({ ...RAPIDS_PROFILE, executors }, undefined, nodes), 'executors.memoryMiB')).toEqual([]);
      expect(issuesFor(check(RAPIDS_PROFILE, undefined, nodes), 'executors.memoryMiB')).toEqual([
        'no node holds 16 GiB per executor (24 GiB with overhead): the largest has 23 GiB'
      ]);
    });
  });

  describe('#sizingFromDraft() with options', () => {
    it("should send the chosen GPU type and the profile's fixed values, never its memory overhead", () => {
      const draft = draftFromProfile(RAPIDS_PROFILE);
      draft.executors.count = 4;
      draft.executors.gpuType = 'NVIDIA-A100-80GB';
      expect(sizingFromDraft(draft, RAPIDS_PROFILE)).toEqual({
        driver: { cores: 1, memoryMiB: 4096, gpus: 0 },
        executors: { count: 4, cores: 4, memoryMiB: 16384, gpus: 1, gpuType: 'NVIDIA-A100-80GB' }
      });
    });

    it('should send no GPU type the user cannot choose (a profile without options keeps its own)', () => {
      const typed: IProfile = { ...GPU_PROFILE, executors: { ...GPU_PROFILE.executors, gpuType: 'NVIDIA-L4', memoryOverheadMiB: 4096 } };
      expect(sizingFromDraft(draftFromProfile(typed), typed).executors).toEqual({ count: 2, cores: 4, memoryMiB: 8192, gpus: 1 });
    });
  });

  describe('relaunch of a shape into another tenant’s profile', () => {
    const shape: ISizing = {
      driver: { cores: 1, memoryMiB: 4096, gpus: 0 },
      executors: { count: 6, cores: 4, memoryMiB: 16384, gpus: 2, gpuType: 'NVIDIA-A100-80GB' }
    };

    it('should keep values outside the target options and name each bound (no silent clamping)', () => {
      const draft = draftFromSizing(OTHER_TENANT_RAPIDS, shape);
      expect(draft.executors).toMatchObject({ count: 6, gpus: 2, memoryMiB: 16384, gpuType: 'NVIDIA-A100-80GB' });
      const c = check(OTHER_TENANT_RAPIDS, draft);
      expect(c.valid).toBe(false);
      expect(issuesFor(c, 'executors.count')).toEqual(['Executors: between 1 and 4']);
      expect(issuesFor(c, 'executors.gpus')).toEqual(['Executor GPUs: one of 1']);
      expect(issuesFor(c, 'executors.gpuType')).toEqual(['Executor GPU type: one of NVIDIA-L4']);
      // 16 GiB is one of its choices.
      expect(issuesFor(c, 'executors.memoryMiB')).toEqual([]);
    });

    it("should take the target profile's value where it fixes a field, and say so", () => {
      const draft = draftFromSizing(OTHER_TENANT_RAPIDS, shape);
      expect(draft.driver.cores).toBe(2);
      expect(fixedNotes(OTHER_TENANT_RAPIDS, shape, t)).toEqual(['Driver cores is set by this profile: 2 (the notebook had 1)']);
    });

    it("should give an old shape without a GPU type the profile's default, and accept it", () => {
      const old = parseSharedShape({ profile: 'rapids', sizing: { driver: { cores: 1, memoryMiB: 4096, gpus: 0 }, executors: { count: 3, cores: 4, memoryMiB: 16384, gpus: 1 } } });
      expect(old).not.toBeNull();
      const draft = draftFromSizing(RAPIDS_PROFILE, old!.sizing);
      expect(draft.executors.gpuType).toBe('NVIDIA-L4');
      expect(check(RAPIDS_PROFILE, draft).valid).toBe(true);
      expect(fixedNotes(RAPIDS_PROFILE, old!.sizing, t)).toEqual([]);
    });

    it("should use the profile's executor mode and say the shape's differed", () => {
      const withOptions: IProfile = { ...DYNAMIC_PROFILE, options: { driver: {}, executors: { max: { min: 1, max: 6 } } } };
      const draft = draftFromSizing(withOptions, { ...shape, executors: { count: 3, cores: 2, memoryMiB: 4096, gpus: 0 } });
      expect(draft.autoscale).toBe(true);
      expect(fixedNotes(withOptions, { ...shape, executors: { count: 3, cores: 2, memoryMiB: 4096, gpus: 0 } }, t)).toContain(
        'This profile sizes executors with autoscale (the notebook had a fixed count)'
      );
    });
  });
});

describe('extension/validate (issue 18)', () => {
  describe('#toSharedSizing()', () => {
    it("should keep a cluster's user-chosen GPU type and drop its memory overhead and anything else", () => {
      const sizing = {
        driver: { cores: 1, memoryMiB: 4096, gpus: 0, memoryOverheadMiB: 1024, secrets: ['db-password'] },
        executors: {
          count: 2,
          cores: 4,
          memoryMiB: 16384,
          gpus: 1,
          gpuType: 'NVIDIA-L4',
          memoryOverheadMiB: 8192,
          volumes: [{ claimName: 'alice-data' }],
          claimName: 'alice-data'
        }
      } as ISizing;
      const shared = toSharedSizing(cluster({ sizing }).sizing);
      expect(shared).toEqual({
        driver: { cores: 1, memoryMiB: 4096, gpus: 0 },
        executors: { count: 2, cores: 4, memoryMiB: 16384, gpus: 1, gpuType: 'NVIDIA-L4' }
      });
      expect(JSON.stringify(shared)).not.toMatch(/Overhead|secret|claim|volume|alice|db-password/);
    });
  });

  describe('#parseSharedShape()', () => {
    it('should keep a GPU type and refuse a shape whose GPU type is no node label value', () => {
      const sizing = { driver: { cores: 1, memoryMiB: 4096, gpus: 0 }, executors: { count: 1, cores: 4, memoryMiB: 8192, gpus: 1, gpuType: 'NVIDIA-L4' } };
      expect(parseSharedShape({ profile: 'rapids', sizing })?.sizing.executors.gpuType).toBe('NVIDIA-L4');
      for (const bad of [7, '', '../etc', 'x'.repeat(64)]) {
        expect(parseSharedShape({ profile: 'rapids', sizing: { ...sizing, executors: { ...sizing.executors, gpuType: bad } } })).toBeNull();
      }
    });
  });

  describe('#assertProfile()', () => {
    it('should accept options, null, and a gateway that sends none', () => {
      expect(() => assertProfile(RAPIDS_PROFILE)).not.toThrow();
      expect(() => assertProfile(GPU_PROFILE)).not.toThrow();
      const { options: _, ...older } = GPU_PROFILE;
      expect(() => assertProfile(older)).not.toThrow();
    });

    it('should name a malformed option', () => {
      const bad = (options: unknown) => () => assertProfile({ ...RAPIDS_PROFILE, options });
      expect(bad({ driver: {}, executors: { count: { choices: [] } } })).toThrow(new ValidationError('profile.options.executors.count.choices must be a non-empty array'));
      expect(bad({ driver: { cores: { min: '1', max: null } }, executors: {} })).toThrow(new ValidationError('profile.options.driver.cores.min must be a finite number'));
      expect(bad({ driver: {}, executors: { gpuType: { choices: [1] } } })).toThrow(new ValidationError('profile.options.executors.gpuType.choices[0] must be a GPU type (a node label value)'));
      expect(bad({ driver: { count: { min: 1, max: 2 } }, executors: {} })).toThrow(new ValidationError('profile.options.driver.count is not a sizing field'));
    });
  });
});

describe('extension/sizing (GPU types on nodes, issue 18)', () => {
  const nodes = {
    nodes: 3,
    largest: { gpus: 2, cores: 16, memoryMiB: 64 * 1024 },
    gpuTypes: [
      { type: 'NVIDIA-A100-80GB', gpus: 2, nodes: 1, perNode: 2 },
      { type: 'NVIDIA-L4', gpus: 1, nodes: 1, perNode: 1 }
    ]
  };

  it("should fit a GPU pod of a type to that type's nodes only, as the gateway", () => {
    const draft = draftFromProfile(RAPIDS_PROFILE);
    draft.executors.gpus = 2;
    expect(issuesFor(check(RAPIDS_PROFILE, draft, nodes), 'executors.gpus')).toEqual([
      'no node holds 2 GPUs of type NVIDIA-L4 per executor: the largest has 1'
    ]);
    draft.executors.gpuType = 'NVIDIA-A100-80GB';
    expect(check(RAPIDS_PROFILE, draft, nodes).issues).toEqual([]);
  });

  it('should name the types there are for a type no node has, also the profile’s own (not chosen)', () => {
    const h100: IProfile = { ...GPU_PROFILE, executors: { ...GPU_PROFILE.executors, gpuType: 'NVIDIA-H100' } };
    expect(check(h100, undefined, nodes).issues).toEqual([
      { field: 'executors.gpuType', message: 'no node has NVIDIA-H100 GPUs: the nodes have NVIDIA-A100-80GB, NVIDIA-L4' }
    ]);
  });
});

describe('extension/panel/labels (GPU types, issue 18)', () => {
  it("should name a profile's GPU type on its card", () => {
    expect(profileFacts(RAPIDS_PROFILE, t).executors).toBe('Executors: 2 × 1 GPU (NVIDIA-L4) · 4 cores · 16 GiB');
    expect(profileFacts(GPU_PROFILE, t).executors).toBe('Executors: 2 × 1 GPU · 4 cores · 8 GiB');
  });
});
