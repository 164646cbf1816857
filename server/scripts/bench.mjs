#!/usr/bin/env node
// `npm run bench`: builds the gateway, then runs the benchmark (test/bench/run.mjs), passing
// its arguments through (`npm run bench -- --targets sparkgate,direct`). Assumes setup.mjs ran.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const build = spawnSync('npm', ['run', 'build', '--workspace', 'server'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  process.exit(build.status ?? 1);
}
const run = spawnSync(process.execPath, [path.join(root, 'test', 'bench', 'run.mjs'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SPARKGATE_PYTHON: process.env.SPARKGATE_PYTHON ?? path.join(root, '.venv', 'bin', 'python') }
});
process.exit(run.status ?? 1);
