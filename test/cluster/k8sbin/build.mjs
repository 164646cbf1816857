// Builds the pinned control-plane multi-call binary (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler) from the Go modules in this folder into a per-version cache outside the repo.
// Idempotent: returns at once when the binary for this version and go.sum is already cached.
// Plain JS so both prepare.mjs (before jest) and the TypeScript harness can import it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Kubernetes version of every component; must match go.mod. */
export const K8S_VERSION = 'v1.36.3';

const moduleDir = fileURLToPath(new URL('.', import.meta.url));

/** Cache folder for this version, e.g. ~/.cache/sparkgate/k8s-v1.36.3 (override: SPARKGATE_K8S_CACHE). */
export function cacheDir(env = process.env) {
  const base = env.SPARKGATE_K8S_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'sparkgate');
  return path.join(base, `k8s-${K8S_VERSION}`);
}

/**
 * Path of the cached binary. The name carries a hash of go.mod + go.sum + main.go, so a change to
 * the pinned modules builds a new binary instead of reusing a stale one.
 */
export function binaryPath(env = process.env) {
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) {
    h.update(readFileSync(path.join(moduleDir, f)));
  }
  return path.join(cacheDir(env), 'bin', `k8sbin-${h.digest('hex').slice(0, 12)}`);
}

function findGo(env) {
  const candidates = [env.SPARKGATE_GO, 'go', '/usr/local/go/bin/go'].filter(Boolean);
  for (const c of candidates) {
    const r = spawnSync(c, ['version'], { encoding: 'utf8' });
    if (r.status === 0) {
      return c;
    }
  }
  throw new Error(
    'sparkgate cluster tests need the Go toolchain (>= 1.26) to build the control plane, but no `go` was found ' +
      '(tried $SPARKGATE_GO, `go` on PATH, /usr/local/go/bin/go). Install Go or set SPARKGATE_GO.'
  );
}

/**
 * Ensures the binary exists, building it when missing.
 * @param {{ log?: (line: string) => void, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<string>} absolute path of the multi-call binary
 */
export async function ensureK8sBinary(options = {}) {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const out = binaryPath(env);
  if (existsSync(out)) {
    return out;
  }
  const go = findGo(env);
  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const ldflags = [
    '-s',
    '-w',
    `-X k8s.io/component-base/version.gitVersion=${K8S_VERSION}`,
    `-X k8s.io/component-base/version.gitMajor=${K8S_VERSION.split('.')[0].slice(1)}`,
    `-X k8s.io/component-base/version.gitMinor=${K8S_VERSION.split('.')[1]}`,
    '-X k8s.io/component-base/version.gitTreeState=clean'
  ].join(' ');
  // nice: other engineers and test tiers share the 2 cores.
  const args = ['-n', '10', go, 'build', '-trimpath', '-ldflags', ldflags, '-o', tmp, '.'];
  log(`sparkgate: building Kubernetes ${K8S_VERSION} control plane (one-time, ~10-20 min cold) -> ${out}`);
  const started = Date.now();
  const ticker = setInterval(() => log(`sparkgate: still building control plane (${Math.round((Date.now() - started) / 1000)} s)`), 60_000);
  try {
    await new Promise((resolve, reject) => {
      const child = spawn('nice', args, {
        cwd: moduleDir,
        env: { ...env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=readonly -buildvcs=false' },
        stdio: ['ignore', 'inherit', 'inherit']
      });
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0 ? resolve(undefined) : reject(new Error(`go build of the control plane failed (exit ${code ?? signal})`))
      );
    });
    renameSync(tmp, out);
  } finally {
    clearInterval(ticker);
    rmSync(tmp, { force: true });
  }
  log(`sparkgate: control plane built in ${Math.round((Date.now() - started) / 1000)} s`);
  return out;
}
