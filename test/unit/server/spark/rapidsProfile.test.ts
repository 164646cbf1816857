// The example profile set of images/deploy/config.example.yaml (CPU, GPU, RAPIDS; issue 18 item 4),
// loaded by the gateway's own loader and built into a launch's Spark conf and pods the way the
// Kubernetes backend does. No RAPIDS jar and no GPU here: this checks what the gateway hands
// Spark and Kubernetes, not that the plugin runs (README "RAPIDS on a real GPU cluster").
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { buildDriverObjects, driverPodName } from '../../../../server/src/backends/kubernetes/objects.js';
import { loadConfig } from '../../../../server/src/config/load.js';
import type { GatewayConfig, Profile, Sizing } from '../../../../server/src/config/types.js';
import { InputError } from '../../../../server/src/errors.js';
import { resolveSizing } from '../../../../server/src/kernels/sizing.js';
import { buildKubernetesSparkConf } from '../../../../server/src/spark/kubernetesConf.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const EXAMPLE = 'images/deploy/config.example.yaml';
const load = (file: string, text: string, env: Record<string, string> = {}): GatewayConfig =>
  loadConfig({ flags: { config: file }, env, readFile: () => text, defaults: { python: '/py', launcher: '/l.py', workingDir: '/w', version: '0.1.0' } });
const config = load(EXAMPLE, readFileSync(path.join(root, EXAMPLE), 'utf8'));

const ID = '0123abcd-0000-4000-8000-000000000000';
const owner: V1Pod = { metadata: { name: driverPodName(ID, 'x1y2z'), uid: 'uid-1' } };

function profile(id: string): Profile {
  const p = config.profiles[id];
  if (!p) {
    throw new Error(`${EXAMPLE} has no profile ${id}`);
  }
  return p;
}

/** A launch of `p` with `sizing` as the Kubernetes backend builds it: pod, Spark conf, executor template. */
function launch(p: Profile, sizing: Sizing = p.sizing) {
  const objects = buildDriverObjects({
    kernelId: ID,
    podName: driverPodName(ID, 'x1y2z'),
    namespace: 'team-a',
    user: 'alice',
    tenant: 'team-a',
    profile: p.id,
    kernelName: p.id,
    spark: p.spark,
    sizing,
    key: 'f'.repeat(64),
    env: {},
    config: config.kubernetes,
    ...(p.runtime ? { runtime: p.runtime } : {})
  });
  const files = objects.secret(owner).stringData ?? {};
  return {
    pod: objects.pod,
    kernel: objects.pod.spec?.containers[0],
    conf: JSON.parse(files['spark-conf.json'] ?? '{}') as Record<string, string>,
    executorTemplate: JSON.parse(files['executor-template.json'] ?? '{}') as { spec: { nodeSelector?: Record<string, string> } }
  };
}

