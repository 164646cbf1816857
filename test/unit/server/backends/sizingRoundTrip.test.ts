// A sizing's GPU type and memory overhead (issue 18) survive where each backend stores a kernel
// for re-adoption after a gateway restart: the driver pod's sizing annotation (Kubernetes) and the
// kernel record (local). An adopted kernel is then the cluster it was launched as, and a
// profile-sized one still matches the profile (warm pools, sameSizing).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeDriverPod } from '../../../../server/src/backends/kubernetes/codec.js';
import { buildDriverObjects, driverPodName } from '../../../../server/src/backends/kubernetes/objects.js';
import { createKernelDir, ensureRuntimeDir, readRecord, writeRecord } from '../../../../server/src/backends/local/runtimeDir.js';
import type { LocalKernelRecord } from '../../../../server/src/backends/local/types.js';
import type { Sizing } from '../../../../server/src/config/types.js';
import { sameSizing } from '../../../../server/src/kernels/sizing.js';
import { config } from './kubernetes/fixtures.js';

const ID = '0123abcd-0000-4000-8000-000000000000';
const SIZING: Sizing = {
  driver: { cores: 1, memoryMiB: 4096, gpus: 0, memoryOverheadMiB: 1024 },
  executors: { count: 2, cores: 4, memoryMiB: 8192, gpus: 1, gpuType: 'NVIDIA-A100-SXM4-80GB', memoryOverheadMiB: 3072 }
};

function pod(sizing: Sizing): V1Pod {
  const built = buildDriverObjects({
    kernelId: ID,
    podName: driverPodName(ID, 'x1y2z'),
    namespace: 'tenant-a',
    user: 'alice',
    tenant: 'a',
    profile: 'rapids',
    kernelName: `rapids--${ID}`,
    spark: true,
    sizing,
    key: 'f'.repeat(64),
    env: {},
    config
  }).pod;
  return { ...built, metadata: { ...built.metadata, uid: 'uid-1' } };
}

describe('sizing round trip through what backends store', () => {
  describe('Kubernetes: the driver pod\'s sizing annotation', () => {
    it('should give back the GPU type and memory overheads', () => {
      const decoded = decodeDriverPod(pod(SIZING));
      expect(decoded).toMatchObject({ ok: true, value: { sizing: SIZING } });
      expect(decoded.ok && sameSizing(decoded.value.sizing, SIZING)).toBe(true);
    });

    it('should add neither to a sizing without them (pods of gateways before issue 18)', () => {
      const plain: Sizing = { driver: { cores: 1, memoryMiB: 2048, gpus: 0 }, executors: { min: 0, max: 3, cores: 1, memoryMiB: 2048, gpus: 0 } };
      const decoded = decodeDriverPod(pod(plain));
      expect(decoded.ok && decoded.value.sizing).toStrictEqual(plain);
    });

    it.each([
      ['a GPU type that is not text', { gpuType: 7 }, 'has an invalid executors.gpuType (not a GPU type\'s text): 7'],
      ['an empty GPU type', { gpuType: '' }, 'has an invalid executors.gpuType (not a GPU type\'s text): ""'],
      ['a negative memory overhead', { memoryOverheadMiB: -1 }, 'has an invalid executors.memoryOverheadMiB: -1']
    ])('should refuse an annotation with %s, naming the annotation and field', (_case, bad, reason) => {
      const p = pod(SIZING);
      const annotations = p.metadata!.annotations!;
      const key = Object.keys(annotations).find(k => k.endsWith('/sizing'))!;
      annotations[key] = JSON.stringify({ ...SIZING, executors: { ...SIZING.executors, ...bad } });
      expect(decodeDriverPod(p)).toEqual({ ok: false, reason: `annotation ${key} ${reason}` });
    });
  });

  describe('local: the kernel record', () => {
    let tmp: string;
    beforeEach(async () => {
      tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-sizing-roundtrip-'));
    });
    afterEach(async () => {
      await rm(tmp, { recursive: true, force: true });
    });

    it('should read back the GPU type (which the local backend ignores) and memory overheads', async () => {
      const me = { uid: process.getuid?.() ?? 0 };
      await ensureRuntimeDir(tmp, me);
      const dir = await createKernelDir(tmp, ID);
      const record: LocalKernelRecord = {
        version: 1,
        kernelId: ID,
        kernelName: `rapids--${ID}`,
        profileId: 'rapids',
        owner: { user: 'alice', tenant: 'default' },
        sizing: SIZING,
        spark: true,
        sparkUi: null,
        connection: {
          ip: '127.0.0.1',
          transport: 'tcp',
          shell_port: 50001,
          iopub_port: 50002,
          stdin_port: 50003,
          control_port: 50004,
          hb_port: 50005,
          key: 'k',
          signature_scheme: 'hmac-sha256'
        },
        pid: 4242,
        processStart: null,
        gateway: { pid: 4000, start: null },
        createdAt: '2026-12-03T10:00:00.000Z'
      };
      await writeRecord(dir, record);
      const read = await readRecord(dir, me);
      expect(read.ok && read.record.sizing).toStrictEqual(SIZING);
    });
  });
});
