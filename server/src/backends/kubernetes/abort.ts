import { KernelLaunchError } from '../../errors.js';

/** Why a launch's signal aborted: its reason when that is an error (the manager's timeout), else "launch cancelled". */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new KernelLaunchError('launch cancelled');
}

/**
 * `promise`, or a rejection with {@link abortReason} as soon as `signal` aborts, whichever comes
 * first. The promise itself goes on (it may be shared with other callers); its later rejection is
 * not left unhandled.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    // The handlers below also keep a later rejection of an abandoned `promise` handled.
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      value => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      }
    );
  });
}
