import { expect } from '@jest/globals';
import type { BackendName } from '../../../../server/src/config/types.js';
import { ConfigError } from '../../../../server/src/config/errors.js';
import { loadConfig } from '../../../../server/src/config/load.js';

const defaults = { python: '/py', launcher: '/launcher.py', workingDir: '/work' };

/**
 * Loaders of a config whose only profile `p` has `body` (YAML flow mapping entries): the profile
 * as loaded, and the one-line refusal of a body the loader must refuse.
 */
export function profileLoader(backend?: BackendName) {
  const load = (yaml: string) =>
    loadConfig({ flags: { config: 'gw.yaml', ...(backend ? { backend } : {}) }, env: { SPARKGATE_TOKEN: 'secret' }, readFile: () => yaml, defaults });
  const profile = (body: string) => load(`profiles:\n  p: {${body}}\n`).profiles.p!;
  const refusal = (body: string): string => {
    try {
      profile(body);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error(`profile {${body}} was accepted`);
  };
  return { load, profile, refusal };
}
