// POST sparkgate/api/clusters with a profile that has options (issue 18 item 2): a hand-written
// request past them is refused with 400 naming the field and its bound, before the manager is
// asked to launch anything; one within them launches exactly the resolved sizing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import express from 'express';
import { errorHandler } from '../../../../../server/src/api/errorHandler.js';
import { sparkgateRouter } from '../../../../../server/src/api/sparkgate/routes.js';
import type { Profile, Sizing } from '../../../../../server/src/config/types.js';
import type { Kernel, KernelManager } from '../../../../../server/src/kernels/types.js';
import { silentLogger } from '../../../../../server/src/log.js';

const PROFILE: Profile = {
  id: 'gpu',
  displayName: 'GPU',
  spark: true,
  sizing: {
    driver: { cores: 1, memoryMiB: 2048, gpus: 0 },
    executors: { count: 1, cores: 2, memoryMiB: 4096, gpus: 1, gpuType: 'NVIDIA-L4' }
  },
  options: { driver: {}, executors: { count: { min: 1, max: 2 }, gpuType: { choices: ['NVIDIA-L4', 'NVIDIA-A100-SXM4-80GB'] } } }
};

const launched: Sizing[] = [];
// Only what POST /api/clusters reads of the manager and the kernel it returns.
const kernels = {
  profileFor: () => PROFILE,
  launch: (request: { sizing: Sizing }) => {
    launched.push(request.sizing);
    return {
      id: 'k1',
      name: 'gpu',
      profile: PROFILE,
      sizing: request.sizing,
      state: 'starting',
      phase: 'requested',
      reason: null,
      createdAt: new Date(0),
      launched: null,
      sparkExecutors: null,
      cullNotice: null
    } as unknown as Kernel;
  }
} as unknown as KernelManager;

describe('POST sparkgate/api/clusters with profile options', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    app.use((req, _res, next) => {
      (req as { identity?: unknown }).identity = { user: 'alice', tenant: 'default' };
      next();
    });
    app.use(sparkgateRouter(kernels, { backend: 'kubernetes', tenants: {} }));
    app.use(errorHandler(silentLogger));
    server = app.listen(0, '127.0.0.1');
    await new Promise(resolve => server.once('listening', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/clusters`;
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  const post = async (sizing: unknown) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ profile: 'gpu', sizing }) });
    return { status: res.status, body: (await res.json()) as { reason?: string; message?: string; sizing?: Sizing } };
  };

  it.each([
    [{ executors: { count: 3 } }, "sizing.executors.count must be between 1 and 2 for profile 'gpu' (got 3)"],
    [{ executors: { cores: 8 } }, "sizing.executors.cores: profile 'gpu' fixes it at 2; remove it or send 2"],
    [{ executors: { gpuType: 'NVIDIA-H100' } }, "sizing.executors.gpuType must be one of NVIDIA-L4, NVIDIA-A100-SXM4-80GB for profile 'gpu' (got 'NVIDIA-H100')"],
    [{ driver: { memoryOverheadMiB: 4096 } }, "sizing.driver.memoryOverheadMiB is set by profile 'gpu' (the gateway's default), not by a launch; remove it"]
  ])('should answer %j with 400 naming the field and its bound, launching nothing', async (sizing, message) => {
    launched.length = 0;
    expect(await post(sizing)).toEqual({ status: 400, body: { reason: 'InvalidInput', message } });
    expect(launched).toEqual([]);
  });

  it('should launch the chosen count and GPU type, the rest the profile\'s', async () => {
    launched.length = 0;
    const answer = await post({ executors: { count: 2, gpuType: 'NVIDIA-A100-SXM4-80GB' } });
    const sizing: Sizing = { driver: PROFILE.sizing.driver, executors: { ...PROFILE.sizing.executors, count: 2, gpuType: 'NVIDIA-A100-SXM4-80GB' } };
    expect(answer).toEqual({ status: 201, body: expect.objectContaining({ sizing }) });
    expect(launched).toEqual([sizing]);
  });
});
