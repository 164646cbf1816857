// Cluster names `<profile>--<id>` and which discovered kernels are taken over (issue 12, item 1).
import { describe, expect, it } from '@jest/globals';
import { clusterName, parseClusterName, resolveStartName } from '../../../../server/src/kernels/adoption.js';

const ID = '0c0ffee0-1111-2222-3333-444455556666';
const alice = { user: 'alice', tenant: 't' };

describe('kernels/adoption', () => {
  describe('clusterName() / parseClusterName()', () => {
    it('should round-trip, and take any other name for a plain kernelspec', () => {
      expect(clusterName('pyspark-gpu', ID)).toBe(`pyspark-gpu--${ID}`);
      expect(parseClusterName(clusterName('pyspark-gpu', ID))).toEqual({ profileId: 'pyspark-gpu', kernelId: ID });
      expect(parseClusterName('a--b--' + ID)).toEqual({ profileId: 'a--b', kernelId: ID });
      expect(parseClusterName('python3')).toBeNull();
      expect(parseClusterName('pyspark--not-an-id')).toBeNull();
    });
  });

  describe('resolveStartName()', () => {
    const cluster = { name: `pyspark--${ID}`, owner: alice };
    const find = (id: string) => (id === ID ? cluster : undefined);

    it("should give back the caller's own running cluster", () => {
      expect(resolveStartName({ owner: alice, name: cluster.name }, find)).toEqual({ kernel: cluster });
    });

    it("should start the plain profile for someone else's cluster or a finished one", () => {
      expect(resolveStartName({ owner: { user: 'bob', tenant: 't' }, name: cluster.name }, find)).toEqual({ name: 'pyspark' });
      expect(resolveStartName({ owner: alice, name: `pyspark--${ID.replace('0c', '0d')}` }, find)).toEqual({ name: 'pyspark' });
      // Same id, another profile in the name: not that cluster.
      expect(resolveStartName({ owner: alice, name: `python3--${ID}` }, find)).toEqual({ name: 'python3' });
    });

    it('should leave plain names (and none) as they are', () => {
      expect(resolveStartName({ owner: alice, name: 'python3' }, find)).toEqual({ name: 'python3' });
      expect(resolveStartName({ owner: alice }, find)).toEqual({ name: undefined });
    });
  });
});

