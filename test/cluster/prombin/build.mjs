// Builds the pinned Prometheus server from the Go module proxy (`go install
// github.com/prometheus/prometheus/cmd/prometheus@<module version>`) into the same per-user cache as the
// control plane. Idempotent: returns at once when the binary for this version is cached. Plain JS so both
// prepare.mjs (before jest) and the TypeScript harness can import it.
import path from 'node:path';
import { cacheBase, goInstall } from '../gobin/install.mjs';

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
  return path.join(cacheBase(env), `prometheus-${PROMETHEUS_VERSION}`);
}

/** Path of the cached binary (the build tags are part of the name: other tags are another build). */
export function prometheusPath(env = process.env) {
  return path.join(cacheDir(env), 'bin', `prometheus-${PROMETHEUS_BUILD_TAGS}`);
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
  // -s -w as promu's release builds; the version string so `prometheus --version` and /api/v1/status/buildinfo name it.
  return goInstall({
    what: `Prometheus ${PROMETHEUS_VERSION}`,
    pkg: `github.com/prometheus/prometheus/cmd/prometheus@${PROMETHEUS_MODULE_VERSION}`,
    bin: 'prometheus',
    out: prometheusPath(env),
    ldflags: `-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION}`,
    tags: PROMETHEUS_BUILD_TAGS,
    coldHint: 'one-time, ~2 min cold',
    log: options.log,
    env
  });
}
