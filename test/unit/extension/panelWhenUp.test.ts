import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { GONE_MESSAGE, LaunchFailedError, whenUp } from '../../../extension/src/panel/whenUp.js';
import { ClusterStore } from '../../../extension/src/store.js';
import type { StatusSocket } from '../../../extension/src/store.js';
import type { IClusterModel } from '../../../extension/src/api.js';
import { cluster } from './fixtures.js';

const REASON = '0/2 nodes are available: 2 Insufficient nvidia.com/gpu';

/** A stand-in for the socket.io client: records handlers, lets the test fire server events. */
class FakeSocket {
  handlers = new Map<string, (...args: unknown[]) => void>();
  on(event: string, fn: (...args: unknown[]) => void): this {
    this.handlers.set(event, fn);
    return this;
  }
  fire(event: string, ...args: unknown[]): void {
    this.handlers.get(event)?.(...args);
  }
  connect(): this {
    return this;
  }
  disconnect(): this {
    return this;
  }
}

function setup(connected: boolean): { store: ClusterStore; socket: FakeSocket; getCluster: jest.Mock<(id: string) => Promise<IClusterModel>> } {
  const socket = new FakeSocket();
  const store = new ClusterStore({ serverSettings: { baseUrl: 'http://h/' } as never, socketFactory: () => socket as unknown as StatusSocket });
  store.start();
  if (connected) {
    socket.fire('connect');
  }
  store.upsert([cluster({ id: 'c1', state: 'launching', phase: 'scheduling' })]);
  const getCluster = jest.fn<(id: string) => Promise<IClusterModel>>();
  return { store, socket, getCluster };
}

describe('extension/panel/whenUp', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(console, 'debug').mockImplementation(() => undefined);
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('should resolve only once the cluster is ready, not while it launches', async () => {
    const { store, socket, getCluster } = setup(true);
    let done: IClusterModel | null = null;
    const up = whenUp({ client: { getCluster }, store, id: 'c1', pollIntervalMs: 1000 }).then(c => (done = c));
    socket.fire('cluster', cluster({ id: 'c1', state: 'launching', phase: 'pulling' }));
    await Promise.resolve();
    expect(done).toBeNull();
    socket.fire('cluster', cluster({ id: 'c1', state: 'ready', phase: 'kernel-ready' }));
    await up;
    expect(done).toMatchObject({ id: 'c1', state: 'ready' });
    // Live status is up: nothing is polled.
    expect(getCluster).not.toHaveBeenCalled();
  });

  it("should reject with the gateway's reason when the launch fails", async () => {
    const { store, socket, getCluster } = setup(true);
    const up = whenUp({ client: { getCluster }, store, id: 'c1', pollIntervalMs: 1000 });
    socket.fire('cluster', cluster({ id: 'c1', state: 'failed', phase: 'scheduling', reason: REASON }));
    const err = await up.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchFailedError);
    expect((err as LaunchFailedError).message).toBe(REASON);
    expect((err as LaunchFailedError).cluster.state).toBe('failed');
  });

  it('should reject when the cluster is removed before it is up', async () => {
    const { store, socket, getCluster } = setup(true);
    const up = whenUp({ client: { getCluster }, store, id: 'c1', pollIntervalMs: 1000 });
    socket.fire('cluster:removed', { id: 'c1' });
    await expect(up).rejects.toThrow(GONE_MESSAGE);
  });

  it('should re-read the cluster over REST while live status is down', async () => {
    const { store, getCluster } = setup(false);
    getCluster.mockResolvedValueOnce(cluster({ id: 'c1', state: 'launching', phase: 'starting' }));
    getCluster.mockResolvedValueOnce(cluster({ id: 'c1', state: 'ready', phase: 'spark-ready' }));
    const up = whenUp({ client: { getCluster }, store, id: 'c1', pollIntervalMs: 1000 });
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.get('c1')?.phase).toBe('starting');
    await jest.advanceTimersByTimeAsync(1000);
    await expect(up).resolves.toMatchObject({ state: 'ready' });
    expect(getCluster).toHaveBeenCalledTimes(2);
    expect(getCluster).toHaveBeenCalledWith('c1');
  });
});
