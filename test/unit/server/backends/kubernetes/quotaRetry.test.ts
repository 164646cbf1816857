import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { createRetryingQuotaConflicts, isQuotaConflict } from '../../../../../server/src/backends/kubernetes/quotaRetry.js';

const status = (code: number, reason: string, message: string): ApiException<string> =>
  new ApiException(code, reason, JSON.stringify({ kind: 'Status', status: 'Failure', reason, message, code }), {});
// What kube-apiserver answered in a cycles run, with several launches at once in one quota'd namespace.
const QUOTA_CONFLICT = status(409, 'Conflict', 'Operation cannot be fulfilled on resourcequotas "sparkgate-tenant": the object has been modified; please apply your changes to the latest version and try again');
const EXISTS = status(409, 'AlreadyExists', 'secrets "sg-1234abcd-x" already exists');

describe('backends/kubernetes/quotaRetry', () => {
  it('should tell a quota status conflict from an object that already exists', () => {
    expect(isQuotaConflict(QUOTA_CONFLICT)).toBe(true);
    expect(isQuotaConflict(EXISTS)).toBe(false);
    expect(isQuotaConflict(status(403, 'Forbidden', 'exceeded quota: sparkgate-tenant'))).toBe(false);
    expect(isQuotaConflict(new Error('fetch failed'))).toBe(false);
  });

  it('should create again after quota conflicts, with growing pauses, and give the object', async () => {
    const pauses: number[] = [];
    let calls = 0;
    const created = await createRetryingQuotaConflicts(
      async () => {
        calls++;
        if (calls < 3) {
          throw QUOTA_CONFLICT;
        }
        return 'secret';
      },
      6,
      async ms => void pauses.push(ms)
    );
    expect([created, calls, pauses]).toEqual(['secret', 3, [50, 100]]);
  });

  it('should not retry other failures, and give up after the attempts on a conflict that lasts', async () => {
    let calls = 0;
    await expect(createRetryingQuotaConflicts(async () => { calls++; throw EXISTS; }, 6, async () => undefined)).rejects.toBe(EXISTS);
    expect(calls).toBe(1);
    calls = 0;
    await expect(createRetryingQuotaConflicts(async () => { calls++; throw QUOTA_CONFLICT; }, 4, async () => undefined)).rejects.toBe(QUOTA_CONFLICT);
    expect(calls).toBe(4);
  });
});
