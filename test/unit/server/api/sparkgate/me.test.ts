import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import express from 'express';
import { sparkgateRouter } from '../../../../../server/src/api/sparkgate/routes.js';
import type { GatewayConfig } from '../../../../../server/src/config/types.js';
import type { KernelManager } from '../../../../../server/src/kernels/types.js';

// Only what GET /api/me reads of the manager.
const kernels = {
  poolCounts: () => ({}),
  usageOf: () => ({ gpus: 0, cores: 0, memoryMiB: 0 }),
  profilesFor: () => []
} as unknown as KernelManager;

const config = (simulatedGpus?: boolean): Pick<GatewayConfig, 'tenants' | 'backend' | 'simulatedGpus'> => ({
  backend: 'kubernetes',
  tenants: {},
  ...(simulatedGpus === undefined ? {} : { simulatedGpus })
});

describe('api/sparkgate/routes', () => {
  const servers: Server[] = [];
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    for (const [name, flag] of [['demo', true], ['real', false], ['unset', undefined]] as const) {
      const app = express();
      app.use((req, _res, next) => {
        (req as { identity?: unknown }).identity = { user: 'local', tenant: 'default' };
        next();
      });
      app.use(sparkgateRouter(kernels, config(flag)));
      const server = app.listen(0, '127.0.0.1');
      await new Promise(resolve => server.once('listening', resolve));
      servers.push(server);
      const address = server.address();
      urls[name] = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map(s => new Promise(resolve => s.close(resolve))));
  });

  describe('GET /api/me', () => {
    it('should tell the panel whether the GPUs are simulated (simulatedGpus), false unless configured', async () => {
      const me = async (name: string) => (await (await fetch(`${urls[name]}/api/me`)).json()) as Record<string, unknown>;
      expect(await me('demo')).toMatchObject({ user: 'local', tenant: 'default', backend: 'kubernetes', simulatedGpus: true });
      expect((await me('real')).simulatedGpus).toBe(false);
      expect((await me('unset')).simulatedGpus).toBe(false);
    });
  });
});
