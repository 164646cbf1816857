/**
 * A small client of Prometheus' instant query API (`GET /api/v1/query`): one fetch with a
 * timeout, the envelope checked, and every failure a {@link PrometheusError} whose message says
 * what went wrong in words a user can act on ("connect ECONNREFUSED 127.0.0.1:9090",
 * "Prometheus answered 503: query timed out").
 */

import { ServiceUnavailableError } from '../errors.js';

/** One series of an instant vector: its labels and its latest value (parsed; NaN when Prometheus says so). */
export interface PromSeries {
  metric: Record<string, string>;
  value: number;
}

/** Prometheus could not be asked, or its answer was an error; `message` is the cause alone. */
export class PrometheusError extends ServiceUnavailableError {
  override readonly reason = 'PrometheusUnavailable';
}

export interface PrometheusClientOptions {
  /** Base URL without a trailing slash, e.g. `http://prometheus.monitoring:9090`. */
  url: string;
  timeoutMs: number;
  /** A seam for tests; default the global fetch. */
  fetch?: typeof fetch;
}

/** Instant queries against one Prometheus. */
export interface PrometheusClient {
  /** The instant vector `query` evaluates to now; rejects with a PrometheusError. */
  query(query: string, signal?: AbortSignal): Promise<PromSeries[]>;
}

/** Makes the client; no request until `query`. */
export function prometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const doFetch = options.fetch ?? fetch;
  return {
    async query(query, signal) {
      const url = `${options.url}/api/v1/query?${new URLSearchParams({ query }).toString()}`;
      const timeout = AbortSignal.timeout(options.timeoutMs);
      let res: Response;
      let text: string;
      try {
        res = await doFetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers: { accept: 'application/json' } });
        text = await res.text();
      } catch (err) {
        if (timeout.aborted) {
          throw new PrometheusError(`no answer from ${options.url} within ${seconds(options.timeoutMs)}`, { cause: err });
        }
        throw new PrometheusError(fetchCause(err), { cause: err });
      }
      return parseQueryAnswer(res.status, text);
    }
  };
}

/**
 * Pure: the series of a `/api/v1/query` answer with HTTP status `status` and body `text`, or a
 * PrometheusError naming the status and Prometheus' own words (`error`), e.g. 400 for a bad
 * expression, 422 when it cannot be executed, 503 on timeout or abort.
 */
export function parseQueryAnswer(status: number, text: string): PromSeries[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const envelope = isRecord(body) ? body : null;
  if (status < 200 || status >= 300 || envelope?.status !== 'success') {
    const said = envelope && typeof envelope.error === 'string' ? envelope.error : snippet(text);
    throw new PrometheusError(`Prometheus answered ${status}${said ? `: ${said}` : ''}`);
  }
  const data = envelope.data;
  if (!isRecord(data) || data.resultType !== 'vector' || !Array.isArray(data.result)) {
    throw new PrometheusError(`Prometheus answered ${status} without an instant vector`);
  }
  const series: PromSeries[] = [];
  for (const item of data.result) {
    // Native histograms carry `histogram`, not `value`; DCGM gauges never are.
    if (!isRecord(item) || !isRecord(item.metric) || !Array.isArray(item.value) || typeof item.value[1] !== 'string') {
      continue;
    }
    const metric: Record<string, string> = {};
    for (const [k, v] of Object.entries(item.metric)) {
      if (typeof v === 'string') {
        metric[k] = v;
      }
    }
    // Values are strings: JSON has no NaN or Inf.
    series.push({ metric, value: Number(item.value[1]) });
  }
  return series;
}

/** What undici's "fetch failed" hides: the socket's own words (`connect ECONNREFUSED 127.0.0.1:9090`). */
function fetchCause(err: unknown): string {
  // Duck-typed, not instanceof: fetch's errors may come from another realm (vm contexts, workers).
  let e: unknown = err;
  for (let i = 0; i < 5 && hasCause(e); i++) {
    e = e.cause;
  }
  // Happy eyeballs: every address refused, the first one says why.
  if (isRecord(e) && Array.isArray(e.errors) && isRecord(e.errors[0]) && typeof e.errors[0].message === 'string' && !e.message) {
    e = e.errors[0];
  }
  return isRecord(e) && typeof e.message === 'string' && e.message ? e.message : String(e);
}

function hasCause(e: unknown): e is { cause: Record<string, unknown> } {
  return isRecord(e) && isRecord(e.cause) && typeof e.cause.message === 'string';
}

function seconds(ms: number): string {
  return `${Math.round(ms) / 1000} s`;
}

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
