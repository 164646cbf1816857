// backends/local/backend.ts around its runtime directory (issue 13, item 3): none configured means
// no re-adoption (nothing discovered, nothing created); an unusable one (a file, another user's)
// is logged and the gateway serves on without re-adoption rather than failing to start.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalBackend } from '../../../../../server/src/backends/local/backend.js';
import { createLogger } from '../../../../../server/src/log.js';

let tmp: string;
let lines: { level: string; message: string; dir?: string }[];
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-local-backend-test-'));
  lines = [];
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function backend(runtimeDir: string | null, uid?: number): LocalBackend {
  return new LocalBackend({
    python: 'python3',
    launcher: '/nonexistent/launcher.py',
    workingDir: tmp,
    baseEnv: {},
    logger: createLogger({ level: 'debug', write: line => lines.push(JSON.parse(line) as (typeof lines)[number]) }),
    runtimeDir,
    ...(uid === undefined ? {} : { uid })
  });
}

describe('backends/local/backend runtime directory', () => {
  it('should discover nothing without a runtime directory', async () => {
    await expect(backend(null).discover()).resolves.toEqual([]);
  });

  it('should create the runtime directory 0700 on first use and find nothing in it', async () => {
    const root = path.join(tmp, 'state', 'kernels');
    await expect(backend(root).discover()).resolves.toEqual([]);
    expect((await stat(root)).mode & 0o777).toBe(0o700);
  });

  it.each([
    ['a file', async (root: string) => writeFile(root, 'x'), undefined],
    ["another user's", async () => undefined, (process.getuid?.() ?? 0) + 1]
  ])('should log a runtime directory that is %s and go on without re-adoption', async (_what, prepare, uid) => {
    const root = path.join(tmp, 'kernels');
    await prepare(root);
    await expect(backend(root, uid).discover()).resolves.toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'runtime directory unusable; local kernels will not survive a gateway crash', dir: root })
    );
  });
});
