#!/usr/bin/env node
// Install what is missing, idempotently: run first by `npm start` and `npm test`, so a fresh
// clone on a fresh machine needs only Node, Python and Java. Plain Node, no npm dependencies
// (it runs before `npm ci`). It never writes a tracked file. Each step is skipped when a stamp
// says its inputs are unchanged:
//   npm packages     node_modules/.sparkgate-stamp      (package-lock.json + package.json files; npm ci)
//   Python venv      .venv/.sparkgate-stamp             (requirements files + Python version)
//   contract build   node_modules/.sparkgate-build-contract    (sources' paths/sizes/mtimes)
//   server build     node_modules/.sparkgate-build-server      (sources' paths/sizes/mtimes)
//   extension build  node_modules/.sparkgate-build-extension
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { checkJava, checkNode, checkPython } from './lib/prereqs.mjs';
import {
  capture, fail, fileHash, readStamp, root, say, sha256, step, treeFingerprint, venvBin, venvDir, venvPython, writeStamp
} from './lib/util.mjs';

const started = Date.now();
let didWork = false;

// --- prerequisites -------------------------------------------------------------------------
checkNode();
const python = checkPython();
checkJava();

// --- npm packages --------------------------------------------------------------------------
// Always `npm ci`: it installs exactly package-lock.json and never writes a tracked file. When the
// lock is out of step with a package.json, setup stops and says so instead of running `npm install`
// (which would rewrite the lock and leave every fresh clone with a dirty tree; issue 11, item 4).
const nodeModules = path.join(root, 'node_modules');
const npmStampFile = path.join(nodeModules, '.sparkgate-stamp');
const manifests = ['package.json', 'contract/package.json', 'server/package.json', 'extension/package.json'];
const npmInputs = () =>
  sha256(fileHash(path.join(root, 'package-lock.json')), ...manifests.map((f) => installFields(path.join(root, f))));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npmQuiet = ['--no-audit', '--no-fund', '--loglevel=error'];

if (!existsSync(nodeModules) || readStamp(npmStampFile) !== npmInputs()) {
  didWork = true;
  if (!existsSync(path.join(root, 'package-lock.json'))) {
    fail('package-lock.json is missing: run `npm install` once and commit package-lock.json.');
  }
  say('installing npm packages (npm ci)…');
  const ci = capture(npm, ['ci', ...npmQuiet], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  if (ci.status !== 0) failNpmCi(ci);
  ensureNativeModules();
  writeStamp(npmStampFile, npmInputs());
}

/**
 * What of a package.json decides the install: everything but the scripts that are not install
 * lifecycle scripts, so adding an `npm run` script does not wipe and reinstall node_modules.
 */
function installFields(file) {
  if (!existsSync(file)) return 'missing';
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  const lifecycle = ['preinstall', 'install', 'postinstall', 'prepare', 'preprepare', 'postprepare'];
  pkg.scripts = Object.fromEntries(Object.entries(pkg.scripts ?? {}).filter(([k]) => lifecycle.includes(k)));
  return sha256(JSON.stringify(pkg));
}

/** One line that says what to run; npm's own error lines first when it is not the lock's fault. */
function failNpmCi(r) {
  const out = `${r.stdout}${r.stderr}`;
  const problems = out.split('\n').map((l) => l.replace(/^npm error\s*/, '').trim()).filter((l) => /^(Missing|Invalid): /.test(l));
  if (/can only install packages when your package\.json and package-lock\.json/.test(out)) {
    const more = problems.length > 1 ? ` and ${problems.length - 1} more` : '';
    fail(
      `npm ci refused: package-lock.json is out of step with package.json (${problems[0] ?? 'see npm ci'}${more}); ` +
        'run `npm install` and commit package-lock.json.'
    );
  }
  const tail = out.trimEnd().split('\n').slice(-20).join('\n');
  if (tail) console.error(tail);
  fail(`npm ci failed (${r.error ? r.error.message : `exit ${r.status}`}); fix the error above and run \`npm run setup\` again.`);
}

/**
 * zeromq and @swc/core ship prebuilt binaries picked by their install scripts; npm 11 may skip
 * install scripts pending approval. Check they load, rebuild them (runs their scripts) if not.
 */
function ensureNativeModules() {
  const probe = () => capture(process.execPath, ['-e', "require('zeromq'); require('@swc/core')"], { cwd: root });
  if (probe().status === 0) return;
  say('native npm modules did not load; running their install scripts (npm rebuild)…');
  step(npm, ['rebuild', 'zeromq', '@swc/core', '--foreground-scripts', ...npmQuiet], { what: 'npm rebuild zeromq @swc/core' });
  const again = probe();
  if (again.status !== 0) {
    fail(`zeromq/@swc/core still do not load after npm rebuild: ${again.stderr.trim().split('\n').slice(-1)[0]}`);
  }
}

// --- Python environment (.venv) ------------------------------------------------------------
const venvStampFile = path.join(venvDir, '.sparkgate-stamp');
const requirements = path.join(root, 'images', 'jupyterlab', 'requirements.txt');

const venvVersion = () => capture(venvPython, ['-c', 'import sys; print(sys.version)']);
if (existsSync(venvDir) && venvVersion().status !== 0) {
  // E.g. the Python it was made from was removed or upgraded: start over.
  say('.venv is broken (its Python does not run); recreating it…');
  rmSync(venvDir, { recursive: true, force: true });
}
if (!existsSync(venvPython)) {
  didWork = true;
  say('creating the Python environment .venv…');
  step(python, ['-m', 'venv', venvDir], { what: `${python} -m venv .venv` });
}
const venvInputs = sha256(
  fileHash(requirements),
  fileHash(path.join(root, 'images', 'kernel', 'requirements.txt')),
  venvVersion().stdout.trim()
);
if (readStamp(venvStampFile) !== venvInputs) {
  didWork = true;
  const first = !existsSync(path.join(venvBin, 'jupyter'));
  say(`installing Python packages${first ? ' (first run, ~2-3 min)' : ''}…`);
  step(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', '-r', requirements], {
    what: 'pip install -r images/jupyterlab/requirements.txt'
  });
  writeStamp(venvStampFile, venvInputs);
}

