// The one-line metric calls where things happen (issue 17, item 1): a pod watch that breaks, the
// orphan sweep, the idle culler, the crash guard — each counted once, under bounded labels.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { PodWatch } from '../../../../server/src/backends/kubernetes/podWatch.js';
import { installCrashGuard } from '../../../../server/src/crashGuard.js';
import { Culler } from '../../../../server/src/fleet/culler.js';
import { Reaper } from '../../../../server/src/fleet/reaper.js';
import type { FleetKernel, KernelFleet } from '../../../../server/src/kernels/types.js';
import { silentLogger } from '../../../../server/src/log.js';
import { PrometheusMetrics } from '../../../../server/src/metrics/prometheus.js';
import { waitUntil } from '../../../support/waitFor.js';
import { FakeDelays, FakeInformer } from '../backends/kubernetes/fixtures.js';

const settle = () => new Promise(resolve => setImmediate(resolve));

async function samples(metrics: PrometheusMetrics, name: string): Promise<Array<{ labels: object; value: number }>> {
  return (await metrics.registry.getSingleMetric(name)!.get()).values.map(v => ({ labels: v.labels, value: v.value }));
}

describe('metrics call sites', () => {
  it('should count a running pod watch that broke as one restart of pods (not a first start that failed)', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    const informer = new FakeInformer([[]]);
    const delays = new FakeDelays();
    const watch = new PodWatch({ informerFactory: () => informer, logger: silentLogger, backoff: { random: () => 0, delay: delays.delay }, metrics });
    await watch.watch('team-a');
    expect(await samples(metrics, 'sparkgate_kubernetes_watch_restarts_total')).toEqual([]);
    informer.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await waitUntil(() => delays.pending.length === 1, { timeoutMs: 5000, what: 'the restart delay', intervalMs: 1 });
    expect(await samples(metrics, 'sparkgate_kubernetes_watch_restarts_total')).toEqual([{ labels: { resource: 'pods' }, value: 1 }]);
    await watch.dispose();
  });

  it('should count what the orphan sweep removed by kind, never by name or reason', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    const reaper = new Reaper({
      backend: {
        sweep: async () => [
          { kind: 'Pod', namespace: 'team-a', name: 'sg-k1-exec-1', reason: 'executor whose driver pod sg-k1 is gone' },
          { kind: 'Pod', namespace: 'team-a', name: 'sg-k2', reason: 'driver of no kernel' },
          { kind: 'Secret', namespace: 'team-a', name: 'sg-k2-conn', reason: 'owner pod gone' }
        ]
      },
      namespaces: () => ['team-a'],
      known: () => new Set(),
      intervalMs: 60_000,
      logger: silentLogger,
      metrics
    });
    await reaper.sweepOnce();
    expect(await samples(metrics, 'sparkgate_kernels_reaped_total')).toEqual([
      { labels: { kind: 'Pod' }, value: 2 },
      { labels: { kind: 'Secret' }, value: 1 }
    ]);
  });

  it('should count a cull by tenant once the kernel is dead, and not a cull the manager skipped', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    const idle = (id: string): FleetKernel & { state: string } => ({
      id,
      owner: { user: 'alice', tenant: 'team-a' },
      state: 'idle',
      connections: 0,
      lastActivity: new Date(0),
      cullNotice: { at: new Date(1000), idleSince: new Date(0) }
    });
    const kernels = [idle('k1'), idle('k2')];
    const fleet: KernelFleet = {
      all: () => kernels,
      announceCull: () => undefined,
      // k2 started restarting meanwhile: the manager leaves it alone.
      cull: async id => {
        if (id === 'k1') {
          kernels[0]!.state = 'dead';
        }
      }
    };
    const policy = { idleMs: 1000, intervalMs: 1000, connected: false, busy: false, warnMs: 0 };
    const culler = new Culler({ kernels: fleet, policyFor: () => policy, policies: [policy], logger: silentLogger, now: () => 10_000, metrics });
    await culler.sweep();
    expect(await samples(metrics, 'sparkgate_kernels_culled_total')).toEqual([{ labels: { tenant: 'team-a', reason: 'idle' }, value: 1 }]);
  });

  it('should count what the crash guard caught by error name', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    const source = new EventEmitter();
    installCrashGuard({ source: source as never, logger: silentLogger, metrics, stop: async () => undefined, exit: () => undefined });
    source.emit('unhandledRejection', new TypeError('late reply'));
    source.emit('uncaughtException', new RangeError('boom'), 'uncaughtException');
    await settle();
    expect(await samples(metrics, 'sparkgate_errors_total')).toEqual([
      { labels: { name: 'TypeError' }, value: 1 },
      { labels: { name: 'RangeError' }, value: 1 }
    ]);
  });
});
