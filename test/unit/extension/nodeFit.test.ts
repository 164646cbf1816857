// Issue 16 items 3, 6 and 7: the panel checks sizes against the largest node the gateway can see,
// shows the cluster's GPUs by type and says when the GPUs are simulated.
import { describe, expect, it } from '@jest/globals';
import type { IMe, INodeCapacity, IProfile } from '../../../extension/src/api.js';
import { clusterGpuLine, launchBlocker, simulatedNotice } from '../../../extension/src/panel/labels.js';
import { checkSizing, draftFromProfile, issuesFor, nodeFitIssues } from '../../../extension/src/sizing.js';
import { plainTrans as t } from '../../../extension/src/trans.js';
import { assertMe, ValidationError } from '../../../extension/src/validate.js';
import { GPU_PROFILE, PYTHON_PROFILE } from './fixtures.js';

/** The demo cluster: a CPU node and a node with 2 GPUs (no product label), 8 cores, 62.5 GiB. */
const DEMO_NODES: INodeCapacity = {
  nodes: 2,
  largest: { gpus: 2, cores: 8, memoryMiB: 64000 },
  gpuTypes: [{ type: 'unknown', gpus: 2, nodes: 1, perNode: 2 }]
};

const CPU_ONLY: INodeCapacity = { nodes: 1, largest: { gpus: 0, cores: 4, memoryMiB: 16384 }, gpuTypes: [] };

const ROOMY = { gpus: 8, cores: null, memoryMiB: null };
const NOTHING = { gpus: 0, cores: 0, memoryMiB: 0 };

const sized = (over: { driver?: Partial<IProfile['driver']>; executors?: Partial<IProfile['executors']> }) => ({
  driver: { ...GPU_PROFILE.driver, ...over.driver },
  executors: { ...GPU_PROFILE.executors, ...over.executors }
});

describe('extension/sizing (nodes)', () => {
  describe('#nodeFitIssues()', () => {
    it('should not check when the gateway cannot see nodes, or sees none schedulable (as the gateway)', () => {
      const huge = sized({ driver: { gpus: 64 } });
      expect(nodeFitIssues(huge, true, null, t)).toEqual([]);
      expect(nodeFitIssues(huge, true, { ...DEMO_NODES, nodes: 0 }, t)).toEqual([]);
    });

    it('should name the limit of a driver asking more GPUs than any node has', () => {
      expect(nodeFitIssues(sized({ driver: { gpus: 3 } }), true, DEMO_NODES, t)).toEqual([
        { field: 'driver.gpus', message: 'no node holds 3 GPUs per driver: the largest has 2' }
      ]);
    });

    it('should check each executor, not their sum', () => {
      // 2 executors × 2 GPUs = 4 GPUs in all, but each pod fits the 2-GPU node.
      expect(nodeFitIssues(sized({ executors: { gpus: 2 } }), true, DEMO_NODES, t)).toEqual([]);
      expect(nodeFitIssues(sized({ executors: { gpus: 3, cores: 16 } }), true, DEMO_NODES, t)).toEqual([
        { field: 'executors.gpus', message: 'no node holds 3 GPUs per executor: the largest has 2' },
        { field: 'executors.cores', message: 'no node holds 16 cores per executor: the largest has 8' }
      ]);
    });

    it('should say there are no GPU nodes at all', () => {
      expect(nodeFitIssues(sized({}), true, CPU_ONLY, t)).toEqual([
        { field: 'executors.gpus', message: 'no node has GPUs: ask for 0 GPUs per executor' }
      ]);
    });

    it("should compare memory with the gateway's pod overhead added", () => {
      // 44 GiB heap + 40% overhead = 61.6 GiB fits a 62.5 GiB node; 60 GiB + 24 GiB does not.
      expect(nodeFitIssues(sized({ driver: { memoryMiB: 44 * 1024 } }), true, DEMO_NODES, t)).toEqual([]);
      expect(nodeFitIssues(sized({ driver: { memoryMiB: 60 * 1024 } }), true, DEMO_NODES, t)).toEqual([
        { field: 'driver.memoryMiB', message: 'no node holds 60 GiB per driver (84 GiB with overhead): the largest has 62.5 GiB' }
      ]);
      // Small heaps get the floor: 512 MiB (driver) and 384 MiB (executor).
      const tiny: INodeCapacity = { nodes: 1, largest: { gpus: 1, cores: 8, memoryMiB: 1200 }, gpuTypes: [] };
      expect(nodeFitIssues(sized({ driver: { memoryMiB: 768 }, executors: { memoryMiB: 768 } }), true, tiny, t)).toEqual([
        { field: 'driver.memoryMiB', message: 'no node holds 768 MiB per driver (1.25 GiB with overhead): the largest has 1.17 GiB' }
      ]);
    });

    it('should leave executors out when none run or the profile has no Spark', () => {
      const big = sized({ executors: { gpus: 9, count: 0 } });
      expect(nodeFitIssues(big, true, DEMO_NODES, t)).toEqual([]);
      expect(nodeFitIssues(sized({ executors: { gpus: 9 } }), false, DEMO_NODES, t)).toEqual([]);
    });
  });

  describe('#checkSizing() with nodes', () => {
    it('should refuse 3 GPUs per driver on 2-GPU nodes though the quota allows it, on the field and in Launch', () => {
      const draft = draftFromProfile(GPU_PROFILE);
      draft.driver.gpus = 3;
      const check = checkSizing(draft, { profile: GPU_PROFILE, limits: ROOMY, usage: NOTHING, nodes: DEMO_NODES, trans: t });
      expect(check.valid).toBe(false);
      expect(issuesFor(check, 'driver.gpus')).toEqual(['no node holds 3 GPUs per driver: the largest has 2']);
      // Totals are within the quota of 8 GPUs: only the node says no.
      expect(issuesFor(check, 'gpus')).toEqual([]);
      const me: IMe = {
        user: 'ada',
        tenant: 'team',
        backend: 'kubernetes',
        simulatedGpus: true,
        limits: ROOMY,
        usage: NOTHING,
        nodes: DEMO_NODES,
        profiles: [GPU_PROFILE]
      };
      expect(launchBlocker({ me, check, busy: false }, t)).toBe('Launch is disabled: no node holds 3 GPUs per driver: the largest has 2.');
    });

    it('should accept the same draft when nodes are unknown (the gateway checks quotas only then)', () => {
      const draft = draftFromProfile(GPU_PROFILE);
      draft.driver.gpus = 3;
      expect(checkSizing(draft, { profile: GPU_PROFILE, limits: ROOMY, usage: NOTHING, nodes: null, trans: t }).valid).toBe(true);
    });

    it('should report both a node and a quota problem', () => {
      const draft = draftFromProfile(GPU_PROFILE);
      draft.executors.gpus = 3;
      const check = checkSizing(draft, { profile: GPU_PROFILE, limits: { ...ROOMY, gpus: 4 }, usage: NOTHING, nodes: DEMO_NODES, trans: t });
      expect(issuesFor(check, 'executors.gpus')).toEqual(['no node holds 3 GPUs per executor: the largest has 2']);
      expect(issuesFor(check, 'gpus')).toEqual(['6 GPUs asked, tenant limit 4, 0 in use']);
    });
  });
});

