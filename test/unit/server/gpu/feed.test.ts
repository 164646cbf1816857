import { describe, expect, it } from '@jest/globals';
import type { GpuMetrics } from '@sparkgate/contract';
import type { Identity } from '../../../../server/src/auth/types.js';
import { gpuFeedOff, GpuPoller } from '../../../../server/src/gpu/feed.js';
import { PrometheusError, type PrometheusClient, type PromSeries } from '../../../../server/src/gpu/prometheus.js';
import type { Kernel } from '../../../../server/src/kernels/types.js';
import { silentLogger } from '../../../../server/src/log.js';

const ANN: Identity = { user: 'ann', tenant: 'a' };
const AL: Identity = { user: 'al', tenant: 'a' };
const BEN: Identity = { user: 'ben', tenant: 'b' };
const NS: Record<string, string> = { a: 'team-a', b: 'team-b' };

/** A Kubernetes kernel as the poller sees it: id, owner and its executor pod rows. */
const kernel = (id: string, owner: Identity, executors: string[] | null): Kernel =>
  ({
    id,
    owner,
    launched: executors === null ? null : { sparkUi: null, status: () => ({ executors: { ready: 0, pending: 0, pendingReason: null, pods: executors.map((name, i) => ({ name, execId: String(i + 1) })) }, gpus: 0 }) }
  }) as unknown as Kernel;

const util = (namespace: string, pod: string, value: number): PromSeries => ({
  metric: { __name__: 'DCGM_FI_DEV_GPU_UTIL', namespace, pod, gpu: '0', UUID: `GPU-${pod}` },
  value
});

/** A poller on a fake clock and a fake Prometheus that records every query. */
function setup(kernels: Kernel[], answer: (query: string) => Promise<PromSeries[]>) {
  const queries: string[] = [];
  const timers: (() => void)[] = [];
  const published: { to: string; m: GpuMetrics }[] = [];
  const client: PrometheusClient = {
    query: q => {
      queries.push(q);
      return answer(q);
    }
  };
  const poller = new GpuPoller({
    client,
    kernels: { list: (o: Identity) => kernels.filter(k => k.owner.user === o.user && k.owner.tenant === o.tenant) },
    namespaceOf: t => NS[t] ?? null,
    intervalMs: 15_000,
    timer: fn => {
      timers.push(fn);
      return () => {
        const i = timers.indexOf(fn);
        if (i >= 0) {
          timers.splice(i, 1);
        }
      };
    },
    now: () => new Date('2026-12-03T06:00:00.000Z'),
    logger: silentLogger
  });
  poller.publishTo((owner, m) => published.push({ to: owner.user, m }));
  /** Lets the poll's promise chain settle. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) {
      await Promise.resolve();
    }
  };
  /** One interval passes. */
  const tick = async (): Promise<void> => {
    const due = timers.splice(0);
    due.forEach(fn => fn());
    await settle();
  };
  return { poller, queries, timers, published, settle, tick };
}