describe('the example profile set (CPU, GPU, RAPIDS)', () => {
  it('should load through the gateway loader, each profile offered to team-a', () => {
    expect(Object.keys(config.profiles)).toEqual(['pyspark', 'pyspark-gpu', 'pyspark-rapids', 'pyspark-dynamic']);
    expect(config.tenants['team-a']?.profiles).toEqual(['pyspark', 'pyspark-gpu', 'pyspark-rapids', 'pyspark-dynamic']);
    expect(profile('pyspark').sizing.executors).toEqual({ count: 2, cores: 2, memoryMiB: 4096, gpus: 0 });
    // No options: every sizing field adjustable, as before options existed.
    expect(profile('pyspark').options).toBeUndefined();
    expect(profile('pyspark-gpu').sizing.executors).toEqual({ count: 2, cores: 4, memoryMiB: 16384, gpus: 1, gpuType: 'NVIDIA-L4' });
  });

  it('should launch the CPU profile with the gateway defaults and no GPU anywhere', () => {
    const { conf, pod, executorTemplate } = launch(profile('pyspark'));
    expect(conf).toMatchObject({ 'spark.executor.instances': '2', 'spark.executor.memory': '4096m', 'spark.executor.memoryOverhead': '1639m' });
    expect(Object.keys(conf).filter(k => k.includes('gpu') || k.startsWith('spark.rapids') || k === 'spark.plugins')).toEqual([]);
    expect(pod.spec?.nodeSelector).toBeUndefined();
    expect(executorTemplate.spec.nodeSelector).toBeUndefined();
  });

  it("should put the GPU profile's executors on the chosen GPU type", () => {
    const gpu = profile('pyspark-gpu');
    expect(launch(gpu).executorTemplate.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.product': 'NVIDIA-L4' });
    const a100 = resolveSizing(gpu, { executors: { gpuType: 'NVIDIA-A100-SXM4-80GB' } });
    expect(launch(gpu, a100).executorTemplate.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' });
  });

  describe('pyspark-rapids', () => {
    const rapids = profile('pyspark-rapids');

    it('should run the RAPIDS images and turn the plugin on with its GPU settings', () => {
      const { conf, kernel } = launch(rapids);
      expect(kernel?.image).toBe('registry.example.com/sparkgate/driver:0.1.0-rapids');
      expect(conf).toMatchObject({
        'spark.kubernetes.container.image': 'registry.example.com/sparkgate/executor:0.1.0-rapids',
        'spark.plugins': 'com.nvidia.spark.SQLPlugin',
        'spark.rapids.sql.concurrentGpuTasks': '2',
        'spark.rapids.memory.pinnedPool.size': '2g'
      });
    });

    it('should raise the executors\' overhead to the profile\'s 8g (pinned pool + Python), one GPU each, a quarter GPU per task', () => {
      const { conf } = launch(rapids);
      expect(conf).toMatchObject({
        'spark.executor.instances': '2',
        'spark.executor.cores': '4',
        'spark.executor.memory': '16384m',
        // Not the default 40% of the heap (6554m): Kubernetes sizes each executor pod 16g + 8g.
        'spark.executor.memoryOverhead': '8192m',
        'spark.executor.resource.gpu.amount': '1',
        'spark.executor.resource.gpu.vendor': 'nvidia.com',
        'spark.task.resource.gpu.amount': '0.25'
      });
      // Those sizing keys are the gateway's, from the sizing alone: the same without the profile's sparkConf.
      const gatewayOnly = buildKubernetesSparkConf({
        kernelId: ID,
        user: 'alice',
        namespace: 'team-a',
        podName: owner.metadata!.name!,
        sizing: rapids.sizing,
        executorImage: 'x',
        imagePullPolicy: 'IfNotPresent',
        executorServiceAccount: 'sparkgate-executor',
        gpuDiscoveryScript: config.kubernetes.gpuDiscoveryScript,
        executorTemplateFile: '/etc/sparkgate/kernel/executor-template.json',
        executorLabels: {},
        master: 'k8s://https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)',
        secretFiles: { driver: '/etc/sparkgate/kernel/spark-auth', executor: '/etc/sparkgate/spark/spark-auth' }
      });
      for (const key of ['spark.executor.memoryOverhead', 'spark.executor.resource.gpu.amount', 'spark.task.resource.gpu.amount']) {
        expect({ key, value: gatewayOnly[key] }).toEqual({ key, value: conf[key] });
      }
      expect(gatewayOnly['spark.plugins']).toBeUndefined();
    });

    it("should size the driver pod as heap + the driver's default overhead, without a GPU", () => {
      const { kernel, pod, conf } = launch(rapids);
      // 4g heap + max(512, 40% of 4096 = 1639) MiB: the driver plans queries, it pins no pool.
      expect(conf['spark.driver.memory']).toBe('4096m');
      expect(kernel?.resources).toEqual({ requests: { cpu: '2', memory: '5735Mi' }, limits: { memory: '5735Mi' } });
      expect(pod.spec?.nodeSelector).toBeUndefined();
    });

    it('should put executors on NVIDIA GPU nodes of the default type, or of the type a user picks', () => {
      expect(launch(rapids).executorTemplate.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.product': 'NVIDIA-L4' });
      const picked = resolveSizing(rapids, { executors: { count: 8, gpuType: 'NVIDIA-A100-SXM4-80GB' } });
      const { conf, executorTemplate } = launch(rapids, picked);
      expect(executorTemplate.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' });
      expect(conf['spark.executor.instances']).toBe('8');
      expect(conf['spark.executor.memoryOverhead']).toBe('8192m');
    });

    it('should refuse what its options do not offer, naming the field and the bound', () => {
      const refusal = (overrides: unknown) => {
        try {
          resolveSizing(rapids, overrides);
        } catch (e) {
          return e instanceof InputError ? e.message : `not an InputError: ${String(e)}`;
        }
        return 'accepted';
      };
      expect(refusal({ executors: { count: 9 } })).toBe("sizing.executors.count must be between 1 and 8 for profile 'pyspark-rapids' (got 9)");
      expect(refusal({ executors: { memoryMiB: 8192 } })).toBe("sizing.executors.memoryMiB: profile 'pyspark-rapids' fixes it at 16 GiB; remove it or send 16384");
      expect(refusal({ executors: { gpuType: 'NVIDIA-T4' } })).toBe(
        "sizing.executors.gpuType must be one of NVIDIA-L4, NVIDIA-A100-SXM4-80GB for profile 'pyspark-rapids' (got 'NVIDIA-T4')"
      );
      expect(refusal({ executors: { memoryOverheadMiB: 1024 } })).toBe(
        "sizing.executors.memoryOverheadMiB is set by profile 'pyspark-rapids' (8 GiB), not by a launch; remove it"
      );
    });
  });
});

describe("README's profile examples", () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => m[1] ?? '');
  // Single-user mode (the blocks name no users): the token comes from the environment.
  const loadProfiles = (block: string) =>
    load('README.md', JSON.stringify({ backend: 'kubernetes', profiles: (parseYaml(block) as { profiles: unknown }).profiles }), { SPARKGATE_TOKEN: 't' });

  it('should each load on the Kubernetes backend', () => {
    const profileBlocks = blocks.filter(b => b.startsWith('profiles:\n'));
    expect(profileBlocks.length).toBeGreaterThanOrEqual(3);
    for (const block of profileBlocks) {
      expect(() => loadProfiles(block)).not.toThrow();
    }
  });

  it('should show the same CPU, GPU and RAPIDS profiles as the config example', () => {
    const block = blocks.find(y => y.includes('pyspark-rapids:'));
    expect(block).toBeDefined();
    const documented = loadProfiles(block ?? '');
    expect(Object.keys(documented.profiles)).toEqual(['pyspark', 'pyspark-gpu', 'pyspark-rapids']);
    for (const id of ['pyspark', 'pyspark-gpu', 'pyspark-rapids']) {
      expect({ id, profile: documented.profiles[id] }).toEqual({ id, profile: config.profiles[id] });
    }
  });
});
