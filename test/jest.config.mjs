// One jest config, one project per test tier. `npm test` runs every tier (server/scripts/test.mjs).
import { fileURLToPath } from 'node:url';

const rootDir = fileURLToPath(new URL('..', import.meta.url));

const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: 'inline'
  }
];

const tier = (name, extra = {}) => ({
  displayName: name,
  rootDir,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  testEnvironment: 'node',
  // Build outputs and the Python env hold package.json copies that confuse jest's module map.
  modulePathIgnorePatterns: ['<rootDir>/extension/sparkgate_lab/', '<rootDir>/extension/lib/', '<rootDir>/.venv/', '<rootDir>/server/dist/'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  // Sources use NodeNext `.js` suffixes on relative imports; jest resolves the `.ts` file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  ...extra
});

export default {
  projects: [
    tier('unit'),
    tier('integration', { slowTestThreshold: 30 }),
    tier('fuzz', { slowTestThreshold: 60 }),
    tier('cluster', { slowTestThreshold: 60 }),
    tier('e2e', { slowTestThreshold: 60 })
  ]
};
