import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { DriverPodKernel, type DriverPodKernelOptions } from '../../../../../server/src/backends/kubernetes/driverPodKernel.js';
import { buildDriverObjects, driverPodName } from '../../../../../server/src/backends/kubernetes/objects.js';
import { createLogger, silentLogger } from '../../../../../server/src/log.js';
import { config, FakeDelays, FakePods, podAt, sizing } from './fixtures.js';

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
const executor = (name: string, ownerUid: string, phase: string): V1Pod => ({
  metadata: {
    name,
    namespace: 'tenant-a',
    uid: `uid-${name}`,
    labels: { 'app.kubernetes.io/component': 'executor', 'sparkgate.io/kernel-id': ID },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'sg-0123abcd-x1y2z', uid: ownerUid }]
  },
  spec: { containers: [{ name: 'spark-kubernetes-executor', resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
  status: { phase }
});

/** Timers a test fires by hand (the node-loss check's pauses). */
class ManualTimers {
  readonly pending: Array<{ fn: () => void; ms: number }> = [];
  readonly timer = (fn: () => void, ms: number): (() => void) => {
    const entry = { fn, ms };
    this.pending.push(entry);
    return () => this.pending.splice(this.pending.indexOf(entry) >>> 0, 1);
  };

  /** Fires the oldest pending timer; returns its delay. */
  fire(): number {
    const next = this.pending.shift();
    if (!next) {
      throw new Error('no pending timer');
    }
    next.fn();
    return next.ms;
  }
}

/** Lets the check's awaited asks settle. */
const settle = (): Promise<void> => new Promise(resolve => setImmediate(resolve));

/** A node-loss check whose pod never answers and whose pauses pass at once. */
const unreachable: DriverPodKernelOptions['nodeLoss'] = {
  reachable: async () => false,
  timer: fn => {
    const t = setImmediate(fn);
    return () => clearImmediate(t);
  }
};

function setup(overrides: Partial<DriverPodKernelOptions> = {}) {
  const pods = new FakePods();
  pods.change(driver);
  const deletes: number[] = [];
  const delays = new FakeDelays();
  let statusChanges = 0;
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
    onStatus: () => statusChanges++,
    deletePod: async grace => {
      deletes.push(grace);
    },
    readLog: async lines => `last ${lines} lines`,
    logger: silentLogger,
    delay: delays.delay,
    nodeLoss: unreachable,
    ...overrides
  });
  return { kernel, pods, deletes, delays, statusChanges: () => statusChanges };
}

