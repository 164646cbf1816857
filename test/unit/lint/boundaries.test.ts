// The import-boundary rule of eslint.config.mjs fires where STYLE §1 and DESIGN's wave-2 map say
// it must, and stays quiet on the directions they allow (issue 12, item 7). Sources are linted
// as strings under made-up paths in server/src, so no file is needed.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const eslint = new ESLint({ cwd: root, overrideConfigFile: 'eslint.config.mjs' });

/** The boundary messages for `import … from specifier` in a module at `filePath`. */
async function boundaryErrors(filePath: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { x } from '${specifier}';\nexport const y = x;\n`, { filePath });
  return (result?.messages ?? []).filter(m => m.ruleId === 'no-restricted-imports').map(m => `${m.severity === 2 ? 'error' : 'warn'}: ${m.message}`);
}

describe('lint/import boundaries', () => {
  it('should fail protocol/ importing the kernel manager', async () => {
    const errors = await boundaryErrors('server/src/protocol/fixture.ts', '../kernels/manager.js');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every(e => e.startsWith('error: '))).toBe(true);
    expect(errors.join('\n')).toMatch(/protocol\/ is a pure leaf/);
  });

  it.each([
    ['server/src/protocol/fixture.ts', '../channels/zmqChannels.js'],
    ['server/src/protocol/fixture.ts', '../config/types.js'],
    ['server/src/protocol/fixture.ts', '../auth/types.js'],
    ['server/src/channels/fixture.ts', '../kernels/types.js'],
    ['server/src/channels/fixture.ts', '../backends/types.js'],
    ['server/src/backends/fixture.ts', '../kernels/types.js'],
    ['server/src/backends/kubernetes/fixture.ts', '../../api/app.js'],
    ['server/src/backends/local/fixture.ts', '../../kernels/kernel.js'],
    ['server/src/kernels/fixture.ts', '../api/app.js'],
    ['server/src/kernels/fixture.ts', '../backends/local/backend.js'],
    ['server/src/kernels/fixture.ts', '../backends/kubernetes/backend.js'],
    ['server/src/kernels/fixture.ts', './manager.js'],
    ['server/src/fleet/fixture.ts', '../kernels/manager.js'],
    ['server/src/fleet/fixture.ts', '../api/app.js'],
    ['server/src/spark/fixture.ts', '../kernels/types.js'],
    ['server/src/spark/fixture.ts', '../backends/types.js'],
    ['server/src/spark/monitor.ts', '../kernels/kernel.js'],
    ['server/src/spark/monitor.ts', '../api/app.js'],
    ['server/src/auth/fixture.ts', '../kernels/types.js'],
    ['server/src/auth/fixture.ts', '../api/app.js'],
    ['server/src/api/fixture.ts', '../kernels/manager.js'],
    ['server/src/api/rest/fixture.ts', '../../kernels/manager.js'],
    ['server/src/api/fixture.ts', '../main.js'],
    ['server/src/fixture.ts', './main.js'],
    ['server/src/gateway.ts', './main.js']
  ])('should fail %s importing %s', async (filePath, specifier) => {
    expect(await boundaryErrors(filePath, specifier)).not.toEqual([]);
  });

  it.each([
    ['server/src/channels/fixture.ts', '../protocol/wire.js'],
    ['server/src/kernels/fixture.ts', '../backends/types.js'],
    ['server/src/kernels/fixture.ts', '../protocol/messages.js'],
    ['server/src/kernels/fixture.ts', './types.js'],
    ['server/src/kernels/manager.ts', './readiness.js'],
    ['server/src/fleet/fixture.ts', '../kernels/types.js'],
    ['server/src/spark/monitor.ts', '../kernels/types.js'],
    ['server/src/backends/kubernetes/fixture.ts', '../../spark/kubernetesConf.js'],
    ['server/src/backends/kubernetes/fixture.ts', '../types.js'],
    ['server/src/backends/local/fixture.ts', '../../util/processGroup.js'],
    ['server/src/api/fixture.ts', '../kernels/types.js'],
    ['server/src/api/fixture.ts', '../auth/types.js'],
    ['server/src/gateway.ts', './kernels/manager.js'],
    ['server/src/main.ts', './kernels/manager.js']
  ])('should allow %s importing %s', async (filePath, specifier) => {
    expect(await boundaryErrors(filePath, specifier)).toEqual([]);
  });
});
