// The platform-team install of the extension (test/e2e/wheelInstall.test.ts; prepared by test/e2e/prepare.mjs):
// the sparkgate_lab wheel built from the repository (`npm run build:wheel -w extension`) pip-installed into a clean
// virtualenv that holds only a plain JupyterLab at the repository's pins, as a JupyterHub single-user image would.
// Plain ESM (types in wheelInstall.d.mts) so that prepare.mjs, which runs before jest, shares it.
//
// The venv with JupyterLab is cached under ~/.cache/sparkgate/, keyed by the pins and the Python version; each run
// uninstalls whatever sparkgate_lab it holds (pip removes exactly the files of the wheel's RECORD) and installs the
// freshly built wheel with `--no-index`, so its dependencies must already be met by the plain JupyterLab install.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** The packages of a plain JupyterLab image, pinned as in images/jupyterlab/requirements.txt. */
export const PLAIN_LAB_PACKAGES = ['jupyterlab', 'jupyter_server', 'jupyter-server-proxy'];
const STAMP = '.sparkgate-clean-lab';
const PIP_TIMEOUT_MS = 10 * 60_000;

/** `name==version` for each of PLAIN_LAB_PACKAGES, read from the requirements file setup.mjs installs. */
export function plainLabPins(root) {
  const text = readFileSync(path.join(root, 'images', 'jupyterlab', 'requirements.txt'), 'utf8');
  return PLAIN_LAB_PACKAGES.map(name => {
    const line = text.split('\n').find(l => l.trim().toLowerCase().startsWith(`${name.toLowerCase()}==`));
    if (!line) throw new Error(`images/jupyterlab/requirements.txt pins no ${name}`);
    return line.trim();
  });
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: PIP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd().split('\n').slice(-30).join('\n');
    throw new Error(`${[cmd, ...args].join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${out}`);
  }
  return r.stdout;
}

/** An environment without anything that would let the clean venv see the repository or the user's Jupyter files. */
export function isolatedEnv(extra = {}) {
  const env = { ...process.env, PYTHONNOUSERSITE: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', ...extra };
  for (const k of ['PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV', 'JUPYTER_PATH', 'JUPYTER_CONFIG_PATH', 'JUPYTER_DATA_DIR', 'JUPYTER_CONFIG_DIR']) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

/**
 * The cached clean venv with a plain JupyterLab (created on first use, ~1-2 min with a warm pip cache).
 * `basePython` is the interpreter to make it from (the one behind the project's .venv).
 */
export function ensurePlainLabVenv({ root, basePython, cacheDir = path.join(homedir(), '.cache', 'sparkgate'), log = () => {} }) {
  const pins = plainLabPins(root);
  const pyVersion = run(basePython, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])']).trim();
  const key = createHash('sha256').update(`${pins.join('\n')}\n${pyVersion}`).digest('hex').slice(0, 12);
  const jupyterlab = pins[0].split('==')[1];
  const dir = path.join(cacheDir, `plain-lab-venv-jupyterlab-${jupyterlab}-py${pyVersion}-${key}`);
  const python = path.join(dir, 'bin', 'python');
  if (existsSync(path.join(dir, STAMP)) && spawnSync(python, ['-c', 'import jupyterlab'], { env: isolatedEnv() }).status === 0) {
    return { dir, python, pins };
  }
  log(`creating the clean JupyterLab venv ${dir} (${pins.join(' ')})…`);
  rmSync(dir, { recursive: true, force: true });
  run(basePython, ['-m', 'venv', dir], { env: isolatedEnv() });
  run(python, ['-m', 'pip', 'install', '-q', ...pins], { env: isolatedEnv() });
  writeFileSync(path.join(dir, STAMP), `${pins.join('\n')}\n`);
  return { dir, python, pins };
}

/** Builds dist/sparkgate_lab-<version>-py3-none-any.whl with `npm run build:wheel -w extension`; returns its path. */
export function buildWheel({ root, pathPrefix }) {
  const env = { ...process.env, PATH: `${pathPrefix}${path.delimiter}${process.env.PATH ?? ''}` };
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '-s', 'build:wheel', '-w', 'extension'], { cwd: root, env });
  const version = JSON.parse(readFileSync(path.join(root, 'extension', 'package.json'), 'utf8')).version;
  const dist = path.join(root, 'extension', 'dist');
  const wheel = path.join(dist, `sparkgate_lab-${version}-py3-none-any.whl`);
  const wheels = readdirSync(dist).filter(f => f.endsWith('.whl'));
  if (!existsSync(wheel) || wheels.length !== 1) {
    throw new Error(`npm run build:wheel -w extension left ${wheels.join(', ') || 'no wheel'} in extension/dist, expected ${path.basename(wheel)}`);
  }
  return wheel;
}

/** Replaces any sparkgate_lab in the venv by `wheel`, offline (`--no-index`: its dependencies must already be there). */
export function installWheel(python, wheel) {
  run(python, ['-m', 'pip', 'uninstall', '-q', '-y', 'sparkgate_lab'], { env: isolatedEnv() });
  run(python, ['-m', 'pip', 'install', '-q', '--no-index', wheel], { env: isolatedEnv() });
}
