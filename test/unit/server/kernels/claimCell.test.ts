// The claim cell (issue 15) run by a real Python: env values of any shape survive, the working
// directory changes, executors are asked for, and no names are left in the user's namespace.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { claimCell } from '../../../../server/src/kernels/claimCell.js';

/** Runs `code` then prints what the user's cell would see, with a stand-in pyspark that records requests. */
function run(code: string): { env: Record<string, string>; cwd: string; requested: number[]; leftovers: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sg-claim-'));
  try {
    mkdirSync(path.join(dir, 'pyspark'));
    writeFileSync(
      path.join(dir, 'pyspark', '__init__.py'),
      [
        'requested = []',
        'class _Sc:',
        '    def requestExecutors(self, n):',
        '        requested.append(n)',
        '        return True',
        'class _Jsc:',
        '    def sc(self):',
        '        return _Sc()',
        'class _Context:',
        '    _jsc = _Jsc()',
        'class SparkContext:',
        '    _active_spark_context = _Context()'
      ].join('\n')
    );
    const probe = [
      'import json as _j, os as _o, pyspark as _p',
      'with open(_o.environ["CLAIM_FILE"]) as _f:',
      '    _src = _f.read()',
      'before = set(globals())',
      'exec(compile(_src, "claim", "exec"), globals())',
      'print(_j.dumps({"env": {k: v for k, v in _o.environ.items() if k.startswith("KERNEL_")}, "cwd": _o.getcwd(), "requested": _p.requested, "leftovers": sorted(set(globals()) - before - {"before"})}))'
    ].join('\n');
    writeFileSync(path.join(dir, 'claim.py'), code);
    const out = execFileSync('python3', ['-c', probe], { cwd: dir, env: { PATH: process.env.PATH ?? '', PYTHONPATH: dir, CLAIM_FILE: path.join(dir, 'claim.py') }, encoding: 'utf8' });
    return JSON.parse(out) as ReturnType<typeof run>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('kernels/claimCell', () => {
  it('should set every KERNEL_* value exactly, quotes, backslashes, newlines and unicode included', () => {
    const env = { KERNEL_A: 'plain', KERNEL_B: `it's "quoted" \\ back\\slash\nnew line`, KERNEL_C: 'ünï 🚀 \u2028', KERNEL_D: '' };
    expect(run(claimCell(env))).toEqual({ env, cwd: expect.any(String), requested: [], leftovers: [] });
  });

  it('should move to the working directory and ask Spark for the executors of a fixed-count profile', () => {
    const target = realpathSync(mkdtempSync(path.join(tmpdir(), 'sg-wd-')));
    try {
      const seen = run(claimCell({}, { workingDir: target, requestExecutors: 3 }));
      expect(seen).toEqual({ env: {}, cwd: target, requested: [3], leftovers: [] });
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it('should ask for no executors when none are due', () => {
    expect(claimCell({}, { requestExecutors: 0 })).not.toContain('requestExecutors');
    expect(claimCell({})).not.toContain('chdir');
  });
});
