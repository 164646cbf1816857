import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { DriverPodKernel } from '../../../../../server/src/backends/kubernetes/driverPodKernel.js';
import { ANNOTATIONS } from '../../../../../server/src/backends/kubernetes/labels.js';
import { buildDriverObjects, driverPodName } from '../../../../../server/src/backends/kubernetes/objects.js';
import { silentLogger } from '../../../../../server/src/log.js';
import { config, FakeDelays, FakePods, podAt, sizing } from './fixtures.js';

// Active-active replicas (issue 13, item 4) and cull state on the pod (item 1): what one gateway
// writes on a driver pod, another gateway's DriverPodKernel of the same pod reads.
const ID = '0123abcd-0000-4000-8000-000000000000';
const objects = buildDriverObjects({
  kernelId: ID,
  podName: driverPodName(ID, 'x1y2z'),
  namespace: 'tenant-a',
  user: 'alice',
  tenant: 'a',
  profile: 'pyspark-gpu',
  kernelName: 'pyspark-gpu',
  spark: true,
  sizing: sizing(1, 1),
  key: 'f'.repeat(64),
  env: {},
  config
});
const driver: V1Pod = podAt.running({ ...objects.pod, metadata: { ...objects.pod.metadata, uid: 'uid-1' } }, '10.0.0.5');
const annotated = (annotations: Record<string, string>): V1Pod => ({
  ...driver,
  metadata: { ...driver.metadata, annotations: { ...driver.metadata?.annotations, ...annotations } }
});

function setup(extra: { presenceRefreshMs?: number | null } = {}) {
  const pods = new FakePods();
  pods.change(driver);
  const calls: string[] = [];
  const patches: Array<Record<string, string>> = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  let now = 1_000_000;
  const kernel = new DriverPodKernel({
    pods,
    namespace: 'tenant-a',
    podName: 'sg-0123abcd-x1y2z',
    uid: 'uid-1',
    podIP: '10.0.0.5',
    connection: objects.connection,
    kernelId: ID,
    spark: true,
    driverGpus: 1,
    annotate: async annotations => {
      calls.push('annotate');
      patches.push(annotations);
    },
    activity: {
      now: () => now,
      timer: (fn, ms) => {
        timers.push({ fn, ms });
        return () => undefined;
      }
    },
    deletePod: async () => {
      calls.push('delete');
    },
    readLog: async () => '',
    logger: silentLogger,
    delay: new FakeDelays().delay,
    ...extra
  });
  return { kernel, pods, calls, patches, timers, advance: (ms: number) => (now += ms) };
}

