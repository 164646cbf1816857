/** Pure helpers for the benchmark: percentiles, summaries, ratios, number formatting. */

/** The p-th percentile (0..100) of `values` by the nearest-rank method; NaN when empty. */
export function percentile(values, p) {
  if (values.length === 0) {
    return NaN;
  }
  if (p < 0 || p > 100 || Number.isNaN(p)) {
    throw new RangeError(`percentile must be within 0..100, got ${p}`);
  }
  const sorted = Float64Array.from(values).sort();
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** n, min, p50, p90, p99, max and mean of a sample. */
export function summarize(values) {
  const n = values.length;
  if (n === 0) {
    return { n: 0, min: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  }
  const sorted = Float64Array.from(values).sort();
  const at = p => sorted[Math.max(1, Math.ceil((p / 100) * n)) - 1];
  let sum = 0;
  for (const v of sorted) {
    sum += v;
  }
  return { n, min: sorted[0], p50: at(50), p90: at(90), p99: at(99), max: sorted[n - 1], mean: sum / n };
}

/** a ÷ b, or null when either is missing or b is 0. */
export function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : null;
}

/** A number with `digits` significant decimals, '—' when missing. */
export function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '—';
  }
  if (Math.abs(value) >= 1000) {
    return Math.round(value).toLocaleString('en-US');
  }
  return value.toFixed(digits);
}
