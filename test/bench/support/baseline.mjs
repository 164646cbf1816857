/**
 * `--baseline REF`: the gateway as it was at a git revision, built into `.cache/bench/` and run
 * in the same bench run as the working tree's, so a fix gets before/after figures measured side
 * by side (same machine, same minutes, latency samples interleaved) rather than across runs.
 *
 * Only server/ is taken from REF (`git archive`); it is compiled with the working tree's
 * TypeScript and resolves its npm packages from the repository's node_modules (the build lives
 * under the repository root), so REF must not need dependencies the working tree lacks. Its
 * `images/` is a link to the working tree's: every target runs the same kernel launcher.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

/** Builds (or reuses) the server at `ref`; returns its dist directory. */
export function buildBaseline({ repoRoot, ref, cacheDir, log }) {
  const git = args => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).trim();
  const sha = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  const dir = path.join(cacheDir, `baseline-${sha.slice(0, 12)}`);
  const dist = path.join(dir, 'server', 'dist');
  if (existsSync(path.join(dist, 'main.js'))) {
    return { sha, dist };
  }
  log(`building the baseline gateway at ${ref} (${sha.slice(0, 12)}) into ${path.relative(repoRoot, dir)} ...`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // server/assets (kernelspec logos) exists only in later revisions; git archive refuses a missing path.
  const assets = git(['ls-tree', '--name-only', sha, 'server/assets']) ? ['server/assets'] : [];
  const archive = execFileSync('git', ['archive', '--format=tar', sha, 'tsconfig.json', 'server/package.json', 'server/tsconfig.json', 'server/src', ...assets], {
    cwd: repoRoot,
    maxBuffer: 256 * 1024 * 1024
  });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  symlinkSync(path.join(repoRoot, 'images'), path.join(dir, 'images'));
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(dir, 'server', 'tsconfig.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
  // What the server's build copies besides tsc's output (its package.json "build"): plain .mjs modules.
  const processGroup = path.join(dir, 'server', 'src', 'util', 'processGroup.mjs');
  if (existsSync(processGroup)) {
    copyFileSync(processGroup, path.join(dist, 'util', 'processGroup.mjs'));
  }
  return { sha, dist };
}
