import { describe, expect, it } from '@jest/globals';
// @ts-expect-error: plain ESM helper of the benchmark, no type declarations
import { fmt, percentile, ratio, summarize } from '../../bench/support/stats.mjs';

describe('bench stats', () => {
  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarizes a sample', () => {
    const s = summarize([3, 1, 2, 4]);
    expect(s).toEqual({ n: 4, min: 1, p50: 2, p90: 4, p99: 4, max: 4, mean: 2.5 });
    expect(summarize([]).n).toBe(0);
  });

  it('gives ratios only for usable numbers', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
    expect(fmt(null)).toBe('—');
    expect(fmt(1234.5)).toBe('1,235');
    expect(fmt(0.1234, 3)).toBe('0.123');
  });
});
