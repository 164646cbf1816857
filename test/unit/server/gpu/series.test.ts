import { describe, expect, it } from '@jest/globals';
import { clusterPods, samplesByCluster, tenantQuery } from '../../../../server/src/gpu/series.js';
import type { PromSeries } from '../../../../server/src/gpu/prometheus.js';

const KERNEL = '7f3a9c21-0000-4000-8000-000000000001';
const OTHER = 'b0b0b0b0-0000-4000-8000-000000000002';
const DRIVER = 'sg-7f3a9c21-x4k2p';

/** One DCGM series as Prometheus returns it (the exporter's labels with DCGM_EXPORTER_KUBERNETES=true); '' drops a label, as Prometheus does. */
const dcgm = (name: string, value: number, labels: Record<string, string>): PromSeries => ({
  metric: Object.fromEntries(
    Object.entries({ __name__: name, gpu: '0', UUID: 'GPU-aaaa', Hostname: 'gpu-node-1', container: 'spark-kubernetes-executor', namespace: 'team-a', job: 'dcgm', ...labels }).filter(
      ([, v]) => v !== ''
    )
  ),
  value
});

/** The four gauges of one GPU. */
const gpu = (labels: Record<string, string>, util: number, used: number, free: number, power: number): PromSeries[] => [
  dcgm('DCGM_FI_DEV_GPU_UTIL', util, labels),
  dcgm('DCGM_FI_DEV_FB_USED', used, labels),
  dcgm('DCGM_FI_DEV_FB_FREE', free, labels),
  dcgm('DCGM_FI_DEV_POWER_USAGE', power, labels)
];

