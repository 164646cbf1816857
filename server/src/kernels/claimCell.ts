/**
 * What a claimed warm driver runs before its new owner's first cell (fleet/pools.ts): the
 * per-user settings a cold launch gives the process at start — its `KERNEL_*` environment and
 * working directory. Spark's app name and user were fixed when the pool started the SparkSession
 * and stay the pool's (README "Warm pools"). Pure; the manager sends it as a silent execute.
 */

/** Python source of the claim: sets `env` in os.environ and moves to `workingDir`; leaves no names behind. */
export function claimCell(env: Readonly<Record<string, string>>, workingDir: string | undefined): string {
  // A JSON string literal is a valid Python string literal (JSON.stringify never writes `\/`).
  const lines = [`import json as _sg_json, os as _sg_os`, `_sg_os.environ.update(_sg_json.loads(${JSON.stringify(JSON.stringify(env))}))`];
  if (workingDir) {
    lines.push(`_sg_os.chdir(${JSON.stringify(workingDir)})`);
  }
  lines.push('del _sg_json, _sg_os');
  return lines.join('\n');
}
