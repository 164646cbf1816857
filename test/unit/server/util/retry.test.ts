import { describe, expect, it } from '@jest/globals';
import { Backoff } from '../../../../server/src/util/retry.js';

const take = (backoff: Backoff, n: number): number[] => Array.from({ length: n }, () => backoff.next());

describe('Backoff', () => {
  it('should double from 1 s to the 30 s cap when the random part is zero', () => {
    expect(take(new Backoff({ random: () => 0 }), 7)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('should take up to half of each delay off at random by default', () => {
    expect(take(new Backoff({ random: () => 0.5 }), 7)).toEqual([750, 1500, 3000, 6000, 12000, 22500, 22500]);
    // Never below half the un-jittered delay, never above it.
    expect(take(new Backoff({ random: () => 0.999999 }), 7)).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000]);
  });

  it('should apply the configured jitter, start, factor and cap', () => {
    expect(take(new Backoff({ jitter: 0.2, random: () => 0.25 }), 7)).toEqual([950, 1900, 3800, 7600, 15200, 28500, 28500]);
    expect(take(new Backoff({ initialMs: 100, factor: 3, maxMs: 1000, jitter: 0, random: () => 0.9 }), 5)).toEqual([100, 300, 900, 1000, 1000]);
  });

  it('should draw a fresh random number for every delay', () => {
    const draws = [0, 0.5, 1 / 3];
    const backoff = new Backoff({ random: () => draws.shift() ?? 0 });
    expect(take(backoff, 4)).toEqual([1000, 1500, 3333, 8000]);
  });

  it('should start over after reset() and count attempts', () => {
    const backoff = new Backoff({ random: () => 0 });
    expect(take(backoff, 3)).toEqual([1000, 2000, 4000]);
    expect(backoff.attempts).toBe(3);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(take(backoff, 2)).toEqual([1000, 2000]);
  });

  it('should stay at the cap after very many attempts', () => {
    const backoff = new Backoff({ random: () => 0 });
    take(backoff, 2000);
    expect(backoff.next()).toBe(30000);
  });

  it('should wait through the injected delay function with the next delay and the signal', async () => {
    const calls: Array<[number, AbortSignal | undefined]> = [];
    const backoff = new Backoff({ random: () => 0, delay: async (ms, signal) => void calls.push([ms, signal]) });
    const signal = new AbortController().signal;
    await backoff.wait(signal);
    await backoff.wait();
    expect(calls).toEqual([
      [1000, signal],
      [2000, undefined]
    ]);
  });

  it('should reject the default wait when its signal aborts', async () => {
    const controller = new AbortController();
    const waiting = new Backoff({ initialMs: 60_000 }).wait(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});