describe('gpu/feed', () => {
  describe('GpuPoller', () => {
    it('should ask Prometheus once per tenant per interval, however many users and clusters watch', async () => {
      const ks = [kernel('k1', ANN, ['sg-k1-x-exec-1']), kernel('k2', ANN, ['sg-k2-y-exec-1']), kernel('k3', AL, ['sg-k3-z-exec-1'])];
      const t = setup(ks, async () => [util('team-a', 'sg-k1-x-exec-1', 63), util('team-a', 'sg-k3-z-exec-1', 5)]);
      t.poller.watch(ANN, () => undefined);
      t.poller.watch(ANN, () => undefined);
      t.poller.watch(AL, () => undefined);
      await t.settle();
      expect(t.queries).toHaveLength(1);
      expect(t.queries[0]).toContain('namespace="team-a"');
      await t.tick();
      expect(t.queries).toHaveLength(2);
      expect(t.timers).toHaveLength(1);
    });

    it("should send each cluster's GPUs to its owner only", async () => {
      const ks = [kernel('k1', ANN, ['sg-k1-x-exec-1']), kernel('k3', AL, ['sg-k3-z-exec-1'])];
      const t = setup(ks, async () => [util('team-a', 'sg-k1-x-exec-1', 63), util('team-a', 'sg-k3-z-exec-1', 5)]);
      t.poller.watch(ANN, () => undefined);
      t.poller.watch(AL, () => undefined);
      await t.settle();
      const seen = t.published.map(p => [p.to, p.m.kernelId, p.m.state === 'live' ? p.m.gpus.map(g => [g.pod, g.utilPercent]) : p.m.state]);
      expect(seen).toEqual([
        ['ann', 'k1', [['sg-k1-x-exec-1', 63]]],
        ['al', 'k3', [['sg-k3-z-exec-1', 5]]]
      ]);
      expect(t.published[0]?.m).toMatchObject({ state: 'live', at: '2026-12-03T06:00:00.000Z' });
    });

    it('should poll each tenant in its own namespace, and stop a tenant once its last socket leaves', async () => {
      const ks = [kernel('k1', ANN, []), kernel('k9', BEN, [])];
      const t = setup(ks, async () => []);
      const annOff = t.poller.watch(ANN, () => undefined);
      const benOff = t.poller.watch(BEN, () => undefined);
      await t.settle();
      expect(t.queries.map(q => /namespace="([^"]+)"/.exec(q)?.[1])).toEqual(['team-a', 'team-b']);
      expect(t.poller.polling).toBe(2);
      annOff();
      annOff();
      expect(t.poller.polling).toBe(1);
      benOff();
      expect(t.poller.polling).toBe(0);
      await t.tick();
      expect(t.queries).toHaveLength(2);
    });

    it('should ask nothing while the watching users have no running cluster with pods', async () => {
      const t = setup([kernel('k1', ANN, null)], async () => []);
      t.poller.watch(ANN, () => undefined);
      await t.settle();
      await t.tick();
      expect(t.queries).toEqual([]);
      expect(t.published).toEqual([]);
      expect(t.timers).toHaveLength(1);
    });

    it("should tell every watched cluster 'GPU metrics unavailable: <cause>' while Prometheus fails, and live numbers once it answers", async () => {
      let fail = true;
      const t = setup([kernel('k1', ANN, ['sg-k1-x-exec-1'])], async () => {
        if (fail) {
          throw new PrometheusError('connect ECONNREFUSED 127.0.0.1:9090');
        }
        return [util('team-a', 'sg-k1-x-exec-1', 40)];
      });
      t.poller.watch(ANN, () => undefined);
      await t.settle();
      expect(t.published.map(p => p.m)).toEqual([
        { state: 'unavailable', kernelId: 'k1', at: '2026-12-03T06:00:00.000Z', message: 'GPU metrics unavailable: connect ECONNREFUSED 127.0.0.1:9090' }
      ]);
      fail = false;
      await t.tick();
      expect(t.published[1]?.m).toMatchObject({ state: 'live', kernelId: 'k1', gpus: [{ utilPercent: 40 }] });
    });

    it('should give a socket that connects while its tenant is polled the last numbers of its clusters at once', async () => {
      const t = setup([kernel('k1', ANN, ['sg-k1-x-exec-1']), kernel('k3', AL, [])], async () => [util('team-a', 'sg-k1-x-exec-1', 63)]);
      t.poller.watch(ANN, () => undefined);
      await t.settle();
      const sent: GpuMetrics[] = [];
      t.poller.watch(ANN, m => sent.push(m));
      expect(sent).toEqual([expect.objectContaining({ state: 'live', kernelId: 'k1' })]);
      const alSent: GpuMetrics[] = [];
      t.poller.watch(AL, m => alSent.push(m));
      expect(alSent).toEqual([]);
      expect(t.queries).toHaveLength(1);
    });

    it('should ask nothing more after stop()', async () => {
      const t = setup([kernel('k1', ANN, [])], async () => []);
      t.poller.watch(ANN, () => undefined);
      await t.settle();
      t.poller.stop();
      t.poller.stop();
      expect(t.timers).toEqual([]);
      t.poller.watch(BEN, () => undefined);
      await t.settle();
      expect(t.queries).toHaveLength(1);
    });
  });

  describe('#gpuFeedOff()', () => {
    it('should tell every socket on connect why no live GPU numbers come', () => {
      const sent: GpuMetrics[] = [];
      gpuFeedOff('not-configured').watch(ANN, m => sent.push(m));
      gpuFeedOff('no-pods').watch(ANN, m => sent.push(m));
      expect(sent).toEqual([
        { state: 'off', kernelId: null, reason: 'not-configured' },
        { state: 'off', kernelId: null, reason: 'no-pods' }
      ]);
    });
  });
});
