// Kernelspec resources (issue 11, item 5): every kernelspec names its logos, the logos are served
// with their type and caching headers, and names the caller's tenant lacks stay 404.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express, { type RequestHandler } from 'express';
import {
  DEFAULT_LOGOS_DIR,
  kernelspecModel,
  kernelspecsRouter,
  logoMarkOf,
  type LogoMark
} from '../../../../../server/src/api/rest/kernelspecs.js';
import { errorHandler } from '../../../../../server/src/api/errorHandler.js';
import type { Identity } from '../../../../../server/src/auth/types.js';
import type { Profile, Sizing } from '../../../../../server/src/config/types.js';
import { NotFoundError } from '../../../../../server/src/errors.js';
import { createLogger } from '../../../../../server/src/log.js';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));

const sizing = (driverGpus: number, executorGpus: number): Sizing => ({
  driver: { cores: 1, memoryMiB: 1024, gpus: driverGpus },
  executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: executorGpus }
});
const profile = (id: string, spark: boolean, s: Sizing = sizing(0, 0)): Profile => ({ id, displayName: id, spark, sizing: s });

const PROFILES: Record<string, Profile> = {
  pyspark: profile('pyspark', true),
  'pyspark-gpu': profile('pyspark-gpu', true, sizing(0, 1)),
  python3: profile('python3', false),
  'python-gpu': profile('python-gpu', false, sizing(1, 0))
};
const TENANTS: Record<string, string[]> = { a: ['pyspark', 'pyspark-gpu', 'python3', 'python-gpu'], b: ['python3'] };

type KernelManager = Parameters<typeof kernelspecsRouter>[0];

/** Just what the router asks of the manager; one cluster kernelspec (`pyspark--c0ffee…`) for tenant a. */
function fakeKernels(): KernelManager {
  const profilesFor = (me: Identity) => (TENANTS[me.tenant] ?? []).map(id => PROFILES[id] as Profile);
  const cluster = { id: 'c0ffee00-0000', name: 'pyspark--c0ffee00', profile: PROFILES.pyspark, sizing: sizing(0, 2) };
  return {
    profilesFor,
    profileFor: (me: Identity, name: string) => {
      const found = profilesFor(me).find(p => p.id === name);
      if (!found) {
        throw new NotFoundError(`kernel spec '${name}' does not exist`);
      }
      return found;
    },
    list: (me: Identity) => (me.tenant === 'a' ? [cluster] : [])
  } as unknown as KernelManager;
}

/** The router behind a stand-in for requireAuth: `x-tenant` picks the caller's tenant. */
function app(basePath = '/') {
  const a = express();
  const auth: RequestHandler = (req, _res, next) => {
    req.identity = { user: 'u', tenant: String(req.headers['x-tenant'] ?? 'a') };
    next();
  };
  const api = express.Router();
  api.use(auth, kernelspecsRouter(fakeKernels(), 'pyspark'));
  a.use(basePath, api);
  a.use(errorHandler(createLogger({ level: 'silent' })));
  return a;
}

const MARKS: LogoMark[] = ['spark', 'spark-gpu', 'python', 'python-gpu'];

interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The body parsed as JSON ({} when it is not JSON), as far as these tests read it. */
  json: { kernelspecs?: Record<string, { resources: Record<string, string> }>; resources?: Record<string, string>; reason?: string; message?: string };
}

