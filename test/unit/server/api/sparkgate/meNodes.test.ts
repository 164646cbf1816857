// Issue 16 item 6: GET /api/me carries the nodes the gateway sees (the contract's `Me.nodes`), and
// the panel's pod-memory overhead (contract) is the one the gateway sizes pods and checks nodes with.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { Me, NodeCapacity } from '@sparkgate/contract';
import express from 'express';
import { sparkgateRouter } from '../../../../../server/src/api/sparkgate/routes.js';
import type { KernelManager } from '../../../../../server/src/kernels/types.js';

// Only what GET /api/me reads of the manager.
const kernels = {
  poolCounts: () => ({}),
  usageOf: () => ({ gpus: 0, cores: 0, memoryMiB: 0 }),
  profilesFor: () => []
} as unknown as KernelManager;

const NODES: NodeCapacity = {
  nodes: 2,
  largest: { gpus: 2, cores: 8, memoryMiB: 64000 },
  gpuTypes: [{ type: 'NVIDIA-A100-SXM4-80GB', gpus: 2, nodes: 1, perNode: 2 }]
};

describe('api/sparkgate/routes GET /api/me nodes', () => {
  let server: Server;
  let url = '';
  let nodes: NodeCapacity | null = null;

  beforeAll(async () => {
    const app = express();
    app.use((req, _res, next) => {
      (req as { identity?: unknown }).identity = { user: 'local', tenant: 'default' };
      next();
    });
    app.use(sparkgateRouter(kernels, { backend: 'kubernetes', tenants: {} }, () => nodes));
    server = app.listen(0, '127.0.0.1');
    await new Promise(resolve => server.once('listening', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  it('should answer the nodes the backend sees, and null while it sees none', async () => {
    const me = async () => (await (await fetch(`${url}/api/me`)).json()) as Me;
    expect((await me()).nodes).toBeNull();
    nodes = NODES;
    expect(await me()).toEqual({
      user: 'local',
      tenant: 'default',
      backend: 'kubernetes',
      simulatedGpus: false,
      limits: { gpus: null, cores: null, memoryMiB: null },
      usage: { gpus: 0, cores: 0, memoryMiB: 0 },
      nodes: NODES,
      profiles: []
    });
  });
});
