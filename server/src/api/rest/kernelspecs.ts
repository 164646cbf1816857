import { Router } from 'express';
import { identityOf } from '../../auth/middleware.js';
import type { Profile } from '../../config/types.js';
import type { KernelManager } from '../../kernels/manager.js';
import { NotFoundError } from '../../errors.js';

/** A kernelspec model as jupyter_server's GatewayKernelSpecManager reads it. */
export function kernelspecModel(profile: Profile): Record<string, unknown> {
  return {
    name: profile.id,
    spec: {
      argv: ['python', '-m', 'sparkgate_launcher', '--connection-file', '{connection_file}'],
      display_name: profile.displayName,
      language: 'python',
      interrupt_mode: 'signal',
      env: {},
      metadata: { sparkgate: { profile: profile.id, spark: profile.spark, sizing: profile.sizing } }
    },
    resources: {}
  };
}

/** Kernelspecs: one per profile the caller's tenant may use. */
export function kernelspecsRouter(kernels: KernelManager, defaultProfile: string): Router {
  const router = Router();

  router.get('/api/kernelspecs', (req, res) => {
    const profiles = kernels.profilesFor(identityOf(req));
    const specs = Object.fromEntries(profiles.map(p => [p.id, kernelspecModel(p)]));
    const fallback = profiles.find(p => p.id === defaultProfile)?.id ?? profiles[0]?.id ?? defaultProfile;
    res.json({ default: fallback, kernelspecs: specs });
  });

  router.get('/api/kernelspecs/:name', (req, res) => {
    res.json(kernelspecModel(kernels.profileFor(identityOf(req), req.params.name)));
  });

  // Kernelspec resources (logos, kernel.js): sparkgate ships none; jupyter_server tolerates 404.
  router.get('/kernelspecs/:name/*file', (req, _res) => {
    kernels.profileFor(identityOf(req), req.params.name);
    throw new NotFoundError(`kernel spec '${req.params.name}' has no resource files`);
  });

  return router;
}
