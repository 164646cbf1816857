import { describe, expect, it } from '@jest/globals';
import {
  capacityRows,
  clusterEntry,
  freeLine,
  launchBlocker,
  profileFacts,
  shortId,
  sizingText,
  startedText,
  usageLine
} from '../../../extension/src/panel/labels.js';
import { plainTrans as t } from '../../../extension/src/trans.js';
import { checkSizing, draftFromProfile } from '../../../extension/src/sizing.js';
import type { IMe } from '../../../extension/src/api.js';
import { cluster, DYNAMIC_PROFILE, GPU_PROFILE, PYTHON_PROFILE } from './fixtures.js';

const ME: IMe = {
  user: 'ada',
  tenant: 'team',
  backend: 'kubernetes',
  simulatedGpus: false,
  limits: { gpus: 4, cores: null, memoryMiB: 65536 },
  usage: { gpus: 1, cores: 3, memoryMiB: 10240 },
  nodes: null,
  profiles: [GPU_PROFILE, DYNAMIC_PROFILE, PYTHON_PROFILE]
};

const START = '2026-12-02T23:40:00.000Z';
const at = (iso: string): number => Date.parse(iso);

describe('extension/panel/labels', () => {
  describe('#capacityRows()', () => {
    it('should put the quota left (limits − usage) next to each total, unlimited when null', () => {
      const check = checkSizing(draftFromProfile(GPU_PROFILE), { profile: GPU_PROFILE, limits: ME.limits, usage: ME.usage });
      const rows = capacityRows(check, ME, t);
      expect(rows.map(r => [r.label, r.asked, r.left])).toEqual([
        ['GPUs', '2', '3 of 4 left'],
        ['Cores', '9', 'unlimited'],
        ['Memory', '18 GiB', '54 of 64 GiB left']
      ]);
      expect(rows.every(r => r.issues.length === 0)).toBe(true);
    });

    it('should show a min–max range with autoscale and attach the refusal to its resource', () => {
      const draft = draftFromProfile(DYNAMIC_PROFILE);
      draft.executors.gpus = 2;
      const check = checkSizing(draft, { profile: DYNAMIC_PROFILE, limits: ME.limits, usage: ME.usage });
      const gpus = capacityRows(check, ME, t)[0]!;
      expect(gpus.asked).toBe('2–8');
      expect(gpus.issues).toEqual(['8 GPUs asked, tenant limit 4, 1 in use']);
    });
  });

  describe('#usageLine() / #freeLine()', () => {
    it('should say what is in use against the limit and what is free, unlimited when null', () => {
      expect(usageLine(ME.limits, ME.usage, t)).toBe('In use: 1/4 GPUs · 3 cores · 10 GiB/64 GiB memory');
      expect(freeLine(ME.limits, ME.usage, t)).toBe('Free for you: 3 GPUs · unlimited cores · 54 GiB memory');
    });
  });

  describe('#launchBlocker()', () => {
    it("should give the refusal's words as the reason Launch is disabled", () => {
      const draft = draftFromProfile(GPU_PROFILE);
      draft.driver.gpus = 3;
      const check = checkSizing(draft, { profile: GPU_PROFILE, limits: ME.limits, usage: ME.usage });
      expect(launchBlocker({ me: ME, check, busy: false }, t)).toBe('Launch is disabled: 5 GPUs asked, tenant limit 4, 1 in use.');
    });

    it('should be null when the sizing fits, and say why while loading or sending', () => {
      const check = checkSizing(draftFromProfile(GPU_PROFILE), { profile: GPU_PROFILE, limits: ME.limits, usage: ME.usage });
      expect(launchBlocker({ me: ME, check, busy: false }, t)).toBeNull();
      expect(launchBlocker({ me: ME, check, busy: true }, t)).toBe('Sending the launch request…');
      expect(launchBlocker({ me: null, check: null, busy: false }, t)).toMatch(/until profiles and limits load/);
    });
  });

  describe('#profileFacts()', () => {
    it("should list a profile's GPUs, cores, memory and executors", () => {
      expect(profileFacts({ ...GPU_PROFILE, warm: 1 }, t)).toEqual({
        driver: 'Driver: 1 core · 2 GiB',
        executors: 'Executors: 2 × 1 GPU · 4 cores · 8 GiB',
        warm: '1 warm driver: ready at once'
      });
      expect(profileFacts(DYNAMIC_PROFILE, t).executors).toBe('Executors: 1–4 × 2 cores · 4 GiB');
      expect(profileFacts(PYTHON_PROFILE, t).executors).toBe('No Spark: a plain kernel');
    });
  });

  describe('#sizingText()', () => {
    it('should name a GPU type where the cluster has one (a user may have chosen it)', () => {
      const sizing = { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 2, cores: 4, memoryMiB: 4096, gpus: 1, gpuType: 'NVIDIA-L4', memoryOverheadMiB: 6144 } };
      expect(sizingText(sizing, true, t)).toBe('2 × 1 GPU (NVIDIA-L4) executors · driver 1 core');
    });

    it('should tell GPU executors and the driver apart', () => {
      const sizing = { driver: { cores: 1, memoryMiB: 1024, gpus: 1 }, executors: { count: 2, cores: 4, memoryMiB: 8192, gpus: 1 } };
      expect(sizingText(sizing, true, t)).toBe('2 × 1 GPU executors · driver 1 GPU');
    });

    it('should show core executors, ranges and driver-only kernels', () => {
      expect(sizingText({ driver: DYNAMIC_PROFILE.driver, executors: DYNAMIC_PROFILE.executors }, true, t)).toBe(
        '1–4 × 2-core executors · driver 0.5 cores'
      );
      expect(sizingText({ driver: PYTHON_PROFILE.driver, executors: PYTHON_PROFILE.executors }, false, t)).toBe('driver 1 core');
    });
  });

  describe('#clusterEntry()', () => {
    const id = '0f8e2a9c-1111-2222-3333-444455556666';

    it('should tell two clusters of one profile apart by short id, start time and sizing', () => {
      const a = clusterEntry({ cluster: cluster({ id, createdAt: START }), now: at('2026-12-02T23:41:00.000Z'), endedAt: null }, t);
      const b = clusterEntry(
        { cluster: cluster({ id: 'b7c41d00-aaaa', createdAt: '2026-12-02T23:45:00.000Z' }), now: at('2026-12-02T23:46:00.000Z'), endedAt: null },
        t
      );
      expect(a.shortId).toBe('0f8e2a9c');
      expect(b.shortId).toBe('b7c41d00');
      expect(a.name).toBe(b.name);
      expect(a.started).not.toBe(b.started);
      expect(a.sizing).toBe('2 × 1 GPU executors · driver 1 core');
      expect(a).toMatchObject({ lifetime: 'up 1m', sparkUi: true, action: 'shutdown', reason: null, executors: '2/2 executors' });
    });

    it('should show a failed entry with its reason, how long it took, no Spark UI and a Dismiss', () => {
      const c = cluster({ id, createdAt: START, state: 'failed', phase: 'scheduling', reason: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu' });
      const e = clusterEntry({ cluster: c, now: at('2026-12-02T23:50:00.000Z'), endedAt: at('2026-12-02T23:40:24.000Z') }, t);
      expect(e).toMatchObject({
        chip: { label: 'Failed', tone: 'error' },
        lifetime: 'failed after 24s',
        sparkUi: false,
        action: 'dismiss',
        executors: null,
        reason: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu'
      });
      expect(e.lifetime).not.toMatch(/^up /);
    });

    it('should leave out an executor count where the backend counts none (local: executors run in the driver)', () => {
      const c = cluster({ executors: { ready: 0, pending: 0, desired: 0, pendingReason: null, list: [] } });
      expect(clusterEntry({ cluster: c, now: Date.now(), endedAt: null }, t).executors).toBeNull();
    });

    it('should not repeat the reason the launch progress shows, nor invent an end it did not see', () => {
      const c = cluster({ state: 'dead', reason: 'culled: idle 60 min' });
      const e = clusterEntry({ cluster: c, now: Date.now(), endedAt: null, hideReason: true }, t);
      expect(e).toMatchObject({ lifetime: 'ended', reason: null, sparkUi: false, action: 'dismiss' });
    });
  });

  describe('#shortId() / #startedText()', () => {
    it('should keep the first 8 characters of an id', () => {
      expect(shortId('0f8e2a9c-1111')).toBe('0f8e2a9c');
      expect(shortId('a1b2')).toBe('a1b2');
    });

    it('should give the local time today and the date on other days', () => {
      const start = new Date(START);
      const hhmm = `${String(start.getHours()).padStart(2, '0')}:${String(start.getMinutes()).padStart(2, '0')}`;
      expect(startedText(START, start.getTime() + 60_000, t)).toBe(`started ${hhmm}`);
      expect(startedText(START, start.getTime() + 3 * 86_400_000, t)).toMatch(new RegExp(`^started \\d{4}-\\d{2}-\\d{2} ${hhmm}$`));
    });
  });
});