/** The app listening on 127.0.0.1, port 0; `get` sends one GET with fetch. */
async function listen(a: express.Express): Promise<{ server: Server; get(path: string, headers?: Record<string, string>): Promise<Reply> }> {
  const server = await new Promise<Server>(resolve => {
    const s = a.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    async get(urlPath, headers = {}) {
      const res = await fetch(`${base}${urlPath}`, { headers });
      const body = Buffer.from(await res.arrayBuffer());
      const text = body.toString();
      return { status: res.status, headers: res.headers, body, json: text.startsWith('{') ? (JSON.parse(text) as Reply['json']) : {} };
    }
  };
}

describe('api/rest/kernelspecs', () => {
  describe('#logoMarkOf()', () => {
    it('should pick the Spark mark, the chip when any part has GPUs, and the Python mark without Spark', () => {
      expect(logoMarkOf(PROFILES.pyspark as Profile)).toBe('spark');
      expect(logoMarkOf(PROFILES['pyspark-gpu'] as Profile)).toBe('spark-gpu');
      expect(logoMarkOf(profile('x', true, sizing(1, 0)))).toBe('spark-gpu');
      expect(logoMarkOf(PROFILES.python3 as Profile)).toBe('python');
      expect(logoMarkOf(PROFILES['python-gpu'] as Profile)).toBe('python-gpu');
      // A cluster launched with its own sizing shows what it asked for.
      expect(logoMarkOf(PROFILES.pyspark as Profile, sizing(0, 2))).toBe('spark-gpu');
    });
  });

  describe('#kernelspecModel()', () => {
    it('should name the three logo resources under /kernelspecs/<name>/', () => {
      expect(kernelspecModel(PROFILES.pyspark as Profile).resources).toEqual({
        'logo-svg': '/kernelspecs/pyspark/logo-svg.svg',
        'logo-32x32': '/kernelspecs/pyspark/logo-32x32.png',
        'logo-64x64': '/kernelspecs/pyspark/logo-64x64.png'
      });
      expect(kernelspecModel(PROFILES.pyspark as Profile, { name: 'pyspark--ab', id: 'ab' }, '/gw').resources).toMatchObject({
        'logo-64x64': '/gw/kernelspecs/pyspark--ab/logo-64x64.png'
      });
    });

    it('should give paths that jupyter_server in gateway mode rewrites to its own /kernelspecs/ route', () => {
      // GatewayKernelSpecManager._replace_path_kernelspec_resources: rsplit on "/kernelspecs/", keep the tail.
      for (const value of Object.values(kernelspecModel(PROFILES.python3 as Profile, undefined, '/base').resources as Record<string, string>)) {
        const parts = value.split('/kernelspecs/');
        expect(parts).toHaveLength(2);
        expect(parts[1]).toMatch(/^python3\/logo-(svg\.svg|32x32\.png|64x64\.png)$/);
      }
    });
  });

  describe('art in server/assets/logos', () => {
    const read = (mark: LogoMark, file: string) => readFileSync(path.join(DEFAULT_LOGOS_DIR, mark, file));

    it('should be a 64×64 SVG and 32/64 px RGBA PNGs for every mark', () => {
      expect(path.relative(root, DEFAULT_LOGOS_DIR)).toBe(path.join('server', 'assets', 'logos'));
      for (const mark of MARKS) {
        expect(read(mark, 'logo-svg.svg').toString()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="64" height="64" viewBox="0 0 64 64">/);
        for (const size of [32, 64]) {
          const png = read(mark, `logo-${size}x${size}.png`);
          expect([mark, png.subarray(0, 8).toString('hex'), png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([
            mark, '89504e470d0a1a0a', size, size, 8, 6
          ]);
        }
      }
    });

    it('should differ between every two marks', () => {
      for (const file of ['logo-svg.svg', 'logo-32x32.png', 'logo-64x64.png']) {
        const bodies = new Set(MARKS.map(m => read(m, file).toString('base64')));
        expect([file, bodies.size]).toEqual([file, MARKS.length]);
      }
    });

    it('should ship in the gateway image next to server/dist', () => {
      const dockerfile = readFileSync(path.join(root, 'images/gateway/Dockerfile'), 'utf8');
      const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
      expect(runtime).toMatch(/^COPY server\/assets server\/assets$/m);
      expect(runtime).toMatch(/^COPY --from=build \/src\/server\/dist server\/dist$/m);
    });
  });

  describe('#kernelspecsRouter()', () => {
    let atRoot: Awaited<ReturnType<typeof listen>>;
    let underGw: Awaited<ReturnType<typeof listen>>;
    beforeAll(async () => {
      [atRoot, underGw] = await Promise.all([listen(app()), listen(app('/gw'))]);
    });
    afterAll(() => {
      for (const { server } of [atRoot, underGw]) {
        server.closeAllConnections(); // fetch keeps its connections alive
        server.close();
      }
    });

    it('should list resources in /api/kernelspecs, under the base path the gateway is mounted at', async () => {
      const res = await underGw.get('/gw/api/kernelspecs');
      expect(res.status).toBe(200);
      const specs = res.json.kernelspecs ?? {};
      expect(Object.keys(specs).sort()).toEqual(['pyspark', 'pyspark--c0ffee00', 'pyspark-gpu', 'python-gpu', 'python3']);
      expect(specs['pyspark-gpu']?.resources['logo-64x64']).toBe('/gw/kernelspecs/pyspark-gpu/logo-64x64.png');
      const one = await atRoot.get('/api/kernelspecs/python3');
      expect(one.status).toBe(200);
      expect(one.json.resources?.['logo-svg']).toBe('/kernelspecs/python3/logo-svg.svg');
    });

    it.each([
      ['pyspark', 'spark'],
      ['pyspark-gpu', 'spark-gpu'],
      ['python3', 'python'],
      ['python-gpu', 'python-gpu'],
      ['pyspark--c0ffee00', 'spark-gpu']
    ] as const)('should serve %s with the %s mark, its type and caching headers', async (name, mark) => {
      for (const [file, type] of [['logo-svg.svg', 'image/svg+xml'], ['logo-32x32.png', 'image/png'], ['logo-64x64.png', 'image/png']]) {
        const res = await atRoot.get(`/kernelspecs/${name}/${file}`);
        expect([file, res.status, res.headers.get('content-type')]).toEqual([file, 200, type]);
        expect(res.headers.get('cache-control')).toBe('private, max-age=86400');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('etag')).toMatch(/^"[\w-]{22}"$/);
        expect(Buffer.compare(res.body, readFileSync(path.join(DEFAULT_LOGOS_DIR, mark, file)))).toBe(0);
        // Revalidation: same ETag, no body.
        const again = await atRoot.get(`/kernelspecs/${name}/${file}`, { 'If-None-Match': String(res.headers.get('etag')) });
        expect(again.status).toBe(304);
      }
    });

    it('should answer 404 for a file it does not have and for a kernelspec of another tenant', async () => {
      const missing = await atRoot.get('/kernelspecs/pyspark/kernel.js');
      expect(missing.status).toBe(404);
      expect(missing.json).toMatchObject({ reason: 'NotFound' });
      expect(missing.json.message).toContain("kernel spec 'pyspark' has no resource 'kernel.js'");
      expect((await atRoot.get('/kernelspecs/pyspark/..%2F..%2F..%2Fpackage.json')).status).toBe(404);
      for (const name of ['pyspark', 'pyspark-gpu', 'pyspark--c0ffee00', 'nope']) {
        const other = await atRoot.get(`/kernelspecs/${name}/logo-64x64.png`, { 'x-tenant': 'b' });
        expect([name, other.status, other.json.reason]).toEqual([name, 404, 'NotFound']);
      }
      expect((await atRoot.get('/kernelspecs/python3/logo-64x64.png', { 'x-tenant': 'b' })).status).toBe(200);
    });
  });
});
