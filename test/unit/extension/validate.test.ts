import { describe, expect, it } from '@jest/globals';
import { assertMe, isClusterModel, parseSharedShape, ValidationError } from '../../../extension/src/validate.js';
import { cluster, GPU_PROFILE } from './fixtures.js';

describe('extension/validate', () => {
  describe('#assertMe()', () => {
    it('should accept a documented body with unlimited limits', () => {
      const me = {
        user: 'alice',
        tenant: 'team-a',
        backend: 'kubernetes',
        simulatedGpus: false,
        limits: { gpus: 4, cores: null, memoryMiB: null },
        usage: { gpus: 0, cores: 0, memoryMiB: 0 },
        nodes: null,
        profiles: [GPU_PROFILE]
      };
      expect(() => assertMe(me)).not.toThrow();
    });

    it('should name the bad field', () => {
      expect(() => assertMe({ user: 'a', tenant: 't', limits: {}, usage: {}, profiles: [] })).toThrow(
        new ValidationError('me.limits.gpus must be a finite number')
      );
    });
  });

  describe('#isClusterModel()', () => {
    it('should accept a cluster and reject a partial one', () => {
      expect(isClusterModel(cluster())).toBe(true);
      expect(isClusterModel({ id: 'x' })).toBe(false);
    });

    it('should accept a cull notice as ISO strings or null, and a gateway without culling (issue 13)', () => {
      expect(isClusterModel(cluster({ cullAt: '2026-01-02T15:02:00.000Z', idleSince: '2026-01-02T14:02:00.000Z' }))).toBe(true);
      const { cullAt: _a, idleSince: _i, ...older } = cluster();
      expect(isClusterModel(older)).toBe(true);
      expect(isClusterModel({ ...cluster(), cullAt: 5 })).toBe(false);
    });
  });

  describe('#parseSharedShape()', () => {
    it('should keep only profile and documented sizing fields', () => {
      const shape = parseSharedShape({
        profile: 'pyspark-gpu',
        tenant: 'team-a',
        token: 'secret',
        sizing: {
          driver: { cores: 1, memoryMiB: 2048, gpus: 0, namespace: 'ns' },
          executors: { count: 2, cores: 4, memoryMiB: 8192, gpus: 1, podName: 'p' }
        }
      });
      expect(shape).toEqual({
        profile: 'pyspark-gpu',
        sizing: {
          driver: { cores: 1, memoryMiB: 2048, gpus: 0 },
          executors: { count: 2, cores: 4, memoryMiB: 8192, gpus: 1 }
        }
      });
    });

    it('should return null for absent or malformed metadata', () => {
      expect(parseSharedShape(undefined)).toBeNull();
      expect(parseSharedShape({ profile: 'x', sizing: { driver: {} } })).toBeNull();
    });
  });
});
