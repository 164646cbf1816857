import type { Me, NodeCapacity } from '@sparkgate/contract';
import { Router } from 'express';
import { identityOf } from '../../auth/middleware.js';
import type { GatewayConfig } from '../../config/types.js';
import { ConflictError, InputError } from '../../errors.js';
import type { KernelManager } from '../../kernels/types.js';
import { resolveSizing, totalsOf } from '../../kernels/sizing.js';
import { assertKernelId } from '../rest/validate.js';
import { clusterModel } from './model.js';

/**
 * The sparkgate API the JupyterLab extension uses: who am I and what may I launch, and clusters
 * (launch with sizing, list, keep from idle culling, shut down). Reached through jupyter-server-proxy at `<base>/sparkgate/`.
 * Job progress is the kernel's own (the manager's Spark monitor keeps it current).
 */
export function sparkgateRouter(
  kernels: KernelManager,
  config: Pick<GatewayConfig, 'tenants' | 'backend' | 'simulatedGpus'>,
  nodes: () => NodeCapacity | null = () => null
): Router {
  const router = Router();

  router.get('/api/me', (req, res) => {
    const me = identityOf(req);
    const tenant = config.tenants[me.tenant];
    const pools = kernels.poolCounts(me.tenant);
    const answer: Me = {
      user: me.user,
      tenant: me.tenant,
      backend: config.backend,
      // The panel's header says the GPUs are not real (the demo cluster's fake nvidia.com/gpu devices).
      simulatedGpus: config.simulatedGpus === true,
      limits: tenant?.limits ?? { gpus: null, cores: null, memoryMiB: null },
      usage: kernels.usageOf(me.tenant),
      // The cluster's nodes when the gateway may read them (largest node, GPUs by type), else null.
      nodes: nodes(),
      profiles: kernels.profilesFor(me).map(p => ({
        id: p.id,
        displayName: p.displayName,
        kernelspec: p.id,
        spark: p.spark,
        driver: p.sizing.driver,
        executors: p.sizing.executors,
        options: p.options ?? null,
        // No per-profile executor cap: tenant limits decide how large a cluster may be.
        maxExecutors: null,
        totals: totalsOf(p.sizing),
        // Warm drivers ready for a launch at this profile's own sizing (fleet/pools.ts).
        warm: pools[p.id]?.warm ?? 0
      }))
    };
    res.json(answer);
  });

  router.get('/api/clusters', (req, res) => {
    res.json({ clusters: kernels.list(identityOf(req)).map(k => clusterModel(k, k.job)) });
  });

  router.post('/api/clusters', (req, res) => {
    const owner = identityOf(req);
    const body = (req.body ?? {}) as { profile?: unknown; sizing?: unknown };
    if (typeof body !== 'object' || Array.isArray(body) || typeof body.profile !== 'string') {
      throw new InputError('request body must be {"profile": "<profile id>", "sizing": {...}}');
    }
    const profile = kernels.profileFor(owner, body.profile);
    // Refuses a sizing past the profile's options (400 naming the field) before anything is launched.
    const sizing = resolveSizing(profile, body.sizing);
    const kernel = kernels.launch({ owner, name: profile.id, env: {}, sizing });
    res.status(201).json(clusterModel(kernel, null));
  });

  router.get('/api/clusters/:id', (req, res) => {
    assertKernelId(req.params.id);
    const kernel = kernels.get(identityOf(req), req.params.id);
    res.json(clusterModel(kernel, kernel.job));
  });

  // Idle culling: the owner keeps the cluster (counts as activity, withdraws the notice).
  router.post('/api/clusters/:id/keep', (req, res) => {
    assertKernelId(req.params.id);
    const kernel = kernels.get(identityOf(req), req.params.id);
    if (kernel.state !== 'idle' && kernel.state !== 'busy') {
      throw new ConflictError(`cluster ${kernel.id} is ${kernel.state}${kernel.reason ? ` (${kernel.reason})` : ''}; only a running cluster can be kept`);
    }
    kernel.keepAlive();
    res.json(clusterModel(kernel, kernel.job));
  });

  router.delete('/api/clusters/:id', async (req, res) => {
    assertKernelId(req.params.id);
    await kernels.shutdown(identityOf(req), req.params.id);
    res.status(204).end();
  });

  return router;
}
