#!/usr/bin/env node
// `npm run lint`: ESLint over the sources and tests, then the type checks — the same checks
// `npm test` runs first (server/scripts/lib/checks.mjs). Exits non-zero on the first failure.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checks } from './lib/checks.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
for (const [what, script, args] of checks(root)) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`sparkgate: ${what} failed`);
    process.exit(r.status ?? 1);
  }
}
