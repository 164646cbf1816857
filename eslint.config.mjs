// One lint config for the repository (flat config, ESLint 9): @eslint/js and typescript-eslint
// `recommended` (syntax only, not type-checked: it stays fast on 2 cores, and tsc checks types),
// plus the import boundaries of server/src (STYLE §1, DESIGN "Where the wave-2 pieces go").
// `npm run lint` and server/scripts/test.mjs run it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What plain-JS files (.mjs scripts, bench) may use without importing; Node 20's globals. */
const NODE_GLOBALS = Object.fromEntries(
  [
    'AbortController', 'AbortSignal', 'Buffer', 'URL', 'URLSearchParams', 'TextDecoder', 'TextEncoder', 'console', 'process',
    'fetch', 'Headers', 'Request', 'Response', 'FormData', 'performance', 'queueMicrotask', 'structuredClone', 'globalThis',
    'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'
  ].map(name => [name, 'readonly'])
);

// ---- import boundaries of server/src ---------------------------------------------------------
// Patterns match the relative specifier as written ('../kernels/manager.js' from a sibling
// folder, '../../api/app.js' from one level deeper). No folder inside server/src/<dir>/ shares a
// name with a top-level one, so `^(\.\./)+<dir>/` means "that top-level folder".

/** A specifier that leaves the current folder for top-level folder `dir` (a regex source). */
const into = dir => `^(\\.\\./)+${dir}(/|\\.js$)`;
const rule = (regex, message) => ({ regex, message });
const intoAny = (dirs, why) => dirs.map(d => rule(into(d), `${why} (no import of ${d}/)`));

/** For every module: nothing imports main.ts; only the composition roots import the manager class. */
const NOT_MAIN = rule('^(\\.\\.?/)+main\\.js$', 'main.ts is the composition root; nothing imports it');
const NOT_MANAGER = rule('^(\\.\\./)+kernels/manager\\.js$', 'depend on kernels/types.ts (the KernelManager interface), not kernels/manager.ts');
/** Within kernels/: the pieces the manager composes take narrow interfaces or arguments (no circle). */
const NOT_SIBLING_MANAGER = rule('^\\./manager\\.js$', 'kernels/ modules never import manager.ts: take a narrow interface or arguments instead');
const KERNELS = [
  ...intoAny(['api'], 'kernels/ never depend on api/; api/ publishes what kernels/ emit'),
  rule('^(\\.\\./)+backends/(?!types\\.js$)', 'kernels/ know the Backend interface only (backends/types.ts), never backends/kubernetes or backends/local')
];

/** One `no-restricted-imports` block; flat config replaces (not merges) a rule per file, so every block carries the global patterns too. */
function boundary(files, patterns, { ignores = [], manager = true } = {}) {
  return {
    files,
    ignores,
    rules: { 'no-restricted-imports': ['error', { patterns: [NOT_MAIN, ...(manager ? [NOT_MANAGER] : []), ...patterns] }] }
  };
}

const src = dir => [`server/src/${dir}/**/*.ts`, `server/src/${dir}/**/*.mjs`];

const boundaries = [
  // Everything in server/src, unless a block below is more specific. main.ts and gateway.ts
  // compose the gateway (gateway.ts is createGateway, which main.ts and the tests call), so they
  // alone may construct the manager.
  boundary(['server/src/**/*.ts', 'server/src/**/*.mjs'], [], { ignores: ['server/src/main.ts', 'server/src/gateway.ts'] }),
  boundary(['server/src/main.ts', 'server/src/gateway.ts'], [], { manager: false }),
  boundary(src('protocol'), intoAny(['kernels', 'channels', 'backends', 'api', 'auth', 'config', 'fleet', 'spark'], 'protocol/ is a pure leaf')),
  boundary(src('channels'), intoAny(['kernels', 'backends', 'api', 'fleet'], 'channels/ may import protocol/ only among the domain folders')),
  boundary(src('backends'), intoAny(['kernels', 'api', 'fleet'], 'backends/ implement backends/types.ts and never reach into kernels/ or api/')),
  boundary(src('kernels'), [...KERNELS, NOT_SIBLING_MANAGER], { ignores: ['server/src/kernels/manager.ts'] }),
  boundary(['server/src/kernels/manager.ts'], KERNELS),
  boundary(src('fleet'), intoAny(['api'], 'fleet/ policies depend on kernels/types.ts, never on api/')),
  boundary(src('spark'), intoAny(['kernels', 'backends', 'api'], 'spark/ builds conf and talks to Spark; it knows no kernels, backends or api'), {
    ignores: ['server/src/spark/monitor.ts']
  }),
  boundary(
    ['server/src/spark/monitor.ts'],
    [
      ...intoAny(['backends', 'api'], 'spark/monitor.ts knows no backends or api'),
      rule('^(\\.\\./)+kernels/(?!types\\.js$)', 'spark/monitor.ts may import kernels/types.ts only')
    ]
  ),
  boundary(src('auth'), intoAny(['kernels', 'backends', 'api'], 'auth/ verifies callers; it knows no kernels, backends or api'))
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'extension/lib/**',
      'extension/sparkgate_lab/**',
      '.venv/**',
      'test-artifacts/**',
      'notebooks/**',
      'images/**'
    ]
  },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.mjs'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      // `_name` marks a parameter an interface requires but this implementation ignores.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A `let` read by a function (a shutdown handler) before it is assigned cannot be a const (TDZ).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }]
    }
  },
  {
    // JupyterLab idioms (STYLE §15): `Foo.IOptions` and `namespace Private` beside a class.
    files: ['extension/src/**/*.ts'],
    rules: { '@typescript-eslint/no-namespace': 'off' }
  },
  {
    // The wire codec matches JSON's control-character range (U+0000–U+001F) on purpose.
    files: ['server/src/protocol/**/*.ts'],
    rules: { 'no-control-regex': 'off' }
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: NODE_GLOBALS }
  },
  ...boundaries
);
