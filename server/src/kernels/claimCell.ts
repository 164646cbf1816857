/**
 * What a claimed warm driver runs before its new owner's first cell (fleet/pools.ts): the
 * per-user settings a cold launch gives the process at start — its `KERNEL_*` environment and
 * working directory — and the executors of a fixed-count profile, which a warm driver does not
 * hold while unclaimed. Spark's app name and user were fixed when the pool started the
 * SparkSession and stay the pool's (README "Warm pools"). Pure; the manager sends it as a silent execute.
 */

/** What the claim applies besides the environment. */
export interface ClaimSettings {
  workingDir?: string;
  /** Executors to request from the running SparkContext (Spark's developer API, via py4j). */
  requestExecutors?: number;
}

/** Python source of the claim: sets `env` in os.environ, moves to the working dir, asks for executors; leaves no names behind. */
export function claimCell(env: Readonly<Record<string, string>>, settings: ClaimSettings = {}): string {
  const { workingDir, requestExecutors } = settings;
  // A JSON string literal is a valid Python string literal (JSON.stringify never writes `\/`).
  const lines = [`import json as _sg_json, os as _sg_os`, `_sg_os.environ.update(_sg_json.loads(${JSON.stringify(JSON.stringify(env))}))`];
  if (workingDir) {
    lines.push(`_sg_os.chdir(${JSON.stringify(workingDir)})`);
  }
  if (requestExecutors && requestExecutors > 0) {
    // The launcher's SparkContext is up (the driver was warm); PySpark has no wrapper for this.
    lines.push('from pyspark import SparkContext as _sg_sc', `_sg_sc._active_spark_context._jsc.sc().requestExecutors(${Math.floor(requestExecutors)})`, 'del _sg_sc');
  }
  lines.push('del _sg_json, _sg_os');
  return lines.join('\n');
}
