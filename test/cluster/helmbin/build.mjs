// Builds the pinned Helm CLI from the Go module proxy (`go install helm.sh/helm/v3/cmd/helm@<version>`)
// into the same per-user cache as the control plane. Idempotent: returns at once when the binary
// for this version is cached. Plain JS so both prepare.mjs (before jest) and the TypeScript tests can import it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Helm release built; v3 because the v4 module moved its commands (reference §2.1). */
export const HELM_VERSION = 'v3.22.0';
/**
 * The Kubernetes version Helm assumes offline (`helm template`/`lint` without a cluster). Unset, it
 * is v1.20, older than the chart's kubeVersion; this is the test control plane's minor.
 */
export const HELM_KUBE_VERSION = { major: '1', minor: '36' };

/** Cache folder for this version, e.g. ~/.cache/sparkgate/helm-v3.22.0 (override: SPARKGATE_K8S_CACHE, as the control plane). */
export function cacheDir(env = process.env) {
  const base = env.SPARKGATE_K8S_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'sparkgate');
  return path.join(base, `helm-${HELM_VERSION}`);
}

/** Path of the cached `helm` binary (the k8s minor is part of the name: a different one is another build). */
export function helmPath(env = process.env) {
  return path.join(cacheDir(env), 'bin', `helm-k8s${HELM_KUBE_VERSION.major}.${HELM_KUBE_VERSION.minor}`);
}

function findGo(env) {
  for (const c of [env.SPARKGATE_GO, 'go', '/usr/local/go/bin/go'].filter(Boolean)) {
    if (spawnSync(c, ['version'], { encoding: 'utf8' }).status === 0) {
      return c;
    }
  }
  throw new Error(
    'sparkgate cluster tests need the Go toolchain (>= 1.26) to build Helm, but no `go` was found ' +
      '(tried $SPARKGATE_GO, `go` on PATH, /usr/local/go/bin/go). Install Go or set SPARKGATE_GO.'
  );
}

/**
 * Ensures the binary exists, building it when missing (~2-5 min cold). The build goes to a private
 * folder and is renamed into place, so a concurrent or interrupted build never leaves a partial binary.
 * @param {{ log?: (line: string) => void, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<string>} absolute path of `helm`
 */
export async function ensureHelmBinary(options = {}) {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const out = helmPath(env);
  if (existsSync(out)) {
    return out;
  }
  const go = findGo(env);
  mkdirSync(path.dirname(out), { recursive: true });
  const gobin = mkdtempSync(`${out}.tmp-`);
  const { major, minor } = HELM_KUBE_VERSION;
  // The variables Helm's Makefile sets (reference §2.1); -s -w as its LDFLAGS.
  const ldflags = [
    '-s',
    '-w',
    `-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
    '-X helm.sh/helm/v3/internal/version.gitTreeState=clean',
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=${major}`,
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${minor}`,
    `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=${major}`,
    `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${minor}`
  ].join(' ');
  // nice: the cores are shared with other test tiers.
  const args = ['-n', '10', go, 'install', '-trimpath', '-ldflags', ldflags, `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`];
  log(`sparkgate: building Helm ${HELM_VERSION} from the Go module proxy (one-time) -> ${out}`);
  const started = Date.now();
  const ticker = setInterval(() => log(`sparkgate: still building Helm (${Math.round((Date.now() - started) / 1000)} s)`), 60_000);
  try {
    await new Promise((resolve, reject) => {
      const child = spawn('nice', args, {
        // Outside any module: `go install pkg@version` must not see a go.work or go.mod.
        cwd: gobin,
        env: { ...env, GOBIN: gobin, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false', GOWORK: 'off' },
        stdio: ['ignore', 'inherit', 'inherit']
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => (code === 0 ? resolve(undefined) : reject(new Error(`go install of Helm failed (exit ${code ?? signal})`))));
    });
    renameSync(path.join(gobin, 'helm'), out);
  } finally {
    clearInterval(ticker);
    rmSync(gobin, { recursive: true, force: true });
  }
  log(`sparkgate: Helm built in ${Math.round((Date.now() - started) / 1000)} s`);
  return out;
}
