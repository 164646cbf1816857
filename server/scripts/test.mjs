#!/usr/bin/env node
// Runs the test tiers in order (unit → integration → fuzz → cluster → e2e), or the ones named on the
// command line. Lints and type-checks first so a violation fails fast. Assumes setup.mjs has run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { checks } from './lib/checks.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ALL = ['unit', 'integration', 'fuzz', 'cluster', 'e2e'];
const asked = process.argv.slice(2);
const tiers = asked.length > 0 ? asked : ALL;
for (const t of tiers) {
  if (!ALL.includes(t)) {
    console.error(`sparkgate: unknown test tier '${t}'; expected one of ${ALL.join(', ')}`);
    process.exit(2);
  }
}

const env = {
  ...process.env,
  NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules', '--no-warnings=ExperimentalWarning']
    .filter(Boolean)
    .join(' '),
  SPARKGATE_PYTHON: process.env.SPARKGATE_PYTHON ?? path.join(root, '.venv', 'bin', 'python')
};

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) {
    process.exit(r.status ?? 1);
  }
}

// ESLint (import boundaries included) and the type checks, the same as `npm run lint`.
for (const [what, script, args] of checks(root)) {
  console.log(`sparkgate: ${what}`);
  run(process.execPath, [script, ...args]);
}
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
/** True when the tier's folder holds at least one *.test.ts file. */
function hasTests(dir) {
  if (!existsSync(dir)) {
    return false;
  }
  return readdirSync(dir, { withFileTypes: true }).some(e =>
    e.isDirectory() ? e.name !== 'node_modules' && hasTests(path.join(dir, e.name)) : e.name.endsWith('.test.ts')
  );
}

for (const tier of tiers) {
  console.log(`\n=== sparkgate: ${tier} tests ===`);
  if (!hasTests(path.join(root, 'test', tier))) {
    console.log(`sparkgate: the ${tier} tier has no tests yet`);
    continue;
  }
  // A tier may need preparation outside jest (e.g. building the control plane); it must be idempotent.
  const prepare = path.join(root, 'test', tier, 'prepare.mjs');
  if (existsSync(prepare)) {
    run(process.execPath, [prepare]);
  }
  // One worker: integration tiers start JVMs and kernels; 2 cores are not enough for parallel suites.
  run(process.execPath, [jest, '-c', 'test/jest.config.mjs', '--selectProjects', tier, '--runInBand']);
}
