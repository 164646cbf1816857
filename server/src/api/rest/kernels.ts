import { Router } from 'express';
import { identityOf } from '../../auth/middleware.js';
import type { KernelManager } from '../../kernels/types.js';
import { assertKernelId, parseStartKernelBody } from './validate.js';

/** The Jupyter kernels API, as jupyter_server's GatewayClient calls it. */
export function kernelsRouter(kernels: KernelManager): Router {
  const router = Router();

  router.get('/api/kernels', (req, res) => {
    res.json(kernels.list(identityOf(req)).map(k => k.model()));
  });

  router.post('/api/kernels', async (req, res) => {
    const body = parseStartKernelBody(req.body);
    const kernel = await kernels.start({ owner: identityOf(req), env: body.env, ...(body.name ? { name: body.name } : {}) });
    res.status(201).location(`/api/kernels/${kernel.id}`).json(kernel.model());
  });

  router.get('/api/kernels/:id', (req, res) => {
    assertKernelId(req.params.id);
    res.json(kernels.get(identityOf(req), req.params.id).model());
  });

  router.delete('/api/kernels/:id', async (req, res) => {
    assertKernelId(req.params.id);
    await kernels.shutdown(identityOf(req), req.params.id);
    res.status(204).end();
  });

  router.post('/api/kernels/:id/interrupt', async (req, res) => {
    assertKernelId(req.params.id);
    await kernels.interrupt(identityOf(req), req.params.id);
    res.status(204).end();
  });

  router.post('/api/kernels/:id/restart', async (req, res) => {
    assertKernelId(req.params.id);
    const kernel = await kernels.restart(identityOf(req), req.params.id);
    res.json(kernel.model());
  });

  return router;
}
