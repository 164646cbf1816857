import { describe, expect, it } from '@jest/globals';
import { holdsKernelStart, isBlankNotebook, plainKernelName, plainKernelspec, withPlainKernelspec } from '../../../extension/src/sharing.js';
import { GPU_PROFILE } from './fixtures.js';

const SHAPE = { profile: 'pyspark-gpu', sizing: { driver: GPU_PROFILE.driver, executors: GPU_PROFILE.executors } };
const UUID = '0f8e2a4c-3b1d-4e5f-9a7b-1c2d3e4f5a6b';

describe('extension/sharing', () => {
  describe('#plainKernelName()', () => {
    it('should strip the cluster id from a cluster kernel name', () => {
      expect(plainKernelName('pyspark-gpu--a1b2c3')).toBe('pyspark-gpu');
      expect(plainKernelName(`pyspark--${UUID}`)).toBe('pyspark');
    });

    it('should leave any other name as it is', () => {
      expect(plainKernelName('python3')).toBe('python3');
      expect(plainKernelName('pyspark--')).toBe('pyspark--');
      expect(plainKernelName('my-profile')).toBe('my-profile');
    });
  });

  describe('#plainKernelspec()', () => {
    it("should give the profile's kernelspec name and display name", () => {
      expect(plainKernelspec({ name: 'gpu-small--a1b2c3d4e5', display_name: 'PySpark GPU (small) · a1b2c3', language: 'python' })).toEqual({
        name: 'gpu-small',
        display_name: 'PySpark GPU (small)',
        language: 'python'
      });
    });

    it('should keep a display name that does not end with the id', () => {
      expect(plainKernelspec({ name: `pyspark--${UUID}`, display_name: 'My own name' })).toEqual({ name: 'pyspark', display_name: 'My own name' });
    });

    it('should answer null for a kernelspec that names no cluster', () => {
      expect(plainKernelspec({ name: 'python3', display_name: 'Python 3' })).toBeNull();
      expect(plainKernelspec(undefined)).toBeNull();
      expect(plainKernelspec({ display_name: 'x' })).toBeNull();
    });
  });

  describe('#withPlainKernelspec()', () => {
    it('should rewrite only metadata.kernelspec and keep the shape and the cells', () => {
      const content = {
        cells: [{ cell_type: 'code', source: 'spark.range(3).count()' }],
        metadata: {
          kernelspec: { name: 'pyspark-gpu--a1b2c3', display_name: 'PySpark GPU · a1b2c3', language: 'python' },
          sparkgate: SHAPE,
          language_info: { name: 'python' }
        },
        nbformat: 4,
        nbformat_minor: 5
      };
      const saved = withPlainKernelspec(content);
      expect(saved).toEqual({
        ...content,
        metadata: { ...content.metadata, kernelspec: { name: 'pyspark-gpu', display_name: 'PySpark GPU', language: 'python' } }
      });
      // The notebook in memory keeps its cluster's kernel.
      expect(content.metadata.kernelspec.name).toBe('pyspark-gpu--a1b2c3');
      expect(JSON.stringify(saved)).not.toContain('a1b2c3');
    });

    it('should return a notebook without a cluster kernelspec unchanged', () => {
      const content = { metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } } };
      expect(withPlainKernelspec(content)).toBe(content);
      const bare = { cells: [] };
      expect(withPlainKernelspec(bare)).toBe(bare);
    });
  });

  describe('#holdsKernelStart()', () => {
    it("should hold the profile's kernel of a notebook with a shape and no cluster of the user's", () => {
      expect(holdsKernelStart({ kernelName: 'pyspark-gpu', shape: SHAPE, ownCluster: false })).toBe(true);
      // A file saved before kernelspecs were made plain names another user's cluster.
      expect(holdsKernelStart({ kernelName: 'pyspark-gpu--ffeedd', shape: SHAPE, ownCluster: false })).toBe(true);
      // No kernelspec at all: JupyterLab would ask with its dialog.
      expect(holdsKernelStart({ kernelName: undefined, shape: SHAPE, ownCluster: false })).toBe(true);
    });

    it("should let the user's own cluster (a launch's notebook) start", () => {
      expect(holdsKernelStart({ kernelName: 'pyspark-gpu--a1b2c3', shape: SHAPE, ownCluster: true })).toBe(false);
    });

    it('should let notebooks without a shape, or switched to another kernel, start as JupyterLab decides', () => {
      expect(holdsKernelStart({ kernelName: 'pyspark-gpu', shape: null, ownCluster: false })).toBe(false);
      expect(holdsKernelStart({ kernelName: 'python3', shape: SHAPE, ownCluster: false })).toBe(false);
    });
  });

  describe('#isBlankNotebook()', () => {
    it('should be blank with no cells or only whitespace', () => {
      expect(isBlankNotebook([])).toBe(true);
      expect(isBlankNotebook(['', '  \n'])).toBe(true);
    });

    it('should not be blank with any code or text', () => {
      expect(isBlankNotebook(['', 'df = spark.range(10)'])).toBe(false);
      expect(isBlankNotebook(['# Notes'])).toBe(false);
    });
  });
});