// --- builds --------------------------------------------------------------------------------
// Fingerprints include the npm stamp, so new dependencies also trigger a rebuild.
const npmStamp = readStamp(npmStampFile) ?? '';
const generated = new Set(['node_modules', 'lib', 'dist', 'labextension', '.ipynb_checkpoints', '__pycache__']);
const skipGenerated = (p) => generated.has(path.basename(p)) || p.endsWith('.tsbuildinfo');

function buildIf(name, inputs, outputs, run) {
  const stampFile = path.join(nodeModules, `.sparkgate-build-${name}`);
  const fp = sha256(npmStamp, treeFingerprint(inputs, { skip: skipGenerated }));
  if (readStamp(stampFile) === fp && outputs.every((o) => existsSync(path.join(root, o)))) return;
  didWork = true;
  say(`building ${name}…`);
  run();
  writeStamp(stampFile, fp);
}

// The contract first: the server compiles against its types and imports it at run time, the
// extension bundles it, so a contract change rebuilds both.
const contractInputs = ['tsconfig.json', 'contract/tsconfig.json', 'contract/package.json', 'contract/src'];
buildIf('contract', contractInputs, ['contract/dist/index.js', 'contract/dist/index.d.ts'], () =>
  step(npm, ['run', 'build', '--workspace', 'contract'], { what: 'npm run build --workspace contract' })
);

buildIf('server', [...contractInputs, 'server/tsconfig.json', 'server/package.json', 'server/src'], ['server/dist/main.js'], () =>
  step(npm, ['run', 'build', '--workspace', 'server'], { what: 'npm run build --workspace server' })
);

const extensionPkg = JSON.parse(readFileSync(path.join(root, 'extension', 'package.json'), 'utf8'));
const labextensionOut = path.join(root, 'extension', 'sparkgate_lab', 'labextension');
if (extensionPkg.scripts?.['build:lab']) {
  // `jupyter labextension build` must come from the venv's JupyterLab (same 4.5.11 as the builder).
  const env = { ...process.env, PATH: `${venvBin}${path.delimiter}${process.env.PATH ?? ''}` };
  buildIf('extension', [...contractInputs, 'extension'], ['extension/sparkgate_lab/labextension/package.json'], () =>
    step(npm, ['run', 'build:lab', '--workspace', 'extension'], { env, what: 'npm run build:lab --workspace extension' })
  );
  linkLabextension(extensionPkg.name);
} else {
  say('note: extension/package.json has no build:lab script yet; JupyterLab runs without the sparkgate extension.');
}

/** Install the prebuilt extension into the venv the way `jupyter labextension develop` does: a symlink. */
function linkLabextension(name) {
  const dir = path.join(venvDir, 'share', 'jupyter', 'labextensions');
  const link = path.join(dir, name);
  let current;
  try {
    current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : 'not a link';
  } catch {
    current = undefined;
  }
  if (current === labextensionOut) return;
  mkdirSync(dir, { recursive: true });
  rmSync(link, { recursive: true, force: true });
  symlinkSync(labextensionOut, link, 'dir');
  say(`installed the JupyterLab extension into .venv (${path.relative(root, link)} → ${path.relative(root, labextensionOut)})`);
}

if (didWork) say(`setup done in ${((Date.now() - started) / 1000).toFixed(0)}s`);
