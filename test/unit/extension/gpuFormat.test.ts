import { describe, expect, it } from '@jest/globals';
import type { GpuSample } from '@sparkgate/contract';
import { gpuColumns, gpuRow, gpuSection, gpuToolbar, meanUtil, type GpuView } from '../../../extension/src/gpu/format.js';
import { plainTrans as trans } from '../../../extension/src/trans.js';

const sample = (over: Partial<GpuSample>): GpuSample => ({
  pod: 'sg-7f3a9c21-x4k2p-exec-1',
  role: 'executor',
  executorId: '1',
  node: 'gpu-node-1',
  gpu: '0',
  uuid: 'GPU-604ac76c',
  utilPercent: 87,
  memUsedMiB: 4096,
  memTotalMiB: 81_920,
  powerW: 232.4,
  ...over
});

const FOUR = [sample({ utilPercent: 87 }), sample({ gpu: '1', utilPercent: 40 }), sample({ executorId: '2', utilPercent: 25 }), sample({ executorId: '2', gpu: '1', utilPercent: 100 })];
const live = (gpus: GpuSample[]): GpuView => ({ kind: 'live', at: '2026-12-03T06:00:05.000Z', gpus });
const held = (n: number) => ({ gpus: { held: n } });

describe('extension/gpu/format', () => {
  describe('#gpuToolbar()', () => {
    it("should show the cluster's GPUs and their mean utilisation at a glance", () => {
      expect(gpuToolbar(held(4), live(FOUR), trans)).toEqual({
        text: '4 GPUs · 63%',
        title: 'GPUs held by the driver and executors\nMean utilisation of 4 GPUs: 63%',
        utilPercent: 63,
        warn: false
      });
    });

    it('should show no percentage without gpuMetrics, and say so on hover', () => {
      const off = gpuToolbar(held(2), { kind: 'off', reason: 'not-configured' }, trans);
      expect(off.text).toBe('2 GPUs');
      expect(off.utilPercent).toBeNull();
      expect(off.title).toContain('Live GPU numbers are not configured (gpuMetrics)');
      expect(off.text).not.toMatch(/%/);
    });

    it('should add a short note when Prometheus fails, the full message on hover', () => {
      const view: GpuView = { kind: 'unavailable', at: '2026-12-03T06:00:05.000Z', message: 'GPU metrics unavailable: connect ECONNREFUSED 127.0.0.1:9090' };
      expect(gpuToolbar(held(1), view, trans)).toEqual({
        text: '1 GPU · live use unavailable',
        title: 'GPUs held by the driver and executors\nGPU metrics unavailable: connect ECONNREFUSED 127.0.0.1:9090',
        utilPercent: null,
        warn: true
      });
    });

    it('should show the count alone while the first numbers are on their way', () => {
      expect(gpuToolbar(held(2), { kind: 'waiting' }, trans).text).toBe('2 GPUs');
      const scraping = gpuToolbar(held(2), live([]), trans);
      expect(scraping.text).toBe('2 GPUs');
      expect(scraping.title).toMatch(/No GPU numbers in Prometheus yet/);
    });
  });

  describe('#meanUtil()', () => {
    it('should average the GPUs that report utilisation and round it', () => {
      expect(meanUtil([sample({ utilPercent: 10 }), sample({ utilPercent: 15 }), sample({ utilPercent: null })])).toBe(13);
      expect(meanUtil([sample({ utilPercent: null })])).toBeNull();
    });
  });

  describe('#gpuSection()', () => {
    const clock = (d: Date) => d.toISOString().slice(11, 19);

    it('should give one row per executor and GPU with utilisation, memory used/total in GiB and power', () => {
      const section = gpuSection(held(3), live([sample({ role: 'driver', executorId: null, pod: 'sg-7f3a9c21-x4k2p', utilPercent: 0, memUsedMiB: 0, powerW: 50 }), ...FOUR.slice(0, 2)]), trans, clock);
      expect(section).toMatchObject({ heading: 'GPU use', updated: 'Updated 06:00:05', message: null, warn: false });
      expect(section?.rows.map(r => [r.executor, r.pod, r.gpu, r.util, r.memory, r.power])).toEqual([
        ['Driver', 'sg-7f3a9c21-x4k2p', '0', '0%', '0.0 / 80.0 GiB', '50 W'],
        ['1', 'sg-7f3a9c21-x4k2p-exec-1', '0', '87%', '4.0 / 80.0 GiB', '232 W'],
        ['1', 'sg-7f3a9c21-x4k2p-exec-1', '1', '40%', '4.0 / 80.0 GiB', '232 W']
      ]);
      expect(gpuColumns(trans)).toEqual(['Executor', 'Pod', 'GPU', 'Utilisation', 'Memory', 'Power']);
    });

    it("should say that live GPU numbers are not configured without gpuMetrics (not '0%')", () => {
      expect(gpuSection(held(2), { kind: 'off', reason: 'not-configured' }, trans)).toEqual({
        heading: 'GPU use',
        updated: '',
        message: 'Live GPU numbers are not configured (gpuMetrics)',
        warn: false,
        rows: []
      });
      expect(gpuSection(held(2), { kind: 'off', reason: 'no-pods' }, trans)?.message).toMatch(/need the Kubernetes backend/);
    });

    it("should show Prometheus' failure inline, as a warning", () => {
      const message = 'GPU metrics unavailable: Prometheus answered 503: query timed out';
      expect(gpuSection(held(1), { kind: 'unavailable', at: '2026-12-03T06:00:05.000Z', message }, trans)).toMatchObject({ message, warn: true, rows: [] });
    });

    it('should say nothing for a cluster without GPUs', () => {
      expect(gpuSection(held(0), { kind: 'off', reason: 'not-configured' }, trans)).toBeNull();
      expect(gpuSection(held(0), live([]), trans)).toBeNull();
    });
  });

  describe('#gpuRow()', () => {
    it('should show unknown values as dashes and name the GPU and its node on hover', () => {
      const row = gpuRow(sample({ executorId: null, utilPercent: null, memUsedMiB: null, memTotalMiB: null, powerW: null }), trans);
      expect(row).toMatchObject({ executor: '—', util: '—', utilPercent: null, memory: '—', power: '—', gpuTitle: 'GPU-604ac76c on gpu-node-1' });
      expect(gpuRow(sample({ memTotalMiB: null, memUsedMiB: 1536 }), trans).memory).toBe('1.5 GiB');
    });
  });
});
