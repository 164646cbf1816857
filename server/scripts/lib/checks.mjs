// The static checks `npm test` runs before any tier and `npm run lint` runs alone (Node built-ins only).
import path from 'node:path';

/** What ESLint reads (eslint.config.mjs holds the rules, the import boundaries among them). */
export const LINTED = ['server/src', 'server/scripts', 'server/bin', 'contract/src', 'extension/src', 'test'];

/** [what, node script, args] for each check, relative to the repository root `root`. */
export function checks(root) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  return [
    ['eslint', path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), [...LINTED]],
    ['tsc server', tsc, ['-p', 'server/tsconfig.json', '--noEmit']],
    ['tsc contract', tsc, ['-p', 'contract/tsconfig.json', '--noEmit']],
    // Test files too: swc only strips their types, so nothing else would check them.
    ['tsc test', tsc, ['-p', 'test/tsconfig.json']],
    ['tsc extension', tsc, ['-p', 'test/unit/extension/tsconfig.json']]
  ];
}