describe('extension/panel/labels (nodes)', () => {
  describe('#clusterGpuLine()', () => {
    it('should list GPUs by type with the most one pod can get, and say they are totals', () => {
      const nodes: INodeCapacity = {
        nodes: 5,
        largest: { gpus: 8, cores: 96, memoryMiB: 1_000_000 },
        gpuTypes: [
          { type: 'NVIDIA-A100-SXM4-80GB', gpus: 16, nodes: 2, perNode: 8 },
          { type: 'Tesla-T4', gpus: 4, nodes: 4, perNode: 1 }
        ]
      };
      expect(clusterGpuLine(nodes, t)).toBe('GPUs in the cluster (total): 16 × NVIDIA-A100-SXM4-80GB, up to 8 per pod; 4 × Tesla-T4, up to 1 per pod');
    });

    it('should name the resource where nodes carry no GPU model label (the demo cluster)', () => {
      expect(clusterGpuLine(DEMO_NODES, t)).toBe('GPUs in the cluster (total): 2 × nvidia.com/gpu, up to 2 per pod');
    });

    it('should say none on CPU-only nodes, and nothing when nodes are unknown', () => {
      expect(clusterGpuLine(CPU_ONLY, t)).toBe('GPUs in the cluster: none (1 node)');
      expect(clusterGpuLine({ ...CPU_ONLY, nodes: 3 }, t)).toBe('GPUs in the cluster: none (3 nodes)');
      expect(clusterGpuLine(null, t)).toBeNull();
    });
  });

  describe('#simulatedNotice()', () => {
    it('should say plainly that the GPUs are simulated, only when they are', () => {
      expect(simulatedNotice({ simulatedGpus: true }, t)).toBe('GPUs are simulated (demo cluster): Spark schedules them, nothing computes on a GPU.');
      expect(simulatedNotice({ simulatedGpus: false }, t)).toBeNull();
    });
  });
});

describe('extension/validate (nodes)', () => {
  const body = (over: Record<string, unknown>) => ({
    user: 'ada',
    tenant: 'team',
    backend: 'kubernetes',
    simulatedGpus: true,
    limits: ROOMY,
    usage: NOTHING,
    nodes: DEMO_NODES,
    profiles: [GPU_PROFILE, PYTHON_PROFILE],
    ...over
  });

  it('should accept nodes as an object or null', () => {
    expect(() => assertMe(body({}))).not.toThrow();
    expect(() => assertMe(body({ nodes: null }))).not.toThrow();
  });

  it('should name a bad nodes field, a missing simulatedGpus and a missing profile total', () => {
    expect(() => assertMe(body({ nodes: { ...DEMO_NODES, largest: { gpus: -1, cores: 8, memoryMiB: 1 } } }))).toThrow(
      new ValidationError('me.nodes.largest.gpus must not be negative')
    );
    expect(() => assertMe(body({ nodes: { ...DEMO_NODES, gpuTypes: [{ type: 1 }] } }))).toThrow(new ValidationError('me.nodes.gpuTypes[0].type must be a string'));
    expect(() => assertMe(body({ nodes: undefined }))).toThrow(new ValidationError('me.nodes must be an object'));
    expect(() => assertMe(body({ simulatedGpus: undefined }))).toThrow(new ValidationError('me.simulatedGpus must be a boolean'));
    const { totals: _totals, ...noTotals } = GPU_PROFILE;
    expect(() => assertMe(body({ profiles: [noTotals] }))).toThrow(new ValidationError('me.profiles[0].totals must be an object'));
  });
});
