import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { dcgmSamples, FAKE_GPU_FB_TOTAL_MIB, gpuContainers, parseGpuState, renderExposition, type FakeGpu } from './dcgm.js';

const held: FakeGpu = {
  node: 'gpu-1',
  index: 0,
  uuid: 'GPU-fake-gpu-1-0',
  holder: { namespace: 'tenant-a', pod: 'nb-1-exec-1', container: 'spark-kubernetes-executor' },
  use: { utilPercent: 73, fbUsedMiB: 2048 }
};
const free: FakeGpu = { node: 'gpu-1', index: 1, uuid: 'GPU-fake-gpu-1-1' };

describe('cluster/agent fake DCGM exporter (pure parts)', () => {
  it('should read util and memory from a state file and ignore what it cannot parse', () => {
    expect(parseGpuState('util=73\nfb_used_mib=2048\n')).toEqual({ utilPercent: 73, fbUsedMiB: 2048 });
    expect(parseGpuState('util=12.5\npower_w=180\ncolour=red\n')).toEqual({ utilPercent: 12.5, fbUsedMiB: 0, powerW: 180 });
    // A half-written or empty file is an idle GPU, never NaN.
    expect(parseGpuState('util=')).toEqual({ utilPercent: 0, fbUsedMiB: 0 });
    expect(parseGpuState('')).toEqual({ utilPercent: 0, fbUsedMiB: 0 });
    // Clamped to what a board can report.
    expect(parseGpuState(`util=250\nfb_used_mib=${FAKE_GPU_FB_TOTAL_MIB + 1}`)).toEqual({ utilPercent: 100, fbUsedMiB: FAKE_GPU_FB_TOTAL_MIB });
  });

  it('should render the DCGM series with the pod labels of the holder and empty ones for a free GPU', () => {
    const text = renderExposition([held, free]);
    const lines = text.trimEnd().split('\n');
    expect(lines).toContain('# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).');
    expect(lines).toContain('# TYPE DCGM_FI_DEV_GPU_UTIL gauge');
    expect(lines).toContain(
      'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-fake-gpu-1-0",pci_bus_id="00000000:01:00.0",device="nvidia0",modelName="Sparkgate Fake GPU 80GB",' +
        'Hostname="gpu-1",container="spark-kubernetes-executor",namespace="tenant-a",pod="nb-1-exec-1"} 73'
    );
    expect(lines).toContain(
      'DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-fake-gpu-1-1",pci_bus_id="00000000:02:00.0",device="nvidia1",modelName="Sparkgate Fake GPU 80GB",' +
        'Hostname="gpu-1",container="",namespace="",pod=""} 0'
    );
    const value = (name: string, uuid: string): number | undefined =>
      dcgmSamples([held, free]).find((s) => s.name === name && s.labels.some(([k, v]) => k === 'UUID' && v === uuid))?.value;
    expect(value('DCGM_FI_DEV_FB_USED', held.uuid)).toBe(2048);
    expect(value('DCGM_FI_DEV_FB_FREE', held.uuid)).toBe(FAKE_GPU_FB_TOTAL_MIB - 2048);
    expect(value('DCGM_FI_DEV_POWER_USAGE', held.uuid)).toBe(50 + 2.5 * 73);
    expect(value('DCGM_FI_DEV_POWER_USAGE', free.uuid)).toBe(50);
    expect(value('DCGM_FI_DEV_FB_FREE', free.uuid)).toBe(FAKE_GPU_FB_TOTAL_MIB);
    // Each series once: one HELP, one TYPE, one sample per GPU.
    expect(lines.filter((l) => l.startsWith('# TYPE '))).toHaveLength(4);
    expect(lines.filter((l) => !l.startsWith('#'))).toHaveLength(8);
  });

  it('should not report what a pod wrote once the GPU is free', () => {
    expect(dcgmSamples([{ ...free, use: { utilPercent: 99, fbUsedMiB: 10 } }]).find((s) => s.name === 'DCGM_FI_DEV_GPU_UTIL')?.value).toBe(0);
  });

  it('should escape label values as the text format requires', () => {
    const odd: FakeGpu = { ...held, holder: { namespace: 'ns', pod: 'a"b\\c\nd', container: 'c' } };
    expect(renderExposition([odd])).toContain('pod="a\\"b\\\\c\\nd"');
  });

  it('should give each container the devices it asked for, in order', () => {
    const gpu = (n: number) => ({ limits: { 'nvidia.com/gpu': String(n) } });
    const pod: V1Pod = {
      spec: {
        containers: [
          { name: 'sidecar', image: 'x' },
          { name: 'a', image: 'x', resources: gpu(1) },
          { name: 'b', image: 'x', resources: { requests: { 'nvidia.com/gpu': '2' } } }
        ]
      }
    };
    expect([...gpuContainers(pod, ['g0', 'g1', 'g2'])]).toEqual([
      ['g0', 'a'],
      ['g1', 'b'],
      ['g2', 'b']
    ]);
    // More devices than the containers ask for (a larger init container): the rest go to the first container.
    expect(gpuContainers({ spec: { containers: [{ name: 'main', image: 'x' }] } }, ['g0']).get('g0')).toBe('main');
  });
});
