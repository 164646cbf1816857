// Builds the pinned Helm CLI from the Go module proxy (`go install helm.sh/helm/v3/cmd/helm@<version>`)
// into the same per-user cache as the control plane. Idempotent: returns at once when the binary
// for this version is cached. Plain JS so both prepare.mjs (before jest) and the TypeScript tests can import it.
import path from 'node:path';
import { cacheBase, goInstall } from '../gobin/install.mjs';

/** Helm release built; v3 because the v4 module moved its commands (reference §2.1). */
export const HELM_VERSION = 'v3.22.0';
/**
 * The Kubernetes version Helm assumes offline (`helm template`/`lint` without a cluster). Unset, it
 * is v1.20, older than the chart's kubeVersion; this is the test control plane's minor.
 */
export const HELM_KUBE_VERSION = { major: '1', minor: '36' };

/** Cache folder for this version, e.g. ~/.cache/sparkgate/helm-v3.22.0 (override: SPARKGATE_K8S_CACHE, as the control plane). */
export function cacheDir(env = process.env) {
  return path.join(cacheBase(env), `helm-${HELM_VERSION}`);
}

/** Path of the cached `helm` binary (the k8s minor is part of the name: a different one is another build). */
export function helmPath(env = process.env) {
  return path.join(cacheDir(env), 'bin', `helm-k8s${HELM_KUBE_VERSION.major}.${HELM_KUBE_VERSION.minor}`);
}

/**
 * Ensures the binary exists, building it when missing (~2-5 min cold). The build goes to a private
 * folder and is renamed into place, so a concurrent or interrupted build never leaves a partial binary.
 * @param {{ log?: (line: string) => void, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<string>} absolute path of `helm`
 */
export async function ensureHelmBinary(options = {}) {
  const env = options.env ?? process.env;
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
  return goInstall({
    what: `Helm ${HELM_VERSION}`,
    pkg: `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`,
    bin: 'helm',
    out: helmPath(env),
    ldflags,
    log: options.log,
    env
  });
}
