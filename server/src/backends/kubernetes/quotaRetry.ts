import { defaultDelay, type DelayFn } from '../../util/retry.js';
import { apiReason, apiStatus } from './apiErrors.js';

/**
 * A create refused with 409 because the namespace's ResourceQuota status changed under the API
 * server's quota admission ("Operation cannot be fulfilled on resourcequotas …: the object has
 * been modified"): nothing was created, and the same create succeeds once retried. Several
 * launches at once in one quota'd namespace hit it; an AlreadyExists 409 is not this.
 */
export function isQuotaConflict(error: unknown): boolean {
  return apiStatus(error) === 409 && /on resourcequotas\b.*has been modified/i.test(apiReason(error));
}

/** Runs `create`, again after a quota conflict (at most `attempts` times, 50 ms doubling). */
export async function createRetryingQuotaConflicts<T>(create: () => Promise<T>, attempts = 6, delay: DelayFn = defaultDelay): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      if (attempt >= attempts || !isQuotaConflict(error)) {
        throw error;
      }
      await delay(50 * 2 ** (attempt - 1));
    }
  }
}
