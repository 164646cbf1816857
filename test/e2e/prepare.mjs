#!/usr/bin/env node
// Prepares the e2e tier (idempotent; run by `node server/scripts/test.mjs e2e` before jest):
//   1. Debian's Chromium at /usr/bin/chromium (apt-get when missing; Playwright's own browsers are never downloaded),
//   2. playwright-core in the root devDependencies (installed and committed once, pinned),
//   3. the prebuilt sparkgate-lab extension installed into the Python env that runs JupyterLab
//      (SPARKGATE_PYTHON, default .venv/bin/python): built with `npm run build:lab -w extension` when missing,
//   4. the clean virtualenv with a plain JupyterLab that wheelInstall.test.ts installs the extension's wheel into
//      (cached under ~/.cache/sparkgate/, keyed by the pins in images/jupyterlab/requirements.txt and the Python version),
//   5. the cluster tier's control plane for cluster.test.ts (test/cluster/prepare.mjs: built once into the same cache),
//      so the e2e tier works on a fresh machine whether or not the cluster tier ran first.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePlainLabVenv } from './support/wheelInstall.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const PLAYWRIGHT = 'playwright-core@1.65.1';
const say = msg => console.log(`e2e prepare: ${msg}`);
const fail = msg => {
  console.error(`e2e prepare: ${msg}`);
  process.exit(1);
};

function run(cmd, args, options = {}) {
  say(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  return r.status === 0;
}

// --- 1. Chromium -----------------------------------------------------------------------------
if (!existsSync(CHROMIUM)) {
  say(`${CHROMIUM} is missing; installing Debian's chromium with apt-get…`);
  // Root runs apt-get itself; anyone else needs password-less sudo.
  const [cmd, ...pre] = process.getuid?.() === 0 ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ok =
    run(cmd, [...pre, 'update'], { env }) &&
    run(cmd, [...pre, 'install', '-y', '--no-install-recommends', 'chromium'], { env }) &&
    existsSync(CHROMIUM);
  if (!ok) {
    fail(`cannot install chromium (apt-get update && apt-get install -y --no-install-recommends chromium failed); install it so that ${CHROMIUM} exists`);
  }
}
const version = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
if (version.status !== 0) {
  fail(`${CHROMIUM} does not run: ${(version.stderr || version.stdout || '').trim()}`);
}
say(`browser: ${version.stdout.trim()}`);

// --- 2. playwright-core ------------------------------------------------------------------------
const pkgFile = path.join(root, 'package.json');
const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
const declared = pkg.devDependencies?.['playwright-core'] ?? pkg.dependencies?.['playwright-core'];
if (!declared) {
  say(`adding ${PLAYWRIGHT} as a root devDependency…`);
  // PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing, but make sure of it.
  const env = { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' };
  if (!run('npm', ['install', '-D', PLAYWRIGHT, '--no-audit', '--no-fund'], { env })) {
    fail(`npm install -D ${PLAYWRIGHT} failed`);
  }
  commit(['package.json', 'package-lock.json'], `deps: add ${PLAYWRIGHT} (devDependency) for the e2e tier (drives Debian's chromium)`);
} else if (!existsSync(path.join(root, 'node_modules', 'playwright-core', 'package.json'))) {
  say('playwright-core is declared but not installed; running npm install…');
  if (!run('npm', ['install', '--no-audit', '--no-fund'], { env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } })) {
    fail('npm install failed');
  }
}

/** Commits exactly `files` (retrying while another process holds the index lock). */
function commit(files, message) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const add = spawnSync('git', ['add', '--', ...files], { cwd: root, encoding: 'utf8' });
    const c = add.status === 0
      ? spawnSync('git', ['commit', '-m', message, '--', ...files], { cwd: root, encoding: 'utf8' })
      : add;
    if (c.status === 0) {
      say(`committed ${files.join(', ')}`);
      return;
    }
    const out = `${c.stdout}${c.stderr}`;
    if (!out.includes('index.lock')) {
      say(`could not commit ${files.join(', ')} (${out.trim().split('\n').pop()}); commit them yourself`);
      return;
    }
    spawnSync('sleep', ['0.5']);
  }
  say(`could not commit ${files.join(', ')}: the git index stayed locked; commit them yourself`);
}

// --- 3. The JupyterLab extension ---------------------------------------------------------------
const python = process.env.SPARKGATE_PYTHON ?? path.join(root, '.venv', 'bin', 'python');
if (!existsSync(python)) {
  fail(`no Python environment at ${python}: run \`npm run setup\` (or set SPARKGATE_PYTHON to a Python with images/jupyterlab/requirements.txt installed)`);
}
const probe = spawnSync(python, ['-c', 'import sys, jupyterlab, jupyter_server_proxy, pyspark; print(sys.prefix)'], { encoding: 'utf8' });
if (probe.status !== 0) {
  fail(`${python} lacks jupyterlab / jupyter-server-proxy / pyspark: run \`npm run setup\` (${(probe.stderr || '').trim().split('\n').pop()})`);
}
const prefix = probe.stdout.trim();
const binDir = path.dirname(python);
const built = path.join(root, 'extension', 'sparkgate_lab', 'labextension');
const installed = path.join(prefix, 'share', 'jupyter', 'labextensions', 'sparkgate-lab');
const builtPkg = path.join(built, 'package.json');

if (!existsSync(builtPkg)) {
  say('building the JupyterLab extension (npm run build:lab -w extension)…');
  const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
  if (!run('npm', ['run', 'build:lab', '-w', 'extension'], { env }) || !existsSync(builtPkg)) {
    fail('npm run build:lab -w extension failed');
  }
}
const isLink = existsSync(installed) && lstatSync(installed).isSymbolicLink();
const current = existsSync(path.join(installed, 'package.json')) ? readFileSync(path.join(installed, 'package.json'), 'utf8') : null;
if (isLink && current !== null) {
  say(`extension: ${installed} links to the build (setup.mjs)`);
} else if (current === readFileSync(builtPkg, 'utf8')) {
  say(`extension: ${installed} is up to date`);
} else {
  say(`installing the built extension into ${installed}…`);
  rmSync(installed, { recursive: true, force: true });
  mkdirSync(path.dirname(installed), { recursive: true });
  cpSync(built, installed, { recursive: true });
  writeFileSync(path.join(installed, '.copied-by-e2e-prepare'), `${built}\n`);
}
// --- 4. The clean JupyterLab venv of the wheel test ----------------------------------------------
const basePython = spawnSync(python, ['-c', 'import sys; print(sys._base_executable)'], { encoding: 'utf8' }).stdout.trim();
try {
  const plain = ensurePlainLabVenv({ root, basePython, log: say });
  say(`clean JupyterLab venv: ${plain.dir}`);
} catch (error) {
  fail(`cannot create the clean JupyterLab venv: ${error.message}`);
}
// --- 5. The Kubernetes control plane of cluster.test.ts ------------------------------------------
if (!run(process.execPath, [path.join(root, 'test', 'cluster', 'prepare.mjs')])) {
  fail('test/cluster/prepare.mjs failed (its reason is above); cluster.test.ts needs the control plane it builds');
}
say('ready');
