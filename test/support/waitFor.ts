/**
 * Waits for a condition the test cannot subscribe to (a process gone, a file removed, a model
 * changed): checks it every `intervalMs` until it holds, and fails naming `what` after `timeoutMs`.
 */
export async function waitUntil<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: { timeoutMs: number; what: string; intervalMs?: number }
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) {
      return value;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    }
    await new Promise(resolve => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
