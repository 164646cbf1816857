import { describe, expect, it } from '@jest/globals';
import { GpuMetricsTable, isGpuMetrics } from '../../../extension/src/gpu/table.js';

const GPU = { pod: 'p-exec-1', role: 'executor', executorId: '1', node: 'n', gpu: '0', uuid: 'GPU-a', utilPercent: 5, memUsedMiB: 1, memTotalMiB: 2, powerW: 3 };

describe('extension/gpu/table', () => {
  it("should keep each cluster's last gpu:metrics and signal which cluster changed", () => {
    const table = new GpuMetricsTable();
    const changed: (string | null)[] = [];
    table.changed.connect((_, id) => changed.push(id));
    expect(table.view('k1')).toEqual({ kind: 'waiting' });
    table.update({ state: 'live', kernelId: 'k1', at: '2026-12-03T06:00:00Z', gpus: [GPU] });
    table.update({ state: 'unavailable', kernelId: 'k2', at: '2026-12-03T06:00:00Z', message: 'GPU metrics unavailable: x' });
    expect(table.view('k1')).toEqual({ kind: 'live', at: '2026-12-03T06:00:00Z', gpus: [GPU] });
    expect(table.view('k2')).toEqual({ kind: 'unavailable', at: '2026-12-03T06:00:00Z', message: 'GPU metrics unavailable: x' });
    expect(changed).toEqual(['k1', 'k2']);
    table.clear();
    expect(table.view('k1')).toEqual({ kind: 'waiting' });
    expect(changed).toEqual(['k1', 'k2', null]);
  });

  it("should apply the gateway's 'off' to every cluster", () => {
    const table = new GpuMetricsTable();
    table.update({ state: 'off', kernelId: null, reason: 'not-configured' });
    expect(table.view('any')).toEqual({ kind: 'off', reason: 'not-configured' });
    expect(table.view(null)).toEqual({ kind: 'off', reason: 'not-configured' });
  });

  it('should drop malformed payloads', () => {
    const table = new GpuMetricsTable();
    const warn = console.warn;
    const warned: unknown[] = [];
    console.warn = (...args: unknown[]) => warned.push(args[0]);
    try {
      table.update({ state: 'live', kernelId: 'k1', at: 'x', gpus: [{ ...GPU, utilPercent: '5' }] });
      table.update({ state: 'off', kernelId: null, reason: 'maybe' });
    } finally {
      console.warn = warn;
    }
    expect(table.view('k1')).toEqual({ kind: 'waiting' });
    expect(warned).toEqual(['sparkgate: ignored a malformed gpu:metrics event', 'sparkgate: ignored a malformed gpu:metrics event']);
    expect(isGpuMetrics({ state: 'live', kernelId: 'k1', at: 'x', gpus: [GPU] })).toBe(true);
    expect(isGpuMetrics(null)).toBe(false);
  });
});
