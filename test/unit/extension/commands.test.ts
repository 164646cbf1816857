import { describe, expect, it } from '@jest/globals';
import { canShutDown, CommandIDs, enablementKey, launchLabel, launchProfileOf, sparkUiTarget } from '../../../extension/src/commands.js';
import { plainTrans } from '../../../extension/src/trans.js';
import { DEFAULT_SETTINGS, parseSettings } from '../../../extension/src/settings.js';
import { cluster } from './fixtures.js';

const BASE = 'http://127.0.0.1:8888/user/alice/';

describe('extension/commands', () => {
  it('should use the documented command ids', () => {
    expect(Object.values(CommandIDs)).toEqual(['sparkgate:open-panel', 'sparkgate:launch', 'sparkgate:shutdown-cluster', 'sparkgate:open-spark-ui']);
  });

  describe('#canShutDown()', () => {
    it('should be enabled for a live cluster, launching ones included', () => {
      for (const state of ['requested', 'launching', 'ready', 'busy'] as const) {
        expect(canShutDown(cluster({ state }))).toBe(true);
      }
    });

    it('should be disabled without a cluster, or for a failed or dead one', () => {
      expect(canShutDown(undefined)).toBe(false);
      expect(canShutDown(cluster({ state: 'failed' }))).toBe(false);
      expect(canShutDown(cluster({ state: 'dead' }))).toBe(false);
    });
  });

  describe('#sparkUiTarget()', () => {
    it("should open the live cluster's Spark UI under the Jupyter base URL", () => {
      expect(sparkUiTarget(BASE, cluster({ sparkUi: 'ui/k-1/' }))).toBe(`${BASE}sparkgate/ui/k-1/`);
    });

    it('should be disabled without a cluster, a Spark UI, or once the cluster is gone', () => {
      expect(sparkUiTarget(BASE, undefined)).toBeNull();
      expect(sparkUiTarget(BASE, cluster({ sparkUi: null }))).toBeNull();
      expect(sparkUiTarget(BASE, cluster({ state: 'dead' }))).toBeNull();
    });
  });

  describe('#launchProfileOf()', () => {
    it('should launch the profile argument, else the default profile setting', () => {
      expect(launchProfileOf({ profile: 'gpu-small' }, 'pyspark')).toBe('gpu-small');
      expect(launchProfileOf({}, 'pyspark')).toBe('pyspark');
      expect(launchProfileOf({ profile: '' }, null)).toBeNull();
      expect(launchProfileOf({ profile: 3 }, null)).toBeNull();
    });

    it('should name the profile in the label when given', () => {
      expect(launchLabel({ profile: 'gpu-small' }, plainTrans)).toBe("Launch a Spark Cluster ('gpu-small')");
      expect(launchLabel({}, plainTrans)).toBe('Launch a Spark Cluster (Default Profile)');
    });
  });

  describe('#enablementKey()', () => {
    it('should change when enablement changes, not with job progress', () => {
      const ready = cluster({ state: 'ready' });
      const busy = cluster({ state: 'busy', job: { id: 1, name: 'count', stages: { done: 0, total: 1 }, tasks: { done: 3, running: 1, total: 8 } } });
      expect(enablementKey(BASE, ready)).toBe(enablementKey(BASE, busy));
      expect(enablementKey(BASE, ready)).not.toBe(enablementKey(BASE, undefined));
      expect(enablementKey(BASE, cluster({ sparkUi: null }))).not.toBe(enablementKey(BASE, ready));
    });
  });
});

describe('extension/settings', () => {
  it('should read the settings and fall back to the defaults for missing or mistyped values', () => {
    expect(parseSettings({ defaultProfile: 'gpu-small', showCellProgress: false })).toEqual({ defaultProfile: 'gpu-small', showCellProgress: false });
    expect(parseSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings(null)).toEqual({ defaultProfile: null, showCellProgress: true });
    expect(parseSettings({ defaultProfile: '  ', showCellProgress: 'no' })).toEqual(DEFAULT_SETTINGS);
  });
});