describe('gpu/series', () => {
  describe('#tenantQuery()', () => {
    it('should ask for the DCGM gauges of the namespace under both the exporter and the exported_ label names', () => {
      const names = 'DCGM_FI_DEV_GPU_UTIL|DCGM_FI_DEV_FB_USED|DCGM_FI_DEV_FB_FREE|DCGM_FI_DEV_FB_RESERVED|DCGM_FI_DEV_POWER_USAGE';
      expect(tenantQuery('team-a')).toBe(`{__name__=~"${names}",namespace="team-a"} or {__name__=~"${names}",exported_namespace="team-a"}`);
    });

    it('should quote a namespace as a PromQL string', () => {
      expect(tenantQuery('a"b\\c')).toContain('namespace="a\\"b\\\\c"}');
    });
  });

  describe('#clusterPods()', () => {
    it("should take the driver pod's exact name from an executor pod (<driver>-exec-<n>)", () => {
      const pods = clusterPods(KERNEL, [
        { name: `${DRIVER}-exec-1`, execId: '1' },
        { name: `${DRIVER}-exec-2`, execId: null }
      ]);
      expect(pods.driverPod).toBe(DRIVER);
      expect(pods.driverPrefix).toBeNull();
      expect([...pods.executors]).toEqual([
        [`${DRIVER}-exec-1`, '1'],
        [`${DRIVER}-exec-2`, null]
      ]);
    });

    it('should fall back to the sg-<first 8 of the id>- prefix without executors', () => {
      expect(clusterPods(KERNEL, [])).toMatchObject({ driverPod: null, driverPrefix: 'sg-7f3a9c21-' });
    });
  });

  describe('#samplesByCluster()', () => {
    it('should give each GPU of the driver and the executors one sample with util, memory used/total and power', () => {
      const series = [
        ...gpu({ pod: `${DRIVER}-exec-2`, gpu: '1', UUID: 'GPU-e2' }, 10, 1024, 80_896, 75.5),
        ...gpu({ pod: `${DRIVER}-exec-1`, gpu: '0', UUID: 'GPU-e1' }, 87, 4096, 77_824, 250),
        ...gpu({ pod: DRIVER, gpu: '3', UUID: 'GPU-d', container: 'kernel' }, 0, 0, 81_920, 50)
      ];
      const pods = clusterPods(KERNEL, [
        { name: `${DRIVER}-exec-1`, execId: '1' },
        { name: `${DRIVER}-exec-2`, execId: '2' }
      ]);
      const out = samplesByCluster(series, 'team-a', [pods]).get(KERNEL);
      expect(out).toEqual([
        { pod: DRIVER, role: 'driver', executorId: null, node: 'gpu-node-1', gpu: '3', uuid: 'GPU-d', utilPercent: 0, memUsedMiB: 0, memTotalMiB: 81_920, powerW: 50 },
        { pod: `${DRIVER}-exec-1`, role: 'executor', executorId: '1', node: 'gpu-node-1', gpu: '0', uuid: 'GPU-e1', utilPercent: 87, memUsedMiB: 4096, memTotalMiB: 81_920, powerW: 250 },
        { pod: `${DRIVER}-exec-2`, role: 'executor', executorId: '2', node: 'gpu-node-1', gpu: '1', uuid: 'GPU-e2', utilPercent: 10, memUsedMiB: 1024, memTotalMiB: 81_920, powerW: 75.5 }
      ]);
    });

    it('should keep two GPUs of one pod apart and order them by index', () => {
      const pod = `${DRIVER}-exec-1`;
      const series = [...gpu({ pod, gpu: '1', UUID: 'GPU-b' }, 20, 1, 9, 1), ...gpu({ pod, gpu: '0', UUID: 'GPU-a' }, 40, 2, 8, 2)];
      const out = samplesByCluster(series, 'team-a', [clusterPods(KERNEL, [{ name: pod, execId: '1' }])]).get(KERNEL) ?? [];
      expect(out.map(s => [s.gpu, s.uuid, s.utilPercent, s.memTotalMiB])).toEqual([
        ['0', 'GPU-a', 40, 10],
        ['1', 'GPU-b', 20, 10]
      ]);
    });

    it('should read exported_pod/exported_namespace when Prometheus kept its target labels (honorLabels: false)', () => {
      const pod = `${DRIVER}-exec-1`;
      const labels = { namespace: 'gpu-operator', pod: 'dcgm-exporter-abcde', exported_namespace: 'team-a', exported_pod: pod, Hostname: '', hostname: 'gpu-node-2' };
      const out = samplesByCluster(gpu(labels, 63, 100, 900, 120), 'team-a', [clusterPods(KERNEL, [{ name: pod, execId: '1' }])]).get(KERNEL);
      expect(out).toEqual([expect.objectContaining({ pod, executorId: '1', node: 'gpu-node-2', utilPercent: 63, memUsedMiB: 100, memTotalMiB: 1000 })]);
    });

    it('should count reserved framebuffer memory into the total where the exporter reports it', () => {
      const pod = `${DRIVER}-exec-1`;
      const series = [...gpu({ pod }, 1, 100, 800, 1), dcgm('DCGM_FI_DEV_FB_RESERVED', 100, { pod })];
      const [s] = samplesByCluster(series, 'team-a', [clusterPods(KERNEL, [{ name: pod, execId: '1' }])]).get(KERNEL) ?? [];
      expect(s).toMatchObject({ memUsedMiB: 100, memTotalMiB: 1000 });
    });

    it("should give each cluster only its own pods' GPUs and leave out free GPUs and other pods", () => {
      const mine = `${DRIVER}-exec-1`;
      const theirs = 'sg-b0b0b0b0-q9w8e-exec-1';
      const series = [
        ...gpu({ pod: mine }, 50, 1, 1, 1),
        ...gpu({ pod: theirs, UUID: 'GPU-bbbb' }, 90, 1, 1, 1),
        // A free GPU has no pod labels; a shell pod is nobody's cluster; another namespace's pod of the same name is not ours.
        dcgm('DCGM_FI_DEV_GPU_UTIL', 0, { UUID: 'GPU-free', namespace: '' }),
        dcgm('DCGM_FI_DEV_GPU_UTIL', 99, { pod: 'jupyter-ann', UUID: 'GPU-cccc' }),
        dcgm('DCGM_FI_DEV_GPU_UTIL', 99, { pod: mine, namespace: 'team-b', UUID: 'GPU-dddd' })
      ];
      const out = samplesByCluster(series, 'team-a', [
        clusterPods(KERNEL, [{ name: mine, execId: '1' }]),
        clusterPods(OTHER, [{ name: theirs, execId: '1' }])
      ]);
      expect(out.get(KERNEL)?.map(s => [s.pod, s.utilPercent])).toEqual([[mine, 50]]);
      expect(out.get(OTHER)?.map(s => [s.pod, s.utilPercent])).toEqual([[theirs, 90]]);
    });

    it("should find the driver by prefix before any executor exists, but not another cluster's pod sharing it", () => {
      const series = [
        dcgm('DCGM_FI_DEV_GPU_UTIL', 12, { pod: 'sg-7f3a9c21-abc12', UUID: 'GPU-d' }),
        // An executor of a restarted driver of this prefix is not the driver.
        dcgm('DCGM_FI_DEV_GPU_UTIL', 34, { pod: 'sg-7f3a9c21-old99-exec-1', UUID: 'GPU-e' })
      ];
      const out = samplesByCluster(series, 'team-a', [clusterPods(KERNEL, [])]).get(KERNEL);
      expect(out?.map(s => [s.pod, s.role, s.utilPercent])).toEqual([['sg-7f3a9c21-abc12', 'driver', 12]]);
    });

    it('should leave a value null when its series is missing or NaN, and list a cluster without GPUs as empty', () => {
      const pod = `${DRIVER}-exec-1`;
      const series = [dcgm('DCGM_FI_DEV_GPU_UTIL', Number.NaN, { pod }), dcgm('DCGM_FI_DEV_FB_USED', 10, { pod })];
      const out = samplesByCluster(series, 'team-a', [clusterPods(KERNEL, [{ name: pod, execId: '1' }]), clusterPods(OTHER, [])]);
      expect(out.get(KERNEL)).toEqual([expect.objectContaining({ utilPercent: null, memUsedMiB: 10, memTotalMiB: null, powerW: null })]);
      expect(out.get(OTHER)).toEqual([]);
    });
  });
});
