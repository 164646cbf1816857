/**
 * The bench-only Python environments of the peers. Enterprise Gateway 3.x pins jupyter_server<2
 * and jupyter_client<7 while Kernel Gateway 3.x needs jupyter_server>=2.12, so each gets its own
 * venv under `.cache/bench/`; a stamp file holding the requirement list skips reinstalls.
 * The kernels themselves always run in the project's kernel env (the same for every gateway).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PEERS = {
  eg: { dir: 'eg', packages: ['jupyter-enterprise-gateway==3.3.0'] },
  kg: { dir: 'kg', packages: ['jupyter-kernel-gateway==3.0.1'] }
};

/** The ipykernel pin of images/kernel/requirements.txt, so peers' envs match the kernel's. */
export function ipykernelPin(repoRoot) {
  const text = readFileSync(path.join(repoRoot, 'images', 'kernel', 'requirements.txt'), 'utf8');
  const line = text.split('\n').find(l => /^ipykernel==/.test(l.trim()));
  if (!line) {
    throw new Error('images/kernel/requirements.txt pins no ipykernel');
  }
  return line.trim();
}

/** Creates (or reuses) `<cacheDir>/<peer>` and returns its bin directory. */
export function ensurePeerEnv({ cacheDir, peer, repoRoot, basePython, log }) {
  const spec = PEERS[peer];
  const dir = path.join(cacheDir, spec.dir);
  const wanted = [...spec.packages, ipykernelPin(repoRoot)].join('\n');
  const stamp = path.join(dir, '.sparkgate-bench-requirements');
  const bin = path.join(dir, 'bin');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
    return bin;
  }
  log(`installing ${peer} into ${dir} (${spec.packages.join(', ')}) ...`);
  run(basePython, ['-m', 'venv', dir]);
  run(path.join(bin, 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...wanted.split('\n')]);
  writeFileSync(stamp, wanted);
  return bin;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 15 * 60_000 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal ?? r.error?.message})`);
  }
}
