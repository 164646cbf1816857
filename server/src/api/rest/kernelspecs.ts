import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { identityOf } from '../../auth/middleware.js';
import type { Profile, Sizing } from '../../config/types.js';
import type { KernelManager } from '../../kernels/types.js';
import { NotFoundError } from '../../errors.js';

/** The logo marks in server/assets/logos/, one folder each. */
export type LogoMark = 'spark' | 'spark-gpu' | 'python' | 'python-gpu';

/** Resource files every kernelspec has, keyed as jupyter_client names them (file name minus extension). */
export const LOGO_FILES = {
  'logo-svg': { file: 'logo-svg.svg', type: 'image/svg+xml' },
  'logo-32x32': { file: 'logo-32x32.png', type: 'image/png' },
  'logo-64x64': { file: 'logo-64x64.png', type: 'image/png' }
} as const;

const MARKS: readonly LogoMark[] = ['spark', 'spark-gpu', 'python', 'python-gpu'];

/**
 * The art, relative to the package: server/src/api/rest/ and server/dist/api/rest/ are both three
 * levels below server/, so the same path works from sources (tests) and from the build (the image).
 */
export const DEFAULT_LOGOS_DIR = fileURLToPath(new URL('../../../assets/logos/', import.meta.url));

/** Which mark a kernelspec shows: Spark or plain Python, on a chip when any part asks for GPUs. */
export function logoMarkOf(profile: Profile, sizing: Sizing = profile.sizing): LogoMark {
  const gpus = sizing.driver.gpus > 0 || sizing.executors.gpus > 0;
  return profile.spark ? (gpus ? 'spark-gpu' : 'spark') : gpus ? 'python-gpu' : 'python';
}

/**
 * A kernelspec model as jupyter_server's GatewayKernelSpecManager reads it.
 *
 * #### Notes
 * `resources` values are paths `<base>/kernelspecs/<name>/<file>`: jupyter_server in gateway mode
 * keeps what follows `/kernelspecs/`, puts its own base_url in front and proxies the file from the
 * gateway's `/kernelspecs/<name>/<file>` (issue 11, item 5).
 */
export function kernelspecModel(
  profile: Profile,
  cluster?: { name: string; id: string; sizing?: Sizing },
  resourceBase = ''
): Record<string, unknown> {
  const name = cluster?.name ?? profile.id;
  const base = `${resourceBase}/kernelspecs/${encodeURIComponent(name)}`;
  return {
    name,
    spec: {
      argv: ['python', '-m', 'sparkgate_launcher', '--connection-file', '{connection_file}'],
      display_name: cluster ? `${profile.displayName} · ${cluster.id.slice(0, 6)}` : profile.displayName,
      language: 'python',
      interrupt_mode: 'signal',
      env: {},
      metadata: { sparkgate: { profile: profile.id, spark: profile.spark, sizing: profile.sizing } }
    },
    resources: Object.fromEntries(Object.entries(LOGO_FILES).map(([key, { file }]) => [key, `${base}/${file}`]))
  };
}

interface LogoFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** Reads every mark's files once; a missing file stops the gateway at start, not at the first launcher. */
function loadLogos(dir: string): Map<string, LogoFile> {
  const files = new Map<string, LogoFile>();
  for (const mark of MARKS) {
    for (const { file, type } of Object.values(LOGO_FILES)) {
      const where = path.join(dir, mark, file);
      let body: Buffer;
      try {
        body = readFileSync(where);
      } catch (error) {
        throw new Error(`kernelspec logo ${where} cannot be read (is server/assets/ shipped next to server/dist/?)`, { cause: error });
      }
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      files.set(`${mark}/${file}`, { body, type, etag });
    }
  }
  return files;
}

/** Options of {@link kernelspecsRouter}. */
export interface KernelspecsRouterOptions {
  /** Folder with one sub-folder per {@link LogoMark}; default server/assets/logos. */
  logosDir?: string;
}

/**
 * Kernelspecs: one per profile the caller's tenant may use, plus one per cluster the caller
 * launched from the panel (`<profile>--<id>`), so jupyter_server can attach a notebook to it.
 */
export function kernelspecsRouter(kernels: KernelManager, defaultProfile: string, options: KernelspecsRouterOptions = {}): Router {
  const router = Router();
  const logos = loadLogos(options.logosDir ?? DEFAULT_LOGOS_DIR);

  /** The profile (and sizing) behind a kernelspec name the caller may see; 404 otherwise. */
  const resolve = (req: Parameters<typeof identityOf>[0], name: string) => {
    const me = identityOf(req);
    const cluster = kernels.list(me).find(k => k.name === name && k.name !== k.profile.id);
    return cluster ? { profile: cluster.profile, cluster } : { profile: kernels.profileFor(me, name), cluster: undefined };
  };

  router.get('/api/kernelspecs', (req, res) => {
    const me = identityOf(req);
    const profiles = kernels.profilesFor(me);
    const specs = Object.fromEntries(profiles.map(p => [p.id, kernelspecModel(p, undefined, req.baseUrl)]));
    for (const kernel of kernels.list(me)) {
      if (kernel.name !== kernel.profile.id) {
        specs[kernel.name] = kernelspecModel(kernel.profile, kernel, req.baseUrl);
      }
    }
    const fallback = profiles.find(p => p.id === defaultProfile)?.id ?? profiles[0]?.id ?? defaultProfile;
    res.json({ default: fallback, kernelspecs: specs });
  });

  router.get('/api/kernelspecs/:name', (req, res) => {
    const { profile, cluster } = resolve(req, req.params.name);
    res.json(kernelspecModel(profile, cluster, req.baseUrl));
  });

  // Kernelspec resources: the logos. Same token as every route (jupyter_server's proxy sends it);
  // a name the caller's tenant does not have is 404, like its kernelspec.
  router.get('/kernelspecs/:name/*file', (req, res) => {
    const { name } = req.params;
    const file = ([] as string[]).concat(req.params.file).join('/');
    const { profile, cluster } = resolve(req, name);
    const logo = logos.get(`${logoMarkOf(profile, cluster?.sizing)}/${file}`);
    if (!logo) {
      throw new NotFoundError(`kernel spec '${name}' has no resource '${file}'; it has ${Object.values(LOGO_FILES).map(f => f.file).join(', ')}`);
    }
    // Behind a token, so private; the ETag lets a browser revalidate cheaply after a day.
    res.set({
      'Content-Type': logo.type,
      'Cache-Control': 'private, max-age=86400',
      ETag: logo.etag,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'"
    });
    const cached = (req.headers['if-none-match'] ?? '').split(',').map(t => t.trim().replace(/^W\//, ''));
    if (cached.includes(logo.etag)) {
      res.status(304).end();
      return;
    }
    res.send(logo.body);
  });

  return router;
}
