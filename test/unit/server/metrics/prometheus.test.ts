import { describe, expect, it } from '@jest/globals';
import { KernelStartTimeoutError, NotFoundError } from '../../../../server/src/errors.js';
import { errorName, LAUNCH_BUCKETS, PrometheusMetrics } from '../../../../server/src/metrics/prometheus.js';
import type { MeteredKernel } from '../../../../server/src/metrics/types.js';

type Kernel = { -readonly [K in keyof MeteredKernel]: MeteredKernel[K] };

function kernel(patch: Partial<Kernel> = {}): Kernel {
  return {
    id: 'k-1b2c3d',
    state: 'starting',
    phase: 'requested',
    pooled: false,
    owner: { user: 'alice', tenant: 'team-a' },
    profile: { id: 'gpu-small' },
    ...patch
  };
}

/** The samples of one metric: labels and value. */
async function values(metrics: PrometheusMetrics, name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) {
    throw new Error(`no metric ${name}`);
  }
  return (await metric.get()).values.map(v => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

const settle = () => new Promise(resolve => setImmediate(resolve));

describe('metrics/prometheus', () => {
  it('should keep one registry per gateway, so two gateways in one process do not collide', async () => {
    const a = new PrometheusMetrics();
    const b = new PrometheusMetrics();
    a.reaped('Pod', 2);
    expect(await values(a, 'sparkgate_kernels_reaped_total')).toEqual([{ labels: { kind: 'Pod' }, value: 2 }]);
    expect(await values(b, 'sparkgate_kernels_reaped_total')).toEqual([]);
    const text = (await a.expose()).body;
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect((await a.expose()).contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  describe('sparkgate_kernels', () => {
    it('should count kernels by state, tenant and profile at each scrape, warm drivers apart, with no user or kernel id', async () => {
      const metrics = new PrometheusMetrics({ defaultMetrics: false });
      let kernels: Kernel[] = [
        kernel({ id: 'k1', state: 'idle' }),
        kernel({ id: 'k2', state: 'idle', owner: { user: 'bob', tenant: 'team-a' } }),
        kernel({ id: 'k3', state: 'busy', owner: { user: 'carol', tenant: 'team-b' }, profile: { id: 'cpu' } }),
        kernel({ id: 'k4', state: 'idle', pooled: true, owner: { user: '', tenant: 'team-a' } })
      ];
      metrics.observeKernels(() => kernels);
      expect(await values(metrics, 'sparkgate_kernels')).toEqual([
        { labels: { state: 'idle', tenant: 'team-a', profile: 'gpu-small' }, value: 2 },
        { labels: { state: 'busy', tenant: 'team-b', profile: 'cpu' }, value: 1 }
      ]);
      expect(await values(metrics, 'sparkgate_warm_drivers')).toEqual([{ labels: { state: 'idle', tenant: 'team-a', profile: 'gpu-small' }, value: 1 }]);
      kernels = [kernel({ id: 'k1', state: 'dead' })];
      const text = (await metrics.expose()).body;
      expect(text).toContain('sparkgate_kernels{state="dead",tenant="team-a",profile="gpu-small"} 1');
      // Gone kernels leave no stale series behind.
      expect(text).not.toContain('state="busy"');
      expect(text).not.toMatch(/alice|bob|carol|k1/);
    });

    it('should add user and kernel_id labels only with perUserLabels', async () => {
      const metrics = new PrometheusMetrics({ defaultMetrics: false, perUserLabels: true });
      metrics.observeKernels(() => [kernel({ id: 'k1', state: 'idle' })]);
      expect(await values(metrics, 'sparkgate_kernels')).toEqual([
        { labels: { state: 'idle', tenant: 'team-a', profile: 'gpu-small', user: 'alice', kernel_id: 'k1' }, value: 1 }
      ]);
      metrics.websocketOpened(kernel());
      expect(await values(metrics, 'sparkgate_websocket_connections')).toEqual([{ labels: { tenant: 'team-a', user: 'alice' }, value: 1 }]);
    });
  });

  describe('sparkgate_launches_total', () => {
    it('should count successes by how the kernel came, failures by the error reason, aborts as cancelled', async () => {
      const metrics = new PrometheusMetrics({ defaultMetrics: false });
      const live = new AbortController().signal;
      const aborted = AbortSignal.abort();
      metrics.launchStarted(kernel({ id: 'a' }), Promise.resolve(), { pooled: false, signal: live });
      metrics.launchStarted(kernel({ id: 'b', state: 'restarting' }), Promise.resolve(), { pooled: false, signal: live });
      metrics.launchStarted(kernel({ id: 'c' }), Promise.resolve(), { pooled: true, signal: live });
      metrics.launchStarted(kernel({ id: 'd' }), Promise.reject(new KernelStartTimeoutError('kernel did not start within 60 s')), {
        pooled: false,
        signal: aborted
      });
      metrics.launchStarted(kernel({ id: 'e' }), Promise.reject(new DOMException('This operation was aborted', 'AbortError')), {
        pooled: false,
        signal: aborted
      });
      metrics.launchStarted(kernel({ id: 'f' }), Promise.reject(new TypeError('boom')), { pooled: false, signal: live });
      metrics.launchClaimed(kernel({ id: 'g', state: 'idle' }));
      await settle();
      const base = { tenant: 'team-a', profile: 'gpu-small' };
      expect(await values(metrics, 'sparkgate_launches_total')).toEqual(
        expect.arrayContaining([
          { labels: { ...base, outcome: 'success', reason: 'new' }, value: 1 },
          { labels: { ...base, outcome: 'success', reason: 'restart' }, value: 1 },
          { labels: { ...base, outcome: 'success', reason: 'pool' }, value: 1 },
          { labels: { ...base, outcome: 'success', reason: 'claim' }, value: 1 },
          { labels: { ...base, outcome: 'failure', reason: 'KernelStartTimeout' }, value: 1 },
          { labels: { ...base, outcome: 'cancelled', reason: 'shutdown' }, value: 1 },
          { labels: { ...base, outcome: 'failure', reason: 'InternalError' }, value: 1 }
        ])
      );
      expect(await values(metrics, 'sparkgate_launches_total')).toHaveLength(7);
    });
  });

  describe('sparkgate_launch_phase_seconds', () => {
    it('should observe the seconds from the launch to each phase once, until spark-ready', async () => {
      let now = 100;
      const metrics = new PrometheusMetrics({ defaultMetrics: false, now: () => now });
      const k = kernel();
      metrics.launchStarted(k, new Promise(() => undefined), { pooled: false, signal: new AbortController().signal });
      const at = (seconds: number, phase: string): void => {
        now = 100 + seconds;
        k.phase = phase;
        metrics.kernelChanged(k);
      };
      at(3, 'scheduling');
      at(4, 'scheduling'); // the same phase again (a detail changed): not observed twice
      at(40, 'starting');
      at(45, 'kernel-ready');
      at(70, 'spark-ready');
      at(80, 'starting'); // after spark-ready nothing is timed (a later change of the kernel)
      const text = (await metrics.expose()).body;
      expect(text).toContain('sparkgate_launch_phase_seconds_sum{phase="scheduling",tenant="team-a",profile="gpu-small"} 3');
      expect(text).toContain('sparkgate_launch_phase_seconds_count{phase="scheduling",tenant="team-a",profile="gpu-small"} 1');
      expect(text).toContain('sparkgate_launch_phase_seconds_sum{phase="starting",tenant="team-a",profile="gpu-small"} 40');
      expect(text).toContain('sparkgate_launch_phase_seconds_count{phase="starting",tenant="team-a",profile="gpu-small"} 1');
      expect(text).toContain('sparkgate_launch_phase_seconds_sum{phase="kernel-ready",tenant="team-a",profile="gpu-small"} 45');
      expect(text).toContain('sparkgate_launch_phase_seconds_sum{phase="spark-ready",tenant="team-a",profile="gpu-small"} 70');
      expect(text).toContain('sparkgate_launch_phase_seconds_bucket{le="60",phase="kernel-ready",tenant="team-a",profile="gpu-small"} 1');
      expect(text).toContain('sparkgate_launch_phase_seconds_bucket{le="30",phase="kernel-ready",tenant="team-a",profile="gpu-small"} 0');
      expect(text).not.toContain('phase="requested"');
      expect(LAUNCH_BUCKETS.at(-1)).toBe(1200);
    });

    it('should time nothing for a kernel whose launch it did not see start (adopted), nor after a failed launch', async () => {
      const metrics = new PrometheusMetrics({ defaultMetrics: false });
      metrics.kernelChanged(kernel({ phase: 'kernel-ready', state: 'idle' }));
      metrics.launchStarted(kernel({ id: 'x' }), Promise.reject(new KernelStartTimeoutError('late')), { pooled: false, signal: AbortSignal.abort() });
      await settle();
      metrics.kernelChanged(kernel({ id: 'x', phase: 'starting' }));
      expect((await metrics.expose()).body).not.toContain('sparkgate_launch_phase_seconds_count');
    });
  });

  it('should count websockets up and down, relayed messages and bytes, culls, Kubernetes requests, watch restarts and errors', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    metrics.websocketOpened(kernel());
    metrics.websocketOpened(kernel());
    metrics.websocketClosed(kernel());
    expect(await values(metrics, 'sparkgate_websocket_connections')).toEqual([{ labels: { tenant: 'team-a' }, value: 1 }]);
    metrics.relayed('shell', 'in', 300);
    metrics.relayed('iopub', 'out', 120);
    metrics.relayed('iopub', 'out', 80);
    expect(await values(metrics, 'sparkgate_relayed_messages_total')).toEqual([
      { labels: { channel: 'shell', direction: 'in' }, value: 1 },
      { labels: { channel: 'iopub', direction: 'out' }, value: 2 }
    ]);
    expect(await values(metrics, 'sparkgate_relayed_bytes_total')).toEqual([
      { labels: { channel: 'shell', direction: 'in' }, value: 300 },
      { labels: { channel: 'iopub', direction: 'out' }, value: 200 }
    ]);
    metrics.culled(kernel(), 'idle');
    expect(await values(metrics, 'sparkgate_kernels_culled_total')).toEqual([{ labels: { tenant: 'team-a', reason: 'idle' }, value: 1 }]);
    metrics.kubernetesRequest('list', 'pods', '200');
    metrics.watchRestarted('pods');
    expect(await values(metrics, 'sparkgate_kubernetes_requests_total')).toEqual([{ labels: { verb: 'list', resource: 'pods', code: '200' }, value: 1 }]);
    expect(await values(metrics, 'sparkgate_kubernetes_watch_restarts_total')).toEqual([{ labels: { resource: 'pods' }, value: 1 }]);
    metrics.error(new NotFoundError('kernel k does not exist'));
    metrics.error(new NotFoundError('kernel j does not exist'));
    metrics.error('a string thrown');
    expect(await values(metrics, 'sparkgate_errors_total')).toEqual([
      { labels: { name: 'NotFoundError' }, value: 2 },
      { labels: { name: 'string' }, value: 1 }
    ]);
  });

  describe('errorName()', () => {
    it('should keep class-like names and never free text', () => {
      expect(errorName(new TypeError('x'))).toBe('TypeError');
      expect(errorName(Object.assign(new Error('x'), { name: 'kernel 42 of alice failed' }))).toBe('Error');
      expect(errorName(null)).toBe('object');
    });
  });
});
