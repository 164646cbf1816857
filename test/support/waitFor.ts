/**
 * Waits for a condition the test cannot subscribe to (a process gone, a file removed, a model
 * changed): checks it every `intervalMs` until it holds. The one poll loop of the tests.
 */

type Check<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

/** The first value `check` returns that is not undefined, null or false; undefined once `timeoutMs` has passed. */
async function poll<T>(check: Check<T>, timeoutMs: number, intervalMs: number): Promise<{ value: T } | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) {
      return { value };
    }
    if (Date.now() >= deadline) {
      return undefined;
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}

/** Resolves with what `check` returned once it holds; fails naming `what` after `timeoutMs`. Errors `check` throws fail at once. */
export async function waitUntil<T>(check: Check<T>, options: { timeoutMs: number; what: string; intervalMs?: number }): Promise<T> {
  const held = await poll(check, options.timeoutMs, options.intervalMs ?? 50);
  if (!held) {
    throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
  }
  return held.value;
}

/**
 * Whether `check` comes to hold within `timeoutMs`, for a test that reports a miss itself (with
 * more detail, or as one finding among many). Errors `check` throws still fail at once.
 */
export async function holdsWithin(check: Check<unknown>, options: { timeoutMs: number; intervalMs?: number }): Promise<boolean> {
  return (await poll(check, options.timeoutMs, options.intervalMs ?? 50)) !== undefined;
}
