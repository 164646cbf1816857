// Builds the pinned Prometheus server from the Go module proxy (`go install
// github.com/prometheus/prometheus/cmd/prometheus@<module version>`) into the same per-user cache as the
// control plane. Idempotent: returns at once when the binary for this version is cached. Plain JS so both
// prepare.mjs (before jest) and the TypeScript harness can import it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Prometheus release built (its Go module is tagged v0.<major><minor>.<patch>: 3.16.0 → v0.316.0). */
export const PROMETHEUS_VERSION = '3.16.0';
export const PROMETHEUS_MODULE_VERSION = 'v0.316.0';
/**
 * `remove_all_sd` leaves only static, file and HTTP service discovery (plugins/minimum.go): the tests scrape
 * static targets, and the cloud discoverers are most of the build. No `builtinassets`: the web UI is not
 * needed (the API and /-/ready are served without it).
 */
export const PROMETHEUS_BUILD_TAGS = 'remove_all_sd';

/** Cache folder for this version, e.g. ~/.cache/sparkgate/prometheus-3.16.0 (override: SPARKGATE_K8S_CACHE, as the control plane). */
export function cacheDir(env = process.env) {
  const base = env.SPARKGATE_K8S_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'sparkgate');
  return path.join(base, `prometheus-${PROMETHEUS_VERSION}`);
}

/** Path of the cached binary (the build tags are part of the name: other tags are another build). */
export function prometheusPath(env = process.env) {
  return path.join(cacheDir(env), 'bin', `prometheus-${PROMETHEUS_BUILD_TAGS}`);
}

function findGo(env) {
  for (const c of [env.SPARKGATE_GO, 'go', '/usr/local/go/bin/go'].filter(Boolean)) {
    if (spawnSync(c, ['version'], { encoding: 'utf8' }).status === 0) {
      return c;
    }
  }
  throw new Error(
    'sparkgate cluster tests need the Go toolchain (>= 1.26.7) to build Prometheus, but no `go` was found ' +
      '(tried $SPARKGATE_GO, `go` on PATH, /usr/local/go/bin/go). Install Go or set SPARKGATE_GO.'
  );
}

/**
 * Ensures the binary exists, building it when missing (~2 min cold on 2 cores, modules included). The build
 * goes to a private folder and is renamed into place, so a concurrent or interrupted build never leaves a
 * partial binary.
 * @param {{ log?: (line: string) => void, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<string>} absolute path of `prometheus`
 */
export async function ensurePrometheus(options = {}) {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const out = prometheusPath(env);
  if (existsSync(out)) {
    return out;
  }
  const go = findGo(env);
  mkdirSync(path.dirname(out), { recursive: true });
  const gobin = mkdtempSync(`${out}.tmp-`);
  // -s -w as promu's release builds; the version string so `prometheus --version` and /api/v1/status/buildinfo name it.
  const ldflags = `-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION}`;
  // nice: the cores are shared with other test tiers.
  const args = [
    '-n', '10', go, 'install', '-trimpath', '-tags', PROMETHEUS_BUILD_TAGS, '-ldflags', ldflags,
    `github.com/prometheus/prometheus/cmd/prometheus@${PROMETHEUS_MODULE_VERSION}`
  ];
  log(`sparkgate: building Prometheus ${PROMETHEUS_VERSION} from the Go module proxy (one-time, ~2 min cold) -> ${out}`);
  const started = Date.now();
  const ticker = setInterval(() => log(`sparkgate: still building Prometheus (${Math.round((Date.now() - started) / 1000)} s)`), 60_000);
  try {
    await new Promise((resolve, reject) => {
      const child = spawn('nice', args, {
        // Outside any module: `go install pkg@version` must not see a go.work or go.mod.
        cwd: gobin,
        env: { ...env, GOBIN: gobin, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false', GOWORK: 'off' },
        stdio: ['ignore', 'inherit', 'inherit']
      });
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0 ? resolve(undefined) : reject(new Error(`go install of Prometheus ${PROMETHEUS_VERSION} failed (exit ${code ?? signal}); see the go output above`))
      );
    });
    renameSync(path.join(gobin, 'prometheus'), out);
  } finally {
    clearInterval(ticker);
    rmSync(gobin, { recursive: true, force: true });
  }
  log(`sparkgate: Prometheus built in ${Math.round((Date.now() - started) / 1000)} s`);
  return out;
}
