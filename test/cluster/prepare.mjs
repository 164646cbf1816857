#!/usr/bin/env node
// Cluster tier preparation (run by server/scripts/test.mjs before jest): build the pinned control
// plane, Helm and Prometheus into the cache when they are missing, and let pods reach the project's Python. Idempotent and
// quick when the cache is warm.
import { spawnSync } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { chmod, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureHelmBinary } from './helmbin/build.mjs';
import { ensureK8sBinary } from './k8sbin/build.mjs';
import { ensurePrometheus } from './prombin/build.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Kernel and executor pods run as uid 185 (non-root, as in the images) but execute this checkout's
 * files and its .venv Python, which may live under a directory only root may enter (pyenv in
 * /root, mode 0700). Grant other users *search* (o+x) on such ancestors — not listing or reading —
 * as an image build would lay the files out for its non-root user.
 */
async function letPodsTraverse(target) {
  const changed = [];
  let dir = path.dirname(await realpath(target));
  for (;;) {
    const info = await stat(dir);
    if (!(info.mode & constants.S_IXOTH)) {
      await chmod(dir, info.mode | constants.S_IXOTH);
      changed.push(dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return changed;
    }
    dir = parent;
  }
}

/** libnss_wrapper: the images' entrypoint gives a uid without a passwd entry one (Spark needs a user name). */
function ensureNssWrapper() {
  const libs = ['/usr/lib/x86_64-linux-gnu/libnss_wrapper.so', '/usr/lib/aarch64-linux-gnu/libnss_wrapper.so', '/usr/lib64/libnss_wrapper.so'];
  if (libs.some(lib => existsSync(lib))) {
    return;
  }
  console.log('sparkgate: installing libnss-wrapper with apt-get (pods run as uid 185, which has no passwd entry here)…');
  const [cmd, ...pre] = process.getuid?.() === 0 ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = args => spawnSync(cmd, [...pre, ...args], { env, stdio: 'inherit' }).status === 0;
  if (!(run(['install', '-y', '--no-install-recommends', 'libnss-wrapper']) || (run(['update']) && run(['install', '-y', '--no-install-recommends', 'libnss-wrapper'])))) {
    throw new Error('cannot install libnss-wrapper (apt-get install -y libnss-wrapper failed); install it for the cluster tests');
  }
}

try {
  ensureNssWrapper();
  const bin = await ensureK8sBinary();
  console.log(`sparkgate: control plane binary ready: ${bin}`);
  console.log(`sparkgate: helm ready: ${await ensureHelmBinary()}`);
  console.log(`sparkgate: prometheus ready: ${await ensurePrometheus()}`);
  const python = process.env.SPARKGATE_PYTHON ?? path.join(root, '.venv', 'bin', 'python');
  for (const target of [python, path.join(root, 'images', 'bin', 'entrypoint.sh')]) {
    const changed = await letPodsTraverse(target);
    if (changed.length > 0) {
      console.log(`sparkgate: pods run as uid 185; allowed other users to traverse ${changed.join(', ')} (chmod o+x) to reach ${target}`);
    }
  }
} catch (err) {
  console.error(`sparkgate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
