/**
 * Profiles for real work on the real control plane (issue 18, tests): a profile's node selectors
 * place its driver and executor pods, and a per-user `claimTemplate` volume is one claim per user,
 * created at the first launch and mounted again at the next. Storage is the harness's provisioner
 * (`storage: true`: a default WaitForFirstConsumer StorageClass, hostPath PVs the agent bind-mounts).
 * A profile's `options` bound what a launch may change: a hand-written request past them is refused
 * before anything exists in the tenant's namespace, and a GPU type the option offers places the
 * executors on the nodes of that `nvidia.com/gpu.product`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { V1ObjectMeta, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { waitUntil } from '../support/waitFor.js';
import { createPod, IMMEDIATE_STORAGE_CLASS, readLog, shellPod, STORAGE_CLASS, waitForPod, waitForPodDone } from './harness/index.js';
import { KUBERNETES_SECTION } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef0';
const NS = 'tenant-a';
const KERNEL_ID = 'sparkgate.io/kernel-id';
const HOME = '/home/jovyan';
const L4 = 'NVIDIA-L4';
const A100 = 'NVIDIA-A100-SXM4-80GB';
const GPU_PRODUCT = 'nvidia.com/gpu.product';

const CONFIG = `
users:
  - { name: alice, tenant: a, token: ${ALICE} }
  - { name: bob, tenant: a, token: ${BOB} }
tenants:
  a: { namespace: ${NS}, limits: { cores: 16, memory: 16g } }
profiles:
  data-pool:
    displayName: PySpark on the data pool
    driver: { cores: 0.5, memory: 768m, gpus: 0, nodeSelector: { pool: data } }
    executors: { count: 2, cores: 1, memory: 512m, gpus: 0, nodeSelector: { pool: data } }
    volumes:
      - { name: scratch, claimTemplate: "scratch-{user}", size: 1Gi, mountPath: /scratch, executors: true }
  home:
    displayName: Python with a home
    spark: false
    driver: { cores: 0.25, memory: 256m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
    volumes:
      - { name: home, claimTemplate: "home-{user}", size: 1Gi, mountPath: ${HOME} }
  cache:
    displayName: Python with a cache on an Immediate-binding class
    spark: false
    driver: { cores: 0.25, memory: 256m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
    volumes:
      - { name: cache, claimTemplate: "cache-{user}", size: 2Gi, storageClass: ${IMMEDIATE_STORAGE_CLASS}, mountPath: /cache }
  sized:
    displayName: PySpark on a GPU of your choice
    driver: { cores: 0.5, memory: 768m, gpus: 0 }
    executors: { count: 1, cores: 1, memory: 512m, gpus: 1 }
    options:
      executors: { count: { min: 1, max: 2 }, gpuType: { choices: [${L4}, ${A100}] } }
kernels: { startTimeoutSeconds: 180, shutdownGraceSeconds: 2 }
${KUBERNETES_SECTION}`;

describe('cluster/profiles', () => {
  const k8s = useCluster({
    nodes: [
      { name: 'cpu-1', cpu: '8', memory: '16Gi', labels: { pool: 'general' } },
      { name: 'cpu-2', cpu: '8', memory: '16Gi', labels: { pool: 'data' } },
      { name: 'gpu-l4', cpu: '4', memory: '8Gi', gpus: 1, labels: { [GPU_PRODUCT]: L4 } },
      { name: 'gpu-a100', cpu: '4', memory: '8Gi', gpus: 1, labels: { [GPU_PRODUCT]: A100 } }
    ],
    storage: true,
    gateway: { config: CONFIG, tenants: { [NS]: {} } }
  });
  const { call } = k8s;

  const pods = async (selector: string): Promise<V1Pod[]> => (await k8s.core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;
  const claims = async (): Promise<V1PersistentVolumeClaim[]> =>
    (await k8s.core.listNamespacedPersistentVolumeClaim({ namespace: NS, labelSelector: 'app.kubernetes.io/component=user-volume' })).items;
  const launch = async (token: string, name: string): Promise<string> => {
    const res = await call(token, 'POST', '/api/kernels', { name });
    expect({ status: res.status, message: res.status === 201 ? '' : res.body.message }).toEqual({ status: 201, message: '' });
    return res.body.id as string;
  };
  const run = async (token: string, id: string, code: string, timeoutMs = 60_000): Promise<string> => {
    const socket = await KernelSocket.open(k8s.gw.wsUrl, id, token);
    try {
      const r = await socket.execute(code, timeoutMs);
      expect({ status: r.reply.content.status, error: r.reply.content.evalue ?? null }).toEqual({ status: 'ok', error: null });
      return r.stdout.trim();
    } finally {
      socket.close();
    }
  };
  const shutDown = async (token: string, id: string): Promise<void> => {
    expect((await call(token, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
    await waitUntil(async () => (await pods(`${KERNEL_ID}=${id}`)).length === 0, { timeoutMs: 60_000, what: `kernel ${id}'s pods gone` });
  };

  /** Names of what the tenant's namespace holds, by kind. */
  const namespaceObjects = async (): Promise<Record<string, string[]>> => {
    const names = (list: { items: { metadata?: V1ObjectMeta }[] }) => list.items.map(o => o.metadata?.name ?? '').sort();
    const [pods, claims, secrets, configMaps, services] = await Promise.all([
      k8s.core.listNamespacedPod({ namespace: NS }),
      k8s.core.listNamespacedPersistentVolumeClaim({ namespace: NS }),
      k8s.core.listNamespacedSecret({ namespace: NS }),
      k8s.core.listNamespacedConfigMap({ namespace: NS }),
      k8s.core.listNamespacedService({ namespace: NS })
    ]);
    return { pods: names(pods), claims: names(claims), secrets: names(secrets), configMaps: names(configMaps), services: names(services) };
  };

  // First in the file, so the namespace holds nothing another test is still deleting.
  it("should refuse a hand-written launch past the profile's options with 400 naming the field and its bound, creating nothing", async () => {
    const before = await namespaceObjects();
    const kernelsBefore = (await call(ALICE, 'GET', '/api/kernels')).body;
    const clustersBefore = (await call(ALICE, 'GET', '/api/clusters')).body;
    const refusals = [
      [{ executors: { count: 3 } }, "sizing.executors.count must be between 1 and 2 for profile 'sized' (got 3)"],
      [{ executors: { cores: 2 } }, "sizing.executors.cores: profile 'sized' fixes it at 1; remove it or send 1"],
      [{ driver: { memoryMiB: 4096 } }, "sizing.driver.memoryMiB: profile 'sized' fixes it at 768 MiB; remove it or send 768"],
      [{ executors: { gpuType: 'NVIDIA-H100' } }, `sizing.executors.gpuType must be one of ${L4}, ${A100} for profile 'sized' (got 'NVIDIA-H100')`],
      [{ executors: { memoryOverheadMiB: 4096 } }, "sizing.executors.memoryOverheadMiB is set by profile 'sized' (the gateway's default), not by a launch; remove it"]
    ] as const;
    const answers = [];
    for (const [sizing] of refusals) {
      const res = await call(ALICE, 'POST', '/api/clusters', { profile: 'sized', sizing });
      answers.push({ status: res.status, message: res.body.message as string });
    }
    expect(answers).toEqual(refusals.map(([, message]) => ({ status: 400, message })));
    // Nothing in the namespace, and the gateway lists no cluster it did not launch.
    expect(await namespaceObjects()).toEqual(before);
    expect((await call(ALICE, 'GET', '/api/kernels')).body).toEqual(kernelsBefore);
    expect((await call(ALICE, 'GET', '/api/clusters')).body).toEqual(clustersBefore);
    process.stderr.write(`profiles: refused ${answers.length} launches past options; namespace ${JSON.stringify(before)}\n`);
  }, 30_000);

  it("should place the executors on the nodes of the GPU type a launch chose from the options, and of the profile's default without a choice", async () => {
    const chosen = await call(ALICE, 'POST', '/api/clusters', { profile: 'sized', sizing: { executors: { count: 1, gpuType: A100 } } });
    expect({ status: chosen.status, message: chosen.body.message ?? '' }).toEqual({ status: 201, message: '' });
    expect(chosen.body.sizing.executors).toMatchObject({ count: 1, gpus: 1, gpuType: A100 });
    // The Jupyter REST path launches the profile's own sizing: its default type, the option's first choice.
    const byDefault = await launch(BOB, 'sized');
    const chosenId = chosen.body.id as string;
    const executorNode = async (id: string): Promise<{ node: string; selector: string | undefined } | undefined> => {
      const [pod] = await pods(`${KERNEL_ID}=${id},spark-role=executor`);
      return pod?.spec?.nodeName ? { node: pod.spec.nodeName, selector: pod.spec.nodeSelector?.[GPU_PRODUCT] } : undefined;
    };
    const placed = {
      chosen: await waitUntil(() => executorNode(chosenId), { timeoutMs: 150_000, what: `cluster ${chosenId}'s executor scheduled` }),
      byDefault: await waitUntil(() => executorNode(byDefault), { timeoutMs: 150_000, what: `kernel ${byDefault}'s executor scheduled` })
    };
    expect(placed).toEqual({ chosen: { node: 'gpu-a100', selector: A100 }, byDefault: { node: 'gpu-l4', selector: L4 } });
    // The driver asks for no GPU: the type does not pin it to a GPU node.
    const [driver] = await pods(`${KERNEL_ID}=${chosenId},app.kubernetes.io/component=driver`);
    expect(driver?.spec?.nodeSelector?.[GPU_PRODUCT]).toBeUndefined();
    process.stderr.write(`profiles: GPU types placed ${JSON.stringify(placed)}\n`);
    expect((await call(ALICE, 'DELETE', `/api/clusters/${chosenId}`)).status).toBe(204);
    await waitUntil(async () => (await pods(`${KERNEL_ID}=${chosenId}`)).length === 0, { timeoutMs: 60_000, what: `cluster ${chosenId}'s pods gone` });
    await shutDown(BOB, byDefault);
  }, 240_000);

  it('should provision a claim of the default class when a pod first uses it, bind it, and mount it again read-only in the next pod', async () => {
    // The harness itself, with bare pods: WaitForFirstConsumer leaves the claim Pending until a pod needs it.
    await k8s.core.createNamespacedPersistentVolumeClaim({
      namespace: 'default',
      body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } }
    });
    const pending = await k8s.core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: 'default' });
    expect([pending.spec?.storageClassName, pending.status?.phase, pending.spec?.volumeName]).toEqual([STORAGE_CLASS, 'Pending', undefined]);
    const volume = { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] };
    await createPod(k8s.cluster, shellPod('writer', 'echo written > /mnt/data/file && cat /mnt/data/file', {
      container: { volumeMounts: [{ name: 'data', mountPath: '/mnt/data' }] },
      spec: volume
    }));
    const writer = await waitForPodDone(k8s.cluster.kubeConfig, 'default', 'writer');
    expect([writer.status?.phase, readLog(k8s.cluster, 'default', 'writer')]).toEqual(['Succeeded', 'written\n']);
    const bound = await k8s.core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: 'default' });
    expect(bound.status).toMatchObject({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '2Gi' } });
    // The scheduler picked the node, the PV controller bound the provisioner's PV to the claim.
    expect(bound.metadata?.annotations?.['volume.kubernetes.io/selected-node']).toBe(writer.spec?.nodeName);
    const pv = await k8s.core.readPersistentVolume({ name: bound.spec!.volumeName! });
    expect(pv.spec).toMatchObject({ storageClassName: STORAGE_CLASS, claimRef: { namespace: 'default', name: 'data', uid: bound.metadata?.uid } });
    expect(pv.status?.phase).toBe('Bound');
    // The claim's readOnly wins over the mount's: the file reads, a write fails.
    await createPod(k8s.cluster, shellPod('reader', 'cat /mnt/data/file; echo more > /mnt/data/file || echo refused', {
      container: { volumeMounts: [{ name: 'data', mountPath: '/mnt/data' }] },
      spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } }] }
    }));
    await waitForPodDone(k8s.cluster.kubeConfig, 'default', 'reader');
    expect(readLog(k8s.cluster, 'default', 'reader')).toMatch(/^written\n.*Read-only file system\nrefused\n$/s);
    // Deleting the claim releases the volume; the provisioner deletes it (reclaim policy Delete) and its folder.
    const folder = pv.spec!.hostPath!.path;
    expect(readFileSync(path.join(folder, 'file'), 'utf8')).toBe('written\n');
    for (const name of ['writer', 'reader']) {
      await k8s.core.deleteNamespacedPod({ name, namespace: 'default', body: { gracePeriodSeconds: 0 } });
      await waitForPod(k8s.cluster.kubeConfig, 'default', name, p => p === undefined);
    }
    await k8s.core.deleteNamespacedPersistentVolumeClaim({ name: 'data', namespace: 'default' });
    await waitUntil(
      async () => !(await k8s.core.listPersistentVolume()).items.some(v => v.metadata?.name === pv.metadata?.name) && !existsSync(folder),
      { timeoutMs: 30_000, what: 'the released PV and its folder deleted' }
    );
  }, 60_000);

  it("should place a profile's driver and executors only on the nodes its selectors name, the executors mounting its executors: true claim", async () => {
    const id = await launch(ALICE, 'data-pool');
    // Spark makes the executors once the session is up; a task on each shows they run, and reads
    // on an executor what the driver wrote to the shared claim.
    const out = await run(
      ALICE,
      id,
      [
        'import json, os',
        "open('/scratch/from-driver', 'w').write('hello executors')",
        "pod = lambda: os.environ.get('SPARK_EXECUTOR_POD_NAME') or os.environ.get('HOSTNAME')",
        "print(json.dumps(sorted(set(sc.parallelize(range(4), 4).map(lambda _: (pod(), open('/scratch/from-driver').read())).collect()))))"
      ].join('\n'),
      150_000
    );
    const [driver] = await pods(`${KERNEL_ID}=${id},app.kubernetes.io/component=driver`);
    const executors = await pods(`${KERNEL_ID}=${id},spark-role=executor`);
    expect(executors).toHaveLength(2);
    const placed = [driver!, ...executors].map(p => ({ pod: p.metadata?.name, node: p.spec?.nodeName, selector: p.spec?.nodeSelector }));
    expect(placed).toEqual(placed.map(p => ({ ...p, node: 'cpu-2', selector: { pool: 'data' } })));
    // Every task ran on an executor pod and read the driver's file there.
    const hostnames = new Set(executors.map(p => p.metadata?.name));
    const seen = JSON.parse(out) as [string, string][];
    expect(seen.length).toBeGreaterThanOrEqual(1);
    for (const [host, text] of seen) {
      expect([hostnames.has(host), text]).toEqual([true, 'hello executors']);
    }
    for (const e of executors) {
      expect(e.spec?.volumes).toContainEqual({ name: 'scratch', persistentVolumeClaim: { claimName: 'scratch-alice' } });
    }
    expect(driver!.spec?.volumes).toContainEqual({ name: 'scratch', persistentVolumeClaim: { claimName: 'scratch-alice' } });
    process.stderr.write(`profiles: placed ${JSON.stringify(placed.map(p => [p.pod, p.node]))}\n`);
    await shutDown(ALICE, id);
  }, 240_000);

  it("should create a user's home claim at the first launch, keep it, mount the same one at the next, and give another user their own", async () => {
    const first = await launch(ALICE, 'home');
    const [home] = (await claims()).filter(c => c.metadata?.name === 'home-alice');
    expect(home?.metadata?.annotations?.['sparkgate.io/user']).toBe('alice');
    expect(home?.spec?.resources?.requests?.storage).toBe('1Gi');
    const uid = home!.metadata!.uid;
    const [driver] = await pods(`${KERNEL_ID}=${first},app.kubernetes.io/component=driver`);
    expect(driver!.spec?.volumes).toContainEqual({ name: 'home', persistentVolumeClaim: { claimName: 'home-alice' } });
    expect(driver!.spec?.containers[0]!.volumeMounts).toContainEqual({ name: 'home', mountPath: HOME });
    const note = `alice's note ${first}`;
    expect(await run(ALICE, first, `open('${HOME}/notes.txt', 'w').write(${JSON.stringify(note)})\nimport os\nprint(sorted(os.listdir('${HOME}')))`)).toBe(
      "['notes.txt']"
    );
    await shutDown(ALICE, first);
    const kept = await k8s.core.readNamespacedPersistentVolumeClaim({ name: 'home-alice', namespace: NS });
    expect([kept.metadata?.uid, kept.status?.phase]).toEqual([uid, 'Bound']);

    const second = await launch(ALICE, 'home');
    expect(await run(ALICE, second, `print(open('${HOME}/notes.txt').read())`)).toBe(note);
    const bobs = await launch(BOB, 'home');
    expect(await run(BOB, bobs, `import os\nprint(sorted(os.listdir('${HOME}')), os.path.exists('${HOME}/notes.txt'))`)).toBe('[] False');
    const after = (await claims()).filter(c => c.metadata?.name?.startsWith('home-'));
    expect(after.map(c => [c.metadata?.name, c.metadata?.annotations?.['sparkgate.io/user']]).sort()).toEqual([
      ['home-alice', 'alice'],
      ['home-bob', 'bob']
    ]);
    expect(after.find(c => c.metadata?.name === 'home-alice')?.metadata?.uid).toBe(uid);
    // On the host: one folder per claim, alice's note only in hers.
    const aliceDir = await k8s.cluster.storage!.hostPath(NS, 'home-alice');
    const bobDir = await k8s.cluster.storage!.hostPath(NS, 'home-bob');
    expect([readFileSync(path.join(aliceDir!, 'notes.txt'), 'utf8'), existsSync(path.join(bobDir!, 'notes.txt'))]).toEqual([note, false]);
    await Promise.all([shutDown(ALICE, second), shutDown(BOB, bobs)]);
  }, 120_000);

  it("should wait for a per-user claim of an Immediate-binding class to be provisioned instead of failing the launch on the scheduler's first verdict", async () => {
    // Unbound at the pod's first scheduling attempt ("pod has unbound immediate PersistentVolumeClaims"), bound a moment later.
    const id = await launch(ALICE, 'cache');
    const claim = await k8s.core.readNamespacedPersistentVolumeClaim({ name: 'cache-alice', namespace: NS });
    expect([claim.spec?.storageClassName, claim.status?.phase, claim.status?.capacity?.storage]).toEqual([IMMEDIATE_STORAGE_CLASS, 'Bound', '2Gi']);
    expect(await run(ALICE, id, "open('/cache/x', 'w').write('cached')\nprint(open('/cache/x').read())")).toBe('cached');
    await shutDown(ALICE, id);
  }, 60_000);
});
