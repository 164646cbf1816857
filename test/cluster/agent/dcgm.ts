/**
 * The fake GPUs as a DCGM exporter would show them (reference gpu-metrics-helm-security.md §1): the series
 * names, label set and exposition format of `dcgm-exporter --kubernetes`, computed from which pod holds which
 * device and what the pod wrote to its per-GPU state file. Pure: no I/O here (the exporter reads the files).
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/** Where a GPU pod's containers find their per-GPU state files (one file per device id), and the variable naming it. */
export const FAKE_GPU_STATE_MOUNT = '/var/run/sparkgate-fake-gpu';
export const FAKE_GPU_STATE_ENV = 'FAKE_GPU_STATE_DIR';

/** Fake board: 80 GiB of framebuffer; power idles at 50 W and adds 2.5 W per % of utilisation unless the pod says. */
export const FAKE_GPU_MODEL = 'Sparkgate Fake GPU 80GB';
export const FAKE_GPU_FB_TOTAL_MIB = 81_920;
export const FAKE_GPU_IDLE_POWER_W = 50;
const POWER_W_PER_UTIL = 2.5;

/** The pod and container holding a device (DCGM takes them from the kubelet's pod-resources API). */
export interface GpuHolder {
  namespace: string;
  pod: string;
  container: string;
}

/** What a pod says it does with a device (its state file). */
export interface GpuUse {
  utilPercent: number;
  fbUsedMiB: number;
  powerW?: number;
}

/** One fake device at scrape time. */
export interface FakeGpu {
  /** Node name: DCGM's `Hostname` label. */
  node: string;
  /** Index on its node: the `gpu` label and `device="nvidia<index>"`. */
  index: number;
  /** Device id (`GPU-fake-<node>-<index>`): the `UUID` label, `NVIDIA_VISIBLE_DEVICES` and Spark's GPU address. */
  uuid: string;
  holder?: GpuHolder;
  /** Only read while held; a free device is idle. */
  use?: GpuUse;
}

/** One sample of the exposition. */
export interface DcgmSample {
  name: string;
  labels: [string, string][];
  value: number;
}

/** The four series served, in DCGM's default-counters order with its help texts. */
export const DCGM_SERIES = [
  { name: 'DCGM_FI_DEV_POWER_USAGE', help: 'Power draw (in W).' },
  { name: 'DCGM_FI_DEV_GPU_UTIL', help: 'GPU utilization (in %).' },
  { name: 'DCGM_FI_DEV_FB_FREE', help: 'Framebuffer memory free (in MiB).' },
  { name: 'DCGM_FI_DEV_FB_USED', help: 'Framebuffer memory used (in MiB).' }
] as const;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * Parses a state file: `key=value` lines with `util` (%), `fb_used_mib` and optionally `power_w`; unknown keys
 * and values that are not finite numbers are ignored, so a half-written file reads as idle, never as garbage.
 */
export function parseGpuState(text: string): GpuUse {
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z_]+)\s*=\s*(\S+)\s*$/.exec(line);
    const n = m ? Number(m[2]) : NaN;
    if (m && Number.isFinite(n)) {
      values[m[1]] = n;
    }
  }
  return {
    utilPercent: clamp(values.util ?? 0, 0, 100),
    fbUsedMiB: clamp(values.fb_used_mib ?? 0, 0, FAKE_GPU_FB_TOTAL_MIB),
    ...(values.power_w !== undefined ? { powerW: Math.max(0, values.power_w) } : {})
  };
}

/**
 * Which container of the pod each of its devices belongs to: devices go to the containers in order, as many
 * as each asks for (limits, else requests); any left (a larger init-container request) go to the first.
 */
export function gpuContainers(pod: V1Pod, devices: string[], resource = 'nvidia.com/gpu'): Map<string, string> {
  const of = (c: V1Container): number => Number(c.resources?.limits?.[resource] ?? c.resources?.requests?.[resource] ?? 0);
  const containers = pod.spec?.containers ?? [];
  const out = new Map<string, string>();
  let next = 0;
  for (const c of containers) {
    for (let i = 0; i < of(c) && next < devices.length; i++) {
      out.set(devices[next++], c.name);
    }
  }
  for (; next < devices.length; next++) {
    out.set(devices[next], containers[0]?.name ?? '');
  }
  return out;
}

/** The samples for every device, labelled as dcgm-exporter's template does; a free device has empty pod labels. */
export function dcgmSamples(gpus: FakeGpu[]): DcgmSample[] {
  const samples: DcgmSample[] = [];
  for (const s of DCGM_SERIES) {
    for (const g of gpus) {
      const use = g.holder ? (g.use ?? { utilPercent: 0, fbUsedMiB: 0 }) : { utilPercent: 0, fbUsedMiB: 0 };
      const labels: [string, string][] = [
        ['gpu', String(g.index)],
        ['UUID', g.uuid],
        ['pci_bus_id', `00000000:${(g.index + 1).toString(16).padStart(2, '0').toUpperCase()}:00.0`],
        ['device', `nvidia${g.index}`],
        ['modelName', FAKE_GPU_MODEL],
        ['Hostname', g.node],
        ['container', g.holder?.container ?? ''],
        ['namespace', g.holder?.namespace ?? ''],
        ['pod', g.holder?.pod ?? '']
      ];
      const value = {
        DCGM_FI_DEV_POWER_USAGE: use.powerW ?? FAKE_GPU_IDLE_POWER_W + POWER_W_PER_UTIL * use.utilPercent,
        DCGM_FI_DEV_GPU_UTIL: use.utilPercent,
        DCGM_FI_DEV_FB_FREE: FAKE_GPU_FB_TOTAL_MIB - use.fbUsedMiB,
        DCGM_FI_DEV_FB_USED: use.fbUsedMiB
      }[s.name];
      samples.push({ name: s.name, labels, value });
    }
  }
  return samples;
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Prometheus text exposition (format 0.0.4) of the samples: HELP and TYPE (all gauges) once per series. */
export function renderExposition(gpus: FakeGpu[]): string {
  const samples = dcgmSamples(gpus);
  const lines: string[] = [];
  for (const s of DCGM_SERIES) {
    lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} gauge`);
    for (const x of samples.filter((y) => y.name === s.name)) {
      lines.push(`${x.name}{${x.labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}} ${x.value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