describe('DriverPodKernel', () => {
  it("should connect to the pod IP and serve Spark's UI there", () => {
    const { kernel } = setup();
    expect(kernel.connection).toEqual({ ...objects.connection, ip: '10.0.0.5' });
    expect([kernel.sparkUi, kernel.interruptMode]).toEqual(['10.0.0.5:4040', 'message']);
  });

  it("should count the current driver's executors and their GPUs, and tell of every change of the kernel's pods", () => {
    const { kernel, pods, statusChanges } = setup();
    pods.change(executor('e1', 'uid-1', 'Running'));
    pods.change(executor('e2', 'uid-1', 'Pending'));
    pods.change(executor('old', 'uid-0', 'Running'));
    pods.change({ ...executor('other', 'uid-9', 'Running'), metadata: { ...executor('other', 'uid-9', 'Running').metadata, labels: { 'sparkgate.io/kernel-id': 'another' } } });
    // Only the current driver's executors, one row each (not the old driver's, not another kernel's).
    const row = (name: string, state: string) => ({ name, state, node: null, podIP: null, execId: null, reason: null, cores: 0, gpus: 1 });
    expect(kernel.status()).toEqual({ executors: { ready: 1, pending: 1, pendingReason: null, pods: [row('e1', 'running'), row('e2', 'pending')] }, gpus: 2 });
    expect(statusChanges()).toBe(3);
  });

  it('should end when its pod ends, with the exit code and reason, and free the driver GPUs', async () => {
    const { kernel, pods } = setup();
    pods.change(podAt.ended(driver, 137, 'OOMKilled'));
    await expect(kernel.exited).resolves.toEqual({ code: 137, signal: null, reason: 'OOMKilled' });
    expect(kernel.status().gpus).toBe(0);
    expect(pods.listening).toBe(0);
  });

  it('should not end for another pod of the same name (a restart made a new one)', async () => {
    const { kernel, pods } = setup();
    pods.change({ ...driver, metadata: { ...driver.metadata, uid: 'uid-2' } }, true);
    // Still following its own pod, still holding the driver's GPU.
    expect(pods.listening).toBe(1);
    expect(kernel.status().gpus).toBe(1);
  });

  it('should delete its pod once however often terminate is called, and wait until the watch reports it gone', async () => {
    const { kernel, pods, deletes, delays } = setup();
    const first = kernel.terminate(4500);
    const second = kernel.terminate(1000);
    expect(second).toBe(first);
    await Promise.resolve();
    expect(deletes).toEqual([5]);
    pods.change(driver, true);
    await first;
    // The deadline's timer goes with it.
    expect(delays.pending.map(d => d.signal?.aborted)).toEqual([true]);
    await expect(kernel.exited).resolves.toMatchObject({ code: null, reason: 'driver pod tenant-a/sg-0123abcd-x1y2z was deleted' });
  });

  it('should give up waiting at the deadline: grace plus 30 s', async () => {
    const { kernel, delays } = setup();
    const terminating = kernel.terminate(2000);
    await new Promise(resolve => setImmediate(resolve));
    expect(delays.asked).toEqual([32_000]);
    delays.releaseNext();
    await expect(terminating).resolves.toBeUndefined();
  });

  it('should not delete a pod that is already gone', async () => {
    const { kernel, pods, deletes } = setup();
    pods.change(driver, true);
    await kernel.terminate(1000);
    expect(deletes).toEqual([]);
  });

  describe('pods that end without the gateway (issue 13, item 5)', () => {
    const conditions = (ready: string, containersReady: string): V1Pod => ({
      ...driver,
      spec: { ...driver.spec!, nodeName: 'gpu-1' },
      status: {
        ...driver.status,
        conditions: [
          { type: 'ContainersReady', status: containersReady },
          { type: 'Ready', status: ready }
        ]
      }
    });
    const deleting = (pod: V1Pod = driver): V1Pod => ({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date('2026-01-01T00:00:00Z') } });

    it('should end as soon as someone else asks to delete its pod, naming the deletion, and then delete it at once', async () => {
      const { kernel, pods, deletes } = setup();
      pods.change(deleting());
      await expect(kernel.exited).resolves.toEqual({ code: null, signal: null, reason: 'driver pod tenant-a/sg-0123abcd-x1y2z was deleted' });
      expect(kernel.status().gpus).toBe(0);
      // The manager cleans up a dead kernel with terminate(0): no grace left to wait out.
      await kernel.terminate(0);
      expect(deletes).toEqual([0]);
    });

    const evicted = (reason: string, message: string): V1Pod =>
      deleting({ ...driver, spec: { ...driver.spec!, nodeName: 'gpu-1' }, status: { ...driver.status, conditions: [{ type: 'DisruptionTarget', status: 'True', reason, message }] } });

    it("should name an eviction's reason", async () => {
      const { kernel, pods } = setup();
      pods.change(evicted('EvictionByEvictionAPI', 'Eviction API: evicting'));
      await expect(kernel.exited).resolves.toMatchObject({
        reason: 'driver pod tenant-a/sg-0123abcd-x1y2z was deleted (EvictionByEvictionAPI: Eviction API: evicting)'
      });
    });

    it('should name the node as lost when the taint manager evicts the pod (its NoExecute toleration ran out)', async () => {
      const { kernel, pods } = setup();
      pods.change(evicted('DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint'));
      await expect(kernel.exited).resolves.toMatchObject({
        reason: 'node gpu-1 lost: driver pod tenant-a/sg-0123abcd-x1y2z was evicted (DeletionByTaintManager: Taint manager: deleting due to NoExecute taint)'
      });
    });

    it('should not end at its own deletion request before the pod is gone', async () => {
      const { kernel, pods } = setup();
      const terminating = kernel.terminate(5000);
      pods.change(deleting());
      expect(pods.listening).toBe(1);
      pods.change(deleting(), true);
      await terminating;
      await expect(kernel.exited).resolves.toMatchObject({ reason: 'driver pod tenant-a/sg-0123abcd-x1y2z was deleted' });
    });

    it('should end with "node <name> lost" when the node controller marks the pod not ready and the pod does not answer', async () => {
      const { kernel, pods } = setup();
      pods.change(conditions('True', 'True'));
      expect(pods.listening).toBe(1);
      pods.change(conditions('False', 'True'));
      await expect(kernel.exited).resolves.toEqual({
        code: null,
        signal: null,
        reason: 'node gpu-1 lost: the node controller marked driver pod tenant-a/sg-0123abcd-x1y2z not ready (its kubelet stopped reporting)'
      });
    });

    it('should not end when only its readiness probe fails (the kubelet reports both conditions)', () => {
      const { pods } = setup();
      pods.change(conditions('False', 'False'));
      expect(pods.listening).toBe(1);
    });

    it('should keep a kernel whose node is reported lost while its pod answers (the control plane lost track, e.g. an API server outage), and end it once the pod stops answering', async () => {
      const timers = new ManualTimers();
      let answers = true;
      const asked: boolean[] = [];
      const warnings: string[] = [];
      const logger = createLogger({ level: 'warn', write: line => warnings.push((JSON.parse(line) as { message: string }).message) });
      const { kernel, pods } = setup({
        logger,
        nodeLoss: {
          reachable: async () => {
            asked.push(answers);
            return answers;
          },
          timer: timers.timer
        }
      });
      let exited = false;
      void kernel.exited.then(() => (exited = true));
      pods.change(conditions('False', 'True'));
      await settle();
      expect({ asked, exited, warnings }).toEqual({ asked: [true], exited: false, warnings: [expect.stringMatching(/^node reported lost but the kernel answers/)] });
      // Asked again while the report stands: a node that dies later still ends the kernel.
      expect(timers.fire()).toBe(10_000);
      await settle();
      answers = false;
      expect(timers.fire()).toBe(10_000);
      await settle();
      // One unanswered connect is not a loss (a busy node); the second in a row is.
      expect({ asked, exited }).toEqual({ asked: [true, true, false], exited: false });
      expect(timers.fire()).toBe(1000);
      await expect(kernel.exited).resolves.toMatchObject({ reason: expect.stringMatching(/^node gpu-1 lost: the node controller marked/) });
      expect({ asked: asked.length, warnings: warnings.length, pending: timers.pending.length, listening: pods.listening }).toEqual({ asked: 4, warnings: 1, pending: 0, listening: 0 });
    });

    it('should stop asking once the pod reads ready again (its kubelet reports again)', async () => {
      const timers = new ManualTimers();
      let asks = 0;
      const { kernel, pods } = setup({ nodeLoss: { reachable: async () => (asks++, true), timer: timers.timer } });
      pods.change(conditions('False', 'True'));
      await settle();
      pods.change(conditions('True', 'True'));
      timers.fire();
      await settle();
      expect({ asks, pending: timers.pending.length, listening: pods.listening }).toEqual({ asks: 2, pending: 0, listening: 1 });
      // Reported again later: asked again.
      pods.change(conditions('False', 'True'));
      await settle();
      expect(asks).toBe(3);
      // Stopping the kernel stops the check.
      void kernel.terminate(0);
      expect({ asks, pending: timers.pending.length }).toEqual({ asks: 3, pending: 0 });
    });

    it('should end at once when adopted on a node already lost', async () => {
      const pods = new FakePods();
      pods.change(conditions('False', 'True'));
      const { kernel } = setup({ pods });
      await expect(kernel.exited).resolves.toMatchObject({ reason: expect.stringMatching(/^node gpu-1 lost: /) });
      expect(pods.listening).toBe(0);
    });
  });

  it("should tail the kernel's log, else describe the pod, else say it is gone", async () => {
    const failing = async (): Promise<string> => {
      throw new Error('the API cannot serve logs');
    };
    expect(await setup().kernel.logTail(20)).toBe('last 20 lines');
    const { kernel, pods } = setup({ readLog: failing });
    expect(await kernel.logTail(20)).toBe('pod tenant-a/sg-0123abcd-x1y2z on cpu-1: running (1 GPU)');
    pods.change(driver, true);
    expect(await kernel.logTail(20)).toBe('driver pod tenant-a/sg-0123abcd-x1y2z is gone');
  });
});
