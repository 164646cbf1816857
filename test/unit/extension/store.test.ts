import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ClusterStore } from '../../../extension/src/store.js';
import type { ConnectionState, StatusSocket } from '../../../extension/src/store.js';
import type { IClusterModel } from '../../../extension/src/api.js';
import type { ICellProgress } from '../../../extension/src/cells/types.js';
import { cluster } from './fixtures.js';

/** A stand-in for the socket.io client: records handlers, lets the test fire server events. */
class FakeSocket {
  handlers = new Map<string, (...args: unknown[]) => void>();
  connects = 0;
  disconnected = false;
  on(event: string, fn: (...args: unknown[]) => void): this {
    this.handlers.set(event, fn);
    return this;
  }
  fire(event: string, ...args: unknown[]): void {
    this.handlers.get(event)?.(...args);
  }
  connect(): this {
    this.connects++;
    return this;
  }
  disconnect(): this {
    this.disconnected = true;
    return this;
  }
}

function makeStore(): { store: ClusterStore; socket: FakeSocket } {
  const socket = new FakeSocket();
  const store = new ClusterStore({
    serverSettings: { baseUrl: 'http://h/' } as never,
    socketFactory: () => socket as unknown as StatusSocket
  });
  store.start();
  return { store, socket };
}

describe('extension/store', () => {
  // The store logs reconnects and dropped payloads; keep test output quiet but assert on it.
  let warn: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    jest.spyOn(console, 'debug').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('#start()', () => {
    it('should replace the table with the clusters snapshot and emit changed', () => {
      const { store, socket } = makeStore();
      let changed = 0;
      store.changed.connect(() => changed++);
      socket.fire('clusters', [cluster({ id: 'a', kernelId: 'k-a' }), { id: 'broken' }]);
      expect(changed).toBe(1);
      expect(store.hasSnapshot).toBe(true);
      expect(store.clusters.map(c => c.id)).toEqual(['a']);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(store.forKernel('k-a')?.id).toBe('a');
    });

    it('should upsert on cluster and drop on cluster:removed', () => {
      const { store, socket } = makeStore();
      socket.fire('cluster', cluster({ id: 'a', state: 'launching' }));
      socket.fire('cluster', cluster({ id: 'a', state: 'ready' }));
      expect(store.get('a')?.state).toBe('ready');
      socket.fire('cluster:removed', { id: 'a' });
      expect(store.get('a')).toBeUndefined();
    });

    it('should follow launch phases through cluster events, the only progress the gateway sends', () => {
      const { store, socket } = makeStore();
      socket.fire('cluster', cluster({ id: 'a', state: 'launching', phase: 'requested' }));
      const phases: (string | null | undefined)[] = [];
      store.changed.connect(() => phases.push(store.get('a')?.phase));
      socket.fire('cluster', cluster({ id: 'a', state: 'launching', phase: 'pulling' }));
      socket.fire('cluster', cluster({ id: 'a', state: 'ready', phase: 'spark-ready' }));
      expect(phases).toEqual(['pulling', 'spark-ready']);
      expect(store.get('a')?.state).toBe('ready');
    });

    it('should listen only for events the gateway emits (the contract event map)', () => {
      // Type-checked by test/unit/extension/tsconfig.json, never called: an event the contract
      // lacks (the old `launch:progress`, never emitted by the gateway) must not compile.
      const listen = (socket: StatusSocket): void => {
        socket.on('cluster', (c: IClusterModel) => void c.phase);
        socket.on('cluster:removed', payload => void payload.id);
        // @ts-expect-error the gateway has no `launch:progress` event
        socket.on('launch:progress', () => undefined);
      };
      expect(typeof listen).toBe('function');
    });

    it('should emit valid cell:progress events and drop malformed ones (issue 16)', () => {
      const { store, socket } = makeStore();
      const seen: ICellProgress[] = [];
      store.cellProgress.connect((_, p) => seen.push(p));
      const ok: ICellProgress = { clusterId: 'k-1', cell: 'msg-1', running: false, waiting: null, jobs: [] };
      socket.fire('cell:progress', ok);
      socket.fire('cell:progress', { clusterId: 'k-1', cell: 'msg-2', running: true, waiting: null, jobs: [{ id: 1 }] });
      expect(seen).toEqual([ok]);
      expect(warn).toHaveBeenCalledTimes(1);
      // Progress is not cluster state: the table is untouched.
      expect(store.clusters).toEqual([]);
    });

    it('should report unreachable once on repeated connect errors, then connected', () => {
      const { store, socket } = makeStore();
      const states: ConnectionState[] = [];
      store.connectionChanged.connect((_, s) => states.push(s));
      socket.fire('connect_error', new Error('xhr poll error'));
      socket.fire('connect_error', new Error('xhr poll error'));
      expect(store.connection).toBe('unreachable');
      expect(store.connectionError).toBe('xhr poll error');
      socket.fire('connect');
      expect(states).toEqual(['unreachable', 'connected']);
      // One warning per outage, not one per retry.
      expect(warn).toHaveBeenCalledTimes(1);
    });

    it('should reconnect when the server closes the connection', () => {
      const { socket } = makeStore();
      socket.fire('disconnect', 'io server disconnect');
      expect(socket.connects).toBe(1);
    });
  });

  describe('#dispose()', () => {
    it('should close the socket', () => {
      const { store, socket } = makeStore();
      store.dispose();
      expect(socket.disconnected).toBe(true);
      expect(store.isDisposed).toBe(true);
    });
  });
});