describe('DriverPodKernel across gateway replicas', () => {
  it('should mark the pod before deleting it when a gateway stops it on purpose', async () => {
    const { kernel, pods, calls, patches } = setup();
    const done = kernel.terminate(5000, { removed: true });
    await Promise.resolve();
    await Promise.resolve();
    pods.change(annotated({ [ANNOTATIONS.stopped]: 'removed' }), true);
    await done;
    expect(calls).toEqual(['annotate', 'delete']);
    expect(patches).toEqual([{ [ANNOTATIONS.stopped]: 'removed' }]);
  });

  it('should carry a cull reason in the mark', async () => {
    const { kernel, pods, patches } = setup();
    const done = kernel.terminate(0, { culled: 'culled after 60 min idle' });
    await Promise.resolve();
    pods.change(driver, true);
    await done;
    expect(patches).toEqual([{ [ANNOTATIONS.stopped]: 'culled after 60 min idle' }]);
  });

  it('should end as removed by a gateway when another gateway marks the pod removed, before the delete arrives', async () => {
    const { kernel, pods } = setup();
    pods.change(annotated({ [ANNOTATIONS.stopped]: 'removed' }));
    await expect(kernel.exited).resolves.toMatchObject({ byGateway: 'removed' });
  });

  it("should end as culled with the other gateway's reason", async () => {
    const { kernel, pods } = setup();
    pods.change(annotated({ [ANNOTATIONS.stopped]: 'culled after 60 min idle' }), true);
    await expect(kernel.exited).resolves.toEqual({ code: null, signal: null, reason: 'culled after 60 min idle', byGateway: 'culled' });
  });

  it('should still end as deleted by someone else when the pod carries no mark', async () => {
    const { kernel, pods } = setup();
    pods.change(driver, true);
    const exit = await kernel.exited;
    expect(exit.byGateway).toBeUndefined();
    expect(exit.reason).toContain('deleted');
  });

  it('should read back the newest activity any gateway recorded, ignoring a malformed one', () => {
    const { kernel, pods } = setup();
    expect(kernel.recordedActivity()).toBeNull();
    pods.change(annotated({ [ANNOTATIONS.lastActivity]: '2026-12-02T14:02:00.000Z' }));
    expect(kernel.recordedActivity()).toEqual(new Date('2026-12-02T14:02:00.000Z'));
    pods.change(annotated({ [ANNOTATIONS.lastActivity]: 'yesterday' }));
    expect(kernel.recordedActivity()).toBeNull();
  });

  it('should write activity at once, then at most once per 30 s, only the newest and only on change', () => {
    const { kernel, patches, timers, advance } = setup();
    const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 14, 0, s));
    kernel.noteActivity(at(0));
    expect(patches).toEqual([{ [ANNOTATIONS.lastActivity]: at(0).toISOString() }]);
    kernel.noteActivity(at(0));
    advance(5000);
    kernel.noteActivity(at(5));
    kernel.noteActivity(at(6));
    expect(patches).toHaveLength(1);
    expect(timers.map(t => t.ms)).toEqual([25_000]);
    advance(25_000);
    timers[0]?.fn();
    expect(patches.map(p => p[ANNOTATIONS.lastActivity])).toEqual([at(0).toISOString(), at(6).toISOString()]);
    advance(60_000);
    kernel.noteActivity(at(6));
    expect(patches).toHaveLength(2);
  });

  it('should write no activity once it is stopping', async () => {
    const { kernel, pods, patches } = setup();
    const done = kernel.terminate(0);
    pods.change(driver, true);
    await done;
    kernel.noteActivity(new Date());
    expect(patches).toEqual([]);
  });

  it('should say it has clients on the pod while they are attached, renewed every interval, and read any gateway\'s mark', () => {
    const { kernel, pods, patches, timers, advance } = setup();
    expect(kernel.connectedElsewhere()).toBe(false);
    kernel.clientsAttached(true);
    kernel.clientsAttached(true);
    const until = (p: Record<string, string>) => p[ANNOTATIONS.connectedUntil];
    expect(patches.map(until)).toEqual([new Date(1_000_000 + 90_000).toISOString()]);
    expect(timers.map(t => t.ms)).toEqual([30_000]);
    advance(30_000);
    timers[0]?.fn();
    expect(patches.map(until)).toEqual([new Date(1_090_000).toISOString(), new Date(1_120_000).toISOString()]);
    kernel.clientsAttached(false);
    pods.change(annotated({ [ANNOTATIONS.connectedUntil]: new Date(1_120_000).toISOString() }));
    expect(kernel.connectedElsewhere()).toBe(true);
    advance(90_000);
    expect(kernel.connectedElsewhere()).toBe(false);
  });

  it('should write no presence where no culler reads it, and renew at the interval its tenant needs', () => {
    const off = setup({ presenceRefreshMs: null });
    off.kernel.clientsAttached(true);
    expect([off.patches, off.timers]).toEqual([[], []]);
    const hourly = setup({ presenceRefreshMs: 600_000 });
    hourly.kernel.clientsAttached(true);
    expect(hourly.patches.map(p => p[ANNOTATIONS.connectedUntil])).toEqual([new Date(1_000_000 + 1_800_000).toISOString()]);
    expect(hourly.timers.map(t => t.ms)).toEqual([600_000]);
  });
});
