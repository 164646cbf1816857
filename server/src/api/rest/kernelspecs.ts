import { Router } from 'express';
import { identityOf } from '../../auth/middleware.js';
import type { Profile } from '../../config/types.js';
import type { KernelManager } from '../../kernels/manager.js';
import { NotFoundError } from '../../errors.js';

/** A kernelspec model as jupyter_server's GatewayKernelSpecManager reads it. */
export function kernelspecModel(profile: Profile, cluster?: { name: string; id: string }): Record<string, unknown> {
  return {
    name: cluster?.name ?? profile.id,
    spec: {
      argv: ['python', '-m', 'sparkgate_launcher', '--connection-file', '{connection_file}'],
      display_name: cluster ? `${profile.displayName} · ${cluster.id.slice(0, 6)}` : profile.displayName,
      language: 'python',
      interrupt_mode: 'signal',
      env: {},
      metadata: { sparkgate: { profile: profile.id, spark: profile.spark, sizing: profile.sizing } }
    },
    resources: {}
  };
}

/**
 * Kernelspecs: one per profile the caller's tenant may use, plus one per cluster the caller
 * launched from the panel (`<profile>--<id>`), so jupyter_server can attach a notebook to it.
 */
export function kernelspecsRouter(kernels: KernelManager, defaultProfile: string): Router {
  const router = Router();

  router.get('/api/kernelspecs', (req, res) => {
    const me = identityOf(req);
    const profiles = kernels.profilesFor(me);
    const specs = Object.fromEntries(profiles.map(p => [p.id, kernelspecModel(p)]));
    for (const kernel of kernels.list(me)) {
      if (kernel.name !== kernel.profile.id) {
        specs[kernel.name] = kernelspecModel(kernel.profile, kernel);
      }
    }
    const fallback = profiles.find(p => p.id === defaultProfile)?.id ?? profiles[0]?.id ?? defaultProfile;
    res.json({ default: fallback, kernelspecs: specs });
  });

  router.get('/api/kernelspecs/:name', (req, res) => {
    const me = identityOf(req);
    const cluster = kernels.list(me).find(k => k.name === req.params.name && k.name !== k.profile.id);
    res.json(cluster ? kernelspecModel(cluster.profile, cluster) : kernelspecModel(kernels.profileFor(me, req.params.name)));
  });

  // Kernelspec resources (logos, kernel.js): sparkgate ships none; jupyter_server tolerates 404.
  router.get('/kernelspecs/:name/*file', (req, _res) => {
    kernels.profileFor(identityOf(req), req.params.name);
    throw new NotFoundError(`kernel spec '${req.params.name}' has no resource files`);
  });

  return router;
}
