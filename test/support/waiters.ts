/**
 * Waits on conditions over state that changes on events (a message arrived, a socket closed):
 * the owner calls `notify()` after each change and every pending predicate is checked again.
 * No polling: what `waitUntil` (waitFor.ts) does for state without events.
 */
export class Waiters {
  private readonly _checks = new Set<() => void>();

  /** Resolves once `predicate` holds (now, or after some `notify()`); rejects after `timeoutMs` with `describe()` in the message. */
  waitFor(predicate: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    if (predicate()) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._checks.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}`));
      }, timeoutMs);
      const check = (): void => {
        if (predicate()) {
          clearTimeout(timer);
          this._checks.delete(check);
          resolve();
        }
      };
      this._checks.add(check);
    });
  }

  /** Checks every pending predicate again. */
  notify(): void {
    for (const check of [...this._checks]) {
      check();
    }
  }
}
