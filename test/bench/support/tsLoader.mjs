/**
 * Node module hooks (module.register) that let the bench import the TypeScript cluster harness
 * (test/cluster/harness, test/cluster/support) as jest does: transpiled by @swc/core, the test
 * tiers' own transformer, and NodeNext `.js` suffixes on relative imports resolved to the `.ts`
 * file. Types are stripped, not checked (`npm run lint` checks them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import swc from '@swc/core';

export async function resolve(specifier, context, next) {
  if (/^\.{1,2}\//.test(specifier) && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
    const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (!existsSync(fileURLToPath(new URL(specifier, context.parentURL))) && existsSync(fileURLToPath(ts))) {
      return { url: ts.href, format: 'module', shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) {
    return next(url, context);
  }
  const file = fileURLToPath(url);
  const { code } = swc.transformSync(readFileSync(file, 'utf8'), {
    filename: file,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: 'inline'
  });
  return { format: 'module', source: code, shortCircuit: true };
}
