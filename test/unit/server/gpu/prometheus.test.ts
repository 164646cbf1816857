import { describe, expect, it } from '@jest/globals';
import { parseQueryAnswer, prometheusClient, PrometheusError } from '../../../../server/src/gpu/prometheus.js';

describe('gpu/prometheus', () => {
  describe('#parseQueryAnswer()', () => {
    it("should return an instant vector's labels and values, parsed from Prometheus' strings", () => {
      const body = {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            { metric: { __name__: 'DCGM_FI_DEV_GPU_UTIL', pod: 'p' }, value: [1764741600.5, '63'] },
            { metric: { __name__: 'DCGM_FI_DEV_POWER_USAGE', pod: 'p' }, value: [1764741600.5, 'NaN'] },
            { metric: { __name__: 'h' }, histogram: [1764741600.5, {}] }
          ]
        },
        warnings: ['ignored']
      };
      const out = parseQueryAnswer(200, JSON.stringify(body));
      expect(out.map(s => [s.metric.__name__, s.value])).toEqual([
        ['DCGM_FI_DEV_GPU_UTIL', 63],
        ['DCGM_FI_DEV_POWER_USAGE', Number.NaN]
      ]);
    });

    it.each([
      [400, { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:2: parse error' }, 'Prometheus answered 400: invalid parameter "query": 1:2: parse error'],
      [422, { status: 'error', errorType: 'execution', error: 'many-to-many matching not allowed' }, 'Prometheus answered 422: many-to-many matching not allowed'],
      [503, { status: 'error', errorType: 'timeout', error: 'query timed out' }, 'Prometheus answered 503: query timed out']
    ])('should name the status and Prometheus’ own words for HTTP %i', (status, body, message) => {
      expect(() => parseQueryAnswer(status, JSON.stringify(body))).toThrow(new PrometheusError(message));
    });

    it('should quote a short non-JSON body (a proxy in front of Prometheus) and refuse what is no instant vector', () => {
      expect(() => parseQueryAnswer(502, '<html>\n<body>Bad Gateway</body></html>')).toThrow('Prometheus answered 502: <html> <body>Bad Gateway</body></html>');
      expect(() => parseQueryAnswer(200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '2'] } }))).toThrow(
        'Prometheus answered 200 without an instant vector'
      );
    });
  });

  describe('#prometheusClient()', () => {
    it('should GET /api/v1/query with the query encoded', async () => {
      const urls: string[] = [];
      const client = prometheusClient({
        url: 'http://prom:9090',
        timeoutMs: 1000,
        fetch: async url => {
          urls.push(String(url));
          return new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
        }
      });
      expect(await client.query('{namespace="a b"}')).toEqual([]);
      expect(urls).toEqual(['http://prom:9090/api/v1/query?query=%7Bnamespace%3D%22a+b%22%7D']);
    });

    it('should give up after timeoutMs and say so', async () => {
      const client = prometheusClient({
        url: 'http://prom:9090',
        timeoutMs: 50,
        fetch: (_url, init) =>
          new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)))
      });
      await expect(client.query('up')).rejects.toThrow(/^no answer from http:\/\/prom:9090 within 0.05 s$/);
    });
  });
});
