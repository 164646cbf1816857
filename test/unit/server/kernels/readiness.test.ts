// Readiness of a freshly bound kernel: a kernel_info reply and live iopub, re-asked with the one
// back-off policy (issue 12, items 1 and 5). A fake clock; each pause advances it 20 ms.
import { describe, expect, it } from '@jest/globals';
import type { KernelExit } from '../../../../server/src/backends/types.js';
import { KernelLaunchError } from '../../../../server/src/errors.js';
import { awaitReady, type ReadinessProbe } from '../../../../server/src/kernels/readiness.js';
import type { RawMessage } from '../../../../server/src/protocol/messages.js';
import { Backoff } from '../../../../server/src/util/retry.js';
import { status } from './fakes.js';

/**
 * A kernel that answers the requests asked at or after `answerAt` ms, and publishes its first
 * iopub message at `iopubAt` ms (after readiness began: what came before does not count).
 */
function probe(options: { answerAt?: number; iopubAt?: number }) {
  let now = 0;
  const asked: number[] = [];
  const kernel: ReadinessProbe & { advance(ms: number): void } = {
    get iopubReceived() {
      return options.iopubAt !== undefined && now >= options.iopubAt ? 1 : 0;
    },
    request: async () => {
      asked.push(now);
      return options.answerAt !== undefined && now >= options.answerAt ? (status('idle') as RawMessage) : null;
    },
    advance: ms => {
      now += ms;
    }
  };
  const run = (extra: { exited?: Promise<KernelExit>; signal?: AbortSignal; stopAt?: number } = {}) =>
    awaitReady({
      kernel,
      exited: extra.exited ?? new Promise(() => undefined),
      signal: extra.signal ?? new AbortController().signal,
      requestTimeoutMs: 60_000,
      backoff: new Backoff({ initialMs: 250, maxMs: 2000, jitter: 0.25, random: () => 0 }),
      now: () => now,
      pause: async () => {
        kernel.advance(20);
        // Every pause is a microtask: a test that never becomes ready must still end.
        if (now >= (extra.stopAt ?? 100_000)) {
          throw new Error('test clock ran out');
        }
      }
    });
  return { kernel, asked, run, time: () => now };
}

describe('kernels/readiness', () => {
  describe('awaitReady()', () => {
    it('should resolve after one kernel_info when the reply and iopub come at once', async () => {
      const { asked, run, time } = probe({ answerAt: 0, iopubAt: 1 });
      await run();
      expect(asked).toEqual([0]);
      expect(time()).toBe(20);
    });

    it('should re-ask with capped exponential delays until a request is answered', async () => {
      const { asked, run } = probe({ answerAt: 4000, iopubAt: 1 });
      await run();
      // 250 ms doubling to the 2 s cap, each at the next 20 ms check.
      expect(asked).toEqual([0, 260, 760, 1760, 3760, 5760]);
    });

    it('should wait for iopub after the reply (SUB sockets miss what comes before they connect)', async () => {
      const { asked, run, time } = probe({ answerAt: 0, iopubAt: 500 });
      await run();
      expect(time()).toBe(500);
      expect(asked).toEqual([0, 260]);
    });

    it('should fail with the exit reason when the kernel exits first', async () => {
      const { run } = probe({});
      const exited = Promise.resolve({ code: 1, signal: null, reason: 'ModuleNotFoundError: pyspark' });
      await expect(run({ exited })).rejects.toThrow(new KernelLaunchError('kernel exited during start (code 1): ModuleNotFoundError: pyspark'));
      const bySignal = Promise.resolve({ code: null, signal: 'SIGKILL', reason: 'OOMKilled' });
      await expect(probe({}).run({ exited: bySignal })).rejects.toThrow('kernel exited during start (code SIGKILL): OOMKilled');
    });

    it('should not count iopub that came before it began', async () => {
      const { kernel, run } = probe({ answerAt: 0 });
      Object.defineProperty(kernel, 'iopubReceived', { value: 5 });
      await expect(run({ stopAt: 10_000 })).rejects.toThrow('test clock ran out');
    });

    it('should fail with the abort reason when aborted', async () => {
      const abort = new AbortController();
      const reason = new Error('kernel did not start within 1 s');
      abort.abort(reason);
      await expect(probe({}).run({ signal: abort.signal })).rejects.toBe(reason);
    });
  });
});
