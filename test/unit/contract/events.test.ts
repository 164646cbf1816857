// The /status event maps as both ends use them: a socket.io Server and a socket.io-client Socket
// typed with the contract's maps. The checks are type checks (`npx tsc -p test/tsconfig.json`, run
// by `npm test`); the functions holding them are never called.
import { describe, expect, it } from '@jest/globals';
import type { Namespace } from 'socket.io';
import type { Socket } from 'socket.io-client';
import type * as gateway from '../../../server/src/api/sparkgate/events.js';
import {
  STATUS_NAMESPACE,
  type ClientToServerEvents,
  type ClusterModel,
  type ServerToClientEvents
} from '../../../contract/src/index.js';

type GatewayNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;

/** `true` only when A and B are the same type (invariant in both). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type ExtensionSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

describe('contract/events', () => {
  it('should name the live status namespace', () => {
    expect(STATUS_NAMESPACE).toBe('/status');
  });

  it('should be the maps the gateway types its socket.io Server with', () => {
    // Until server/src/api/sparkgate/events.ts re-exports these maps, any drift is a type error here.
    const same: [Same<gateway.ServerToClientEvents, ServerToClientEvents>, Same<gateway.ClientToServerEvents, ClientToServerEvents>] = [
      true,
      true
    ];
    expect(same).toEqual([true, true]);
  });

  it('should let the gateway emit exactly the events the extension listens for', () => {
    const gateway = (ns: GatewayNamespace, cluster: ClusterModel): void => {
      ns.emit('clusters', [cluster]);
      ns.emit('cluster', cluster);
      ns.emit('cluster:removed', { id: cluster.id });
      // @ts-expect-error the payload of `cluster` is a ClusterModel
      ns.emit('cluster', { id: cluster.id });
      // @ts-expect-error no such event: launch progress travels in `cluster` (its `phase`)
      ns.emit('launch:progress', { id: cluster.id, phase: 'pulling', message: '' });
    };
    const extension = (socket: ExtensionSocket): void => {
      socket.on('clusters', (list: ClusterModel[]) => void list.length);
      socket.on('cluster', (c: ClusterModel) => void c.phase);
      socket.on('cluster:removed', payload => void payload.id);
      // @ts-expect-error no such event: the gateway never emits it
      socket.on('launch:progress', () => undefined);
      // @ts-expect-error clients send nothing on /status
      socket.emit('cluster', {} as ClusterModel);
    };
    expect([typeof gateway, typeof extension]).toEqual(['function', 'function']);
  });
});
