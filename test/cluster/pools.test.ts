/**
 * Warm driver pools on the real control plane (issue 15): the gateway keeps a tenant's pool of
 * unclaimed driver pods (annotated `sparkgate.io/pool`, no user), a launch at the profile's sizing
 * takes one, the pod is then annotated for its user exactly like a cold one, and the pool refills.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { createPod } from './harness/pods.js';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { holdsWithin, waitUntil } from '../support/waitFor.js';
import { KUBERNETES_SECTION } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const ALICE = 'alice-token-0123456789abcdef';
const NS = 'tenant-pool';
const KERNEL_ID = 'sparkgate.io/kernel-id';

const CONFIG = `
users:
  - { name: alice, tenant: a, token: ${ALICE} }
tenants:
  a:
    namespace: ${NS}
    limits: { gpus: 0, cores: 8, memory: 16g }
    pools: { small: { size: 1, maxIdleMinutes: 0 }, fixed: { size: 1 }, elastic: { size: 1 } }
profiles:
  small:
    displayName: PySpark, driver only
    driver: { cores: 0.5, memory: 512m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
  fixed:
    displayName: PySpark, one executor
    driver: { cores: 0.5, memory: 768m, gpus: 0 }
    executors: { count: 1, cores: 1, memory: 512m, gpus: 0 }
  elastic:
    displayName: PySpark, 0 to 2 executors
    driver: { cores: 0.5, memory: 768m, gpus: 0 }
    executors: { min: 0, max: 2, cores: 1, memory: 512m, gpus: 0 }
kernels: { startTimeoutSeconds: 240, shutdownGraceSeconds: 5, reap: { intervalSeconds: 5 } }
${KUBERNETES_SECTION}  orphanGraceSeconds: 1
`;

describe('cluster/pools', () => {
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }], gateway: { config: CONFIG, tenants: { [NS]: {} } } });
  const { call } = k8s;

  const drivers = async (): Promise<V1Pod[]> =>
    (await k8s.core.listNamespacedPod({ namespace: NS, labelSelector: 'app.kubernetes.io/component=driver' })).items.filter(p => !p.metadata?.deletionTimestamp);
  const warmPods = async (profile?: string): Promise<V1Pod[]> =>
    (await drivers()).filter(
      p => p.metadata?.annotations?.['sparkgate.io/pool'] === 'warm' && (!profile || p.metadata?.annotations?.['sparkgate.io/profile'] === profile)
    );
  /** The end of a pod's kernel log (the node agent's file), to show why a warm driver never got ready. */
  const logOf = async (pod: V1Pod | undefined): Promise<string> =>
    pod ? (await readFile(k8s.cluster.agent.logFile(NS, pod.metadata!.name!, 'kernel'), 'utf8').catch(() => '')).split('\n').slice(-40).join('\n') : '(no pod)';
  const warmCount = async (profile = 'small'): Promise<number> => {
    const me = await call(ALICE, 'GET', '/api/me');
    return (me.body.profiles as Array<{ id: string; warm: number }>).find(p => p.id === profile)?.warm ?? 0;
  };
  /** The profile's warm driver pod once /api/me counts it warm; on a timeout, the pod's log says why. */
  const warmDriver = async (profile: string): Promise<V1Pod> => {
    await waitUntil(async () => (await warmCount(profile)) === 1, { timeoutMs: 240_000, what: `the ${profile} pool's warm driver ready (/api/me)`, intervalMs: 500 }).catch(
      async (error: Error) => {
        throw new Error(`${error.message}\n${await logOf((await warmPods(profile))[0])}`);
      }
    );
    const [pod] = await warmPods(profile);
    return pod!;
  };
  const executorPods = async (kernelId: string): Promise<V1Pod[]> =>
    (await k8s.core.listNamespacedPod({ namespace: NS, labelSelector: `app.kubernetes.io/component=executor,${KERNEL_ID}=${kernelId}` })).items.filter(
      p => !p.metadata?.deletionTimestamp
    );

  it("should hand a launch the pool's ready driver, annotated for its user like a cold one, start a replacement, and adopt the claimed one after a restart", async () => {
    // The pool's driver: nobody's pod, with a lease, until a launch takes it.
    await waitUntil(async () => (await warmCount()) === 1, { timeoutMs: 240_000, what: "the pool's warm driver ready (/api/me)", intervalMs: 500 });
    const [warm] = await warmPods('small');
    expect(warm).toBeDefined();
    const warmId = warm!.metadata!.labels![KERNEL_ID]!;
    expect(warm!.metadata?.annotations?.['sparkgate.io/user']).toBeUndefined();
    expect(Date.parse(warm!.metadata!.annotations!['sparkgate.io/pool-until']!)).toBeGreaterThan(Date.now());
    expect((await call(ALICE, 'GET', '/api/kernels')).body).toEqual([]);

    const res = await call(ALICE, 'POST', '/api/kernels', { name: 'small', env: { KERNEL_USERNAME: 'alice' } });
    expect({ status: res.status, body: res.status === 201 ? 'ok' : res.body }).toEqual({ status: 201, body: 'ok' });
    expect(res.body.id).toBe(warmId);

    // Annotated for alice on the same pod, the pool marks gone: what adoption, culling and replicas read.
    const claimed = await waitUntil(
      async () => {
        const pod = (await drivers()).find(p => p.metadata?.uid === warm!.metadata?.uid);
        return pod?.metadata?.annotations?.['sparkgate.io/user'] === 'alice' ? pod : undefined;
      },
      { timeoutMs: 30_000, what: 'the claimed pod annotated for alice', intervalMs: 200 }
    );
    const a = claimed.metadata!.annotations!;
    expect(a).toMatchObject({ 'sparkgate.io/user': 'alice', 'sparkgate.io/tenant': 'a', 'sparkgate.io/profile': 'small', 'sparkgate.io/kernel-name': 'small' });
    expect(a['sparkgate.io/pool']).toBeUndefined();
    expect(a['sparkgate.io/pool-until']).toBeUndefined();
    const listed = (await call(ALICE, 'GET', '/api/kernels')).body as unknown as Array<{ id: string; name: string }>;
    expect(listed.map(k => [k.id, k.name])).toEqual([[warmId, 'small']]);

    // It runs as alice's kernel, with her KERNEL_* settings applied at the claim.
    const socket = await KernelSocket.open(k8s.gw.wsUrl, warmId, ALICE);
    try {
      const run = await socket.execute("import os; print(os.environ.get('KERNEL_USERNAME')); spark.range(3).count()", 120_000);
      expect([run.stdout.trim(), run.result]).toEqual(['alice', '3']);
    } finally {
      socket.close();
    }

    // The pool refills with a new, unclaimed driver.
    const replacement = await waitUntil(async () => (await warmPods('small')).find(p => p.metadata?.labels?.[KERNEL_ID] !== warmId), {
      timeoutMs: 60_000,
      what: 'a replacement warm driver pod',
      intervalMs: 500
    });
    expect(replacement.metadata?.annotations?.['sparkgate.io/user']).toBeUndefined();
    await waitUntil(async () => (await warmCount()) === 1, { timeoutMs: 240_000, what: 'the replacement ready (/api/me)', intervalMs: 500 });

    // A gateway restart: the unclaimed driver goes with its gateway (nobody's to adopt); alice's
    // claimed one is adopted as hers, like a cold kernel; the new gateway fills its own pool.
    const replacementUid = replacement.metadata!.uid;
    await k8s.stopGateway();
    await waitUntil(async () => !(await drivers()).some(p => p.metadata?.uid === replacementUid), { timeoutMs: 60_000, what: 'the unclaimed driver stopped with its gateway', intervalMs: 500 });
    expect((await drivers()).map(p => p.metadata?.uid)).toContain(warm!.metadata?.uid);
    await k8s.startGateway();
    const adopted = (await call(ALICE, 'GET', '/api/kernels')).body as unknown as Array<{ id: string; name: string }>;
    expect(adopted.map(k => [k.id, k.name])).toEqual([[warmId, 'small']]);
    const again = await KernelSocket.open(k8s.gw.wsUrl, warmId, ALICE);
    try {
      expect((await again.execute('spark.range(4).count()', 120_000)).result).toBe('4');
    } finally {
      again.close();
    }
    await waitUntil(async () => (await warmCount()) === 1, { timeoutMs: 240_000, what: "the new gateway's warm driver ready (/api/me)", intervalMs: 500 });

    expect((await call(ALICE, 'DELETE', `/api/kernels/${warmId}`)).status).toBe(204);
    await waitUntil(async () => !(await drivers()).some(p => p.metadata?.uid === warm!.metadata?.uid), { timeoutMs: 60_000, what: 'the claimed pod gone', intervalMs: 500 });
  }, 600_000);

  it("should keep a fixed-count profile's warm driver without executor pods and bring its executors at the claim", async () => {
    const warm = await warmDriver('fixed');
    const warmId = warm.metadata!.labels![KERNEL_ID]!;
    // Spark is up (warm), yet no executor pod: nobody's driver holds none.
    expect(await holdsWithin(async () => (await executorPods(warmId)).length > 0, { timeoutMs: 3000, intervalMs: 250 })).toBe(false);
    const res = await call(ALICE, 'POST', '/api/kernels', { name: 'fixed' });
    expect([res.status, res.body.id]).toEqual([201, warmId]);
    await waitUntil(async () => (await executorPods(warmId)).length === 1, { timeoutMs: 120_000, what: 'the claimed driver\'s executor pod', intervalMs: 500 });
    const socket = await KernelSocket.open(k8s.gw.wsUrl, warmId, ALICE);
    try {
      const run = await socket.execute(
        [
          'import time',
          'deadline = time.time() + 120',
          'while len(sc._jsc.sc().statusTracker().getExecutorInfos()) < 2 and time.time() < deadline:',
          '    time.sleep(0.5)',
          'print(len(sc._jsc.sc().statusTracker().getExecutorInfos()) - 1, sc.parallelize(range(100), 4).map(lambda x: x * 2).sum())'
        ].join('\n'),
        180_000
      );
      expect([run.error, run.stdout.trim()]).toEqual([undefined, '1 9900']);
    } finally {
      socket.close();
    }
    const cluster = await call(ALICE, 'GET', `/api/clusters/${warmId}`);
    expect(cluster.body.executors).toMatchObject({ ready: 1, desired: 1 });
    expect((await call(ALICE, 'DELETE', `/api/kernels/${warmId}`)).status).toBe(204);
    await waitUntil(async () => (await executorPods(warmId)).length === 0, { timeoutMs: 60_000, what: 'its executor gone with it', intervalMs: 500 });
  }, 420_000);

  it("should let a claimed dynamic-allocation driver grow from zero executors for a job with many tasks, the toolbar's model following", async () => {
    const warm = await warmDriver('elastic');
    const warmId = warm.metadata!.labels![KERNEL_ID]!;
    expect(await executorPods(warmId)).toEqual([]);
    const res = await call(ALICE, 'POST', '/api/kernels', { name: 'elastic' });
    expect([res.status, res.body.id]).toEqual([201, warmId]);
    // The toolbar's model (GET /api/clusters/<id>) while the job runs: its largest ready count.
    let most = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const model = await call(ALICE, 'GET', `/api/clusters/${warmId}`);
        most = Math.max(most, (model.body.executors as { ready: number }).ready);
        await new Promise(resolve => setTimeout(resolve, 500));
      }
    })();
    const socket = await KernelSocket.open(k8s.gw.wsUrl, warmId, ALICE);
    try {
      const run = await socket.execute('import time\nprint(sc.parallelize(range(16), 16).map(lambda x: (time.sleep(3), x)[1]).sum())', 240_000);
      expect([run.error, run.stdout.trim()]).toEqual([undefined, '120']);
      await waitUntil(() => most === 2, { timeoutMs: 10_000, what: 'the model to have shown 2 ready executors', intervalMs: 250 });
    } finally {
      watching = false;
      await watch;
      socket.close();
    }
    expect((await call(ALICE, 'DELETE', `/api/kernels/${warmId}`)).status).toBe(204);
  }, 420_000);

  // A gateway that died leaves its unclaimed drivers (a clean stop takes them along): only their
  // lease tells a replica's from a dead gateway's.
  it("should neither adopt nor remove another gateway's pool driver while its lease runs, and sweep one whose lease has lapsed", async () => {
    await k8s.stopGateway();
    const leftover = (name: string, until: Date): V1Pod => ({
      metadata: {
        name,
        labels: {
          'app.kubernetes.io/name': 'sparkgate',
          'app.kubernetes.io/managed-by': 'sparkgate',
          'app.kubernetes.io/component': 'driver',
          [KERNEL_ID]: `${name}-0000-4000-8000-000000000000`
        },
        annotations: {
          'sparkgate.io/tenant': 'a',
          'sparkgate.io/profile': 'small',
          'sparkgate.io/kernel-name': 'small',
          'sparkgate.io/sizing': JSON.stringify({ driver: { cores: 0.5, memoryMiB: 512, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 512, gpus: 0 } }),
          'sparkgate.io/pool': 'warm',
          'sparkgate.io/pool-until': until.toISOString()
        }
      },
      spec: {
        restartPolicy: 'Never',
        securityContext: { runAsNonRoot: true, runAsUser: 185, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          { name: 'kernel', image: 'sparkgate/driver:test', command: ['sleep', '600'], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }
        ]
      }
    });
    const held = await createPod(k8s.cluster, leftover('held0001', new Date(Date.now() + 10 * 60_000)), NS);
    const lapsed = await createPod(k8s.cluster, leftover('lapsed01', new Date(Date.now() - 1000)), NS);
    await k8s.startGateway();
    // The leader sweeps at start: the lapsed one goes, the held one (same sweep) stays.
    await waitUntil(async () => !(await drivers()).some(p => p.metadata?.uid === lapsed.metadata?.uid), { timeoutMs: 60_000, what: 'the lapsed pool driver swept', intervalMs: 500 });
    expect((await drivers()).map(p => p.metadata?.uid)).toContain(held.metadata?.uid);
    const listed = (await call(ALICE, 'GET', '/api/kernels')).body as unknown as Array<{ id: string }>;
    expect(listed.map(k => k.id)).not.toContain(held.metadata!.labels![KERNEL_ID]);
    await k8s.core.deleteNamespacedPod({ name: 'held0001', namespace: NS, gracePeriodSeconds: 0 });
  }, 300_000);
});
