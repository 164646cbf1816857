// The notebook widget's idle-cull notice (issue 13, item 1): "shutting down in 5 min — idle since
// 14:02" with a Keep button while a cull is announced, and the reason once the cluster was culled.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JSDOM } from 'jsdom';
import { renderCullNotice } from '../../../extension/src/cullNotice.js';
import { cullNotice, driverStatus, timeLeft, visibleReason } from '../../../extension/src/status.js';
import { cluster } from './fixtures.js';

// Local wall-clock 14:02 whatever the machine's time zone: the widget shows local times.
const IDLE_SINCE = new Date(2026, 0, 2, 14, 2, 0);
const NOW = IDLE_SINCE.getTime() + 55 * 60_000;
const announced = cluster({ cullAt: new Date(NOW + 5 * 60_000).toISOString(), idleSince: IDLE_SINCE.toISOString() });

const globals = globalThis as { document?: Document };
let saved: Document | undefined;
beforeAll(() => {
  saved = globals.document;
  globals.document = new JSDOM('<!doctype html><body></body>').window.document;
});
afterAll(() => {
  globals.document = saved;
});

describe('extension/cullNotice', () => {
  describe('#cullNotice()', () => {
    it('should count down to the announced cull and say since when the cluster is idle', () => {
      expect(cullNotice(announced, NOW)?.text).toBe('shutting down in 5 min — idle since 14:02');
      expect(cullNotice(announced, NOW + 4 * 60_000 + 15_000)?.text).toBe('shutting down in 45 s — idle since 14:02');
      expect(cullNotice(announced, NOW + 6 * 60_000)?.text).toBe('shutting down now — idle since 14:02');
    });

    it('should say nothing without an announced cull, or for a cluster that is gone', () => {
      expect(cullNotice(cluster(), NOW)).toBeNull();
      expect(cullNotice({ ...announced, state: 'dead' }, NOW)).toBeNull();
      // A gateway without culling sends neither field.
      const { cullAt: _a, idleSince: _i, ...older } = announced;
      expect(cullNotice(older as typeof announced, NOW)).toBeNull();
    });

    it('should round the time left up', () => {
      expect([timeLeft(61_000), timeLeft(1), timeLeft(0)]).toEqual(['in 2 min', 'in 1 s', 'now']);
    });
  });

  describe('#renderCullNotice()', () => {
    it('should render the countdown and a Keep button that asks to keep this cluster', () => {
      const kept: string[] = [];
      const node = renderCullNotice(announced, { now: NOW, onKeep: id => kept.push(id) });
      expect(node?.querySelector('.sg-SparkStatus-cullText')?.textContent).toBe('shutting down in 5 min — idle since 14:02');
      const button = node?.querySelector('button');
      expect([button?.textContent, button?.disabled]).toEqual(['Keep', false]);
      button?.click();
      expect(kept).toEqual([announced.id]);
    });

    it('should disable Keep while a keep is on its way, and render nothing without a notice', () => {
      expect(renderCullNotice(announced, { now: NOW, onKeep: () => undefined, keeping: true })?.querySelector('button')?.disabled).toBe(true);
      expect(renderCullNotice(cluster(), { now: NOW, onKeep: () => undefined })).toBeNull();
    });
  });

  describe('#visibleReason()', () => {
    it('should show why a culled cluster is gone', () => {
      const culled = cluster({ state: 'dead', reason: 'culled after 60 min idle', driver: { state: 'dead', reason: 'culled after 60 min idle', gpus: 0 } });
      expect(visibleReason(driverStatus(culled))).toBe('culled after 60 min idle');
      expect(visibleReason(driverStatus(cluster()))).toBeNull();
    });
  });
});
