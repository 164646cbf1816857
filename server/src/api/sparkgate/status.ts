import type { Server as HttpServer } from 'node:http';
import type { CellProgress } from '@sparkgate/contract';
import { Server } from 'socket.io';
import { socketAuth } from '../../auth/middleware.js';
import type { Authenticator } from '../../auth/types.js';
import type { GpuFeed } from '../../gpu/feed.js';
import type { Kernel, KernelManager } from '../../kernels/types.js';
import type { Logger } from '../../log.js';
import { roomOf, type ClientToServerEvents, type InterServerEvents, type ServerToClientEvents, type SocketData } from './events.js';
import { clusterModel } from './model.js';

export interface StatusStreamOptions {
  server: HttpServer;
  kernels: KernelManager;
  auth: Authenticator;
  /** socket.io's path, e.g. `/socket.io` under the base path. */
  path: string;
  logger: Logger;
  /** Live GPU numbers (`gpu:metrics`), polled while sockets are connected; absent = none sent. */
  gpu?: GpuFeed;
}

/**
 * Live cluster status over socket.io, namespace `/status`. The handshake carries the user's token
 * (header, `auth.token` or `?token=`); each socket joins its user's room, so a user only ever
 * receives events about their own clusters. It only publishes: kernel state, launch phases and
 * Spark job progress are the manager's (and its Spark monitor's); they reach `spark-ready` with no
 * socket.io attached. A kernel's new `cellProgress` (its running cell's Spark jobs, or the final
 * summary of a cell) goes out as `cell:progress`, to the owner's room like everything else.
 */
export function attachStatusStream(options: StatusStreamOptions): { io: Server; close(): Promise<void> } {
  const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(options.server, {
    path: options.path,
    serveClient: false,
    // Other upgrade paths (kernel websockets) belong to the kernel bridge.
    destroyUpgrade: false,
    maxHttpBufferSize: 64 * 1024
  });
  const status = io.of('/status');
  status.use(socketAuth(options.auth, options.logger));
  /** The last `cellProgress` sent of each kernel: a kernel change without a new one sends none. */
  const sentProgress = new WeakMap<Kernel, CellProgress>();
  const publish = (kernel: Kernel): void => {
    const room = status.to(roomOf(kernel.owner));
    room.emit('cluster', clusterModel(kernel, kernel.job));
    const progress = kernel.cellProgress ?? null;
    if (progress !== null && sentProgress.get(kernel) !== progress && !kernel.pooled) {
      sentProgress.set(kernel, progress);
      room.emit('cell:progress', progress);
    }
  };
  const publishRemoved = (kernel: Kernel): void => {
    status.to(roomOf(kernel.owner)).emit('cluster:removed', { id: kernel.id });
  };
  status.on('connection', socket => {
    const identity = { user: socket.data.user, tenant: socket.data.tenant };
    void socket.join(roomOf(identity));
    const kernels = options.kernels.list(identity);
    socket.emit('clusters', kernels.map(k => clusterModel(k, k.job)));
    // A page opened (or reloaded) mid-cell shows the running cells' jobs at once.
    for (const kernel of kernels) {
      if (kernel.cellProgress?.running) {
        socket.emit('cell:progress', kernel.cellProgress);
      }
    }
    if (options.gpu) {
      socket.on('disconnect', options.gpu.watch(identity, metrics => socket.emit('gpu:metrics', metrics)));
    }
  });
  // A cluster's GPU numbers go to its owner's room, like its status.
  options.gpu?.publishTo((owner, metrics) => status.to(roomOf(owner)).emit('gpu:metrics', metrics));
  options.kernels.on('changed', publish);
  options.kernels.on('removed', publishRemoved);
  return {
    io,
    close: async () => {
      options.kernels.off('changed', publish);
      options.kernels.off('removed', publishRemoved);
      // socket.io's close() would also close the shared HTTP server; disconnect sockets only.
      io.disconnectSockets(true);
    }
  };
}
