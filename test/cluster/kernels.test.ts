/**
 * The Kubernetes backend on the real control plane: kernels are Spark client-mode driver pods,
 * Spark creates GPU executor pods, and tenants stay apart. Pods run the images' own files
 * (images/bin/entrypoint.sh, images/kernel/sparkgate_launcher.py, images/bin/gpu-discovery.sh).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { NetworkingV1Api, type V1Pod } from '@kubernetes/client-node';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { useCluster } from './support/useCluster.js';
import { KUBERNETES_SECTION, settle } from './support/sparkgate.js';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef';
const KERNEL_ID = 'sparkgate.io/kernel-id';

const CONFIG = `
users:
  - { name: alice, tenant: a, token: ${ALICE} }
  - { name: bob, tenant: b, token: ${BOB} }
tenants:
  a: { namespace: tenant-a, limits: { gpus: 12, cores: 32, memory: 64g } }
  b: { namespace: tenant-b, limits: { gpus: 2, cores: 8, memory: 16g }, profiles: [small] }
profiles:
  gpu:
    displayName: PySpark on GPUs
    driver: { cores: 0.5, memory: 768m, gpus: 1 }
    executors: { count: 2, cores: 1, memory: 512m, gpus: 1 }
  small:
    displayName: PySpark, driver only
    driver: { cores: 0.5, memory: 512m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
  huge-gpu:
    displayName: More GPUs than any node has
    driver: { cores: 0.5, memory: 512m, gpus: 8 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
  too-big:
    displayName: Over tenant a's GPU limit
    driver: { cores: 0.5, memory: 512m, gpus: 13 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
kernels: { startTimeoutSeconds: 240, shutdownGraceSeconds: 10 }
${KUBERNETES_SECTION}`;

/** Asserts an HTTP status, showing the gateway's message when it differs. */
function expectStatus(res: { status: number; body: unknown }, status: number): void {
  expect({ status: res.status, body: res.status === status ? 'ok' : res.body }).toEqual({ status, body: 'ok' });
}

describe('cluster/kubernetes backend', () => {
  const k8s = useCluster({
    nodes: [{ name: 'cpu-1' }, { name: 'gpu-1', gpus: 3 }],
    gateway: { config: CONFIG, tenants: { 'tenant-a': { gpuQuota: 16 }, 'tenant-b': { gpuQuota: 2 } } }
  });
  const { call } = k8s;
  let aliceKernel = '';

  const podsOf = async (namespace: string, kernelId?: string, component?: string): Promise<V1Pod[]> => {
    const selector = [kernelId ? `${KERNEL_ID}=${kernelId}` : 'app.kubernetes.io/managed-by=sparkgate', component ? `app.kubernetes.io/component=${component}` : '']
      .filter(Boolean)
      .join(',');
    return (await k8s.core.listNamespacedPod({ namespace, labelSelector: selector })).items;
  };
  /** The end of a kernel's driver log (the node agent's file), to show why a cell failed. */
  const driverLog = async (kernelId: string): Promise<string> => {
    const [pod] = await podsOf('tenant-a', kernelId, 'driver');
    const text = pod ? await readFile(k8s.cluster.agent.logFile('tenant-a', pod.metadata!.name!, 'kernel'), 'utf8').catch(() => '') : '';
    return text.split('\n').slice(-40).join('\n');
  };
  const execute = async (token: string, kernelId: string, code: string, timeoutMs = 240_000) => {
    const socket = await KernelSocket.open(k8s.gw.wsUrl, kernelId, token);
    try {
      return await socket.execute(code, timeoutMs);
    } finally {
      socket.close();
    }
  };

  it('should refuse an over-limit launch before creating anything, naming the limit', async () => {
    const res = await call(ALICE, 'POST', '/api/kernels', { name: 'too-big' });
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/GPUs/);
    expect(res.body.message).toMatch(/13/);
    expect(res.body.message).toMatch(/12/);
    expect(await podsOf('tenant-a')).toHaveLength(0);
  });

  it("should fail an unschedulable launch at once with the scheduler's reason and leave nothing behind", async () => {
    const res = await call(ALICE, 'POST', '/api/kernels', { name: 'huge-gpu' });
    // 503 with the scheduler's words, not the 504 of the 240 s start timeout.
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/0\/2 nodes are available: .*Insufficient nvidia\.com\/gpu/);
    expect(await settle(async () => (await k8s.core.listNamespacedPod({ namespace: 'tenant-a' })).items.length, 0, 30_000)).toBe(0);
    expect((await call(ALICE, 'GET', '/api/kernels')).body).toEqual([]);
  }, 60_000);

  it('should run a GPU-profile kernel as a driver pod on the GPU node that answers 1+1', async () => {
    const res = await call(ALICE, 'POST', '/api/kernels', { name: 'gpu' });
    expectStatus(res, 201);
    aliceKernel = res.body.id;
    const [driver] = await podsOf('tenant-a', aliceKernel, 'driver');
    expect(driver).toBeDefined();
    const pod = driver!;
    expect(pod.spec?.nodeName).toBe('gpu-1');
    expect(pod.spec?.containers[0]?.resources?.limits?.['nvidia.com/gpu']).toBe('1');
    expect(pod.spec?.serviceAccountName).toBe('sparkgate-kernel');
    expect(pod.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 185 });
    expect(pod.spec?.containers[0]?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.metadata?.annotations).toMatchObject({ 'sparkgate.io/user': 'alice', 'sparkgate.io/tenant': 'a', 'sparkgate.io/profile': 'gpu' });
    expect(JSON.parse(pod.metadata?.annotations?.['sparkgate.io/sizing'] ?? '{}')).toMatchObject({ driver: { gpus: 1 }, executors: { count: 2 } });

    // The key lives only in the kernel's Secret, which the pod owns.
    const secret = await k8s.core.readNamespacedSecret({ name: pod.metadata!.name!, namespace: 'tenant-a' });
    expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Pod', uid: pod.metadata?.uid });
    const key = JSON.parse(Buffer.from(secret.data!['connection.json']!, 'base64').toString()).key as string;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(pod)).not.toContain(key);
    const service = await k8s.core.readNamespacedService({ name: pod.metadata!.name!, namespace: 'tenant-a' });
    expect(service.spec?.clusterIP).toBe('None');
    const policies = await k8s.cluster.kubeConfig.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: 'tenant-a' });
    const own = policies.items.find(p => p.metadata?.name === `${pod.metadata!.name}-own`);
    // Only the kernel's own pods may reach its Spark ports (the API server stored the `from`; issue 10).
    expect(own?.spec?.ingress?.[0]?._from).toEqual([{ podSelector: { matchLabels: { [KERNEL_ID]: aliceKernel } } }]);

    const run = await execute(ALICE, aliceKernel, '1+1');
    expect(run.result).toBe('2');
    expect(run.reply.content.status).toBe('ok');
  }, 300_000);

  it('should run Spark jobs, a Python UDF among them, on two GPU executor pods owned by the driver pod', async () => {
    const code = `
import os, time
from pyspark import TaskContext
from pyspark.sql.functions import udf
deadline = time.time() + 180
while len(sc._jsc.sc().statusTracker().getExecutorInfos()) < 3 and time.time() < deadline:
    time.sleep(1)
print("count", spark.range(10**6).count())
host = udf(lambda x: os.environ.get("HOSTNAME", "?") + ":" + str(x * 2))
rows = spark.range(0, 40, 1, 8).select(host("id").alias("h")).collect()
print("udf", len(rows), sorted({r.h.split(":")[0] for r in rows}))
print("doubled", sum(int(r.h.split(":")[1]) for r in rows))
gpus = sc.parallelize(range(8), 8).map(lambda _: (os.environ.get("HOSTNAME"), tuple(TaskContext.get().resources()["gpu"].addresses))).distinct().collect()
for h, a in sorted(gpus):
    print("gpu", h, ",".join(a))
`;
    const run = await execute(ALICE, aliceKernel, code, 400_000);
    expect([run.reply.content.status, run.reply.content.evalue ?? 'no error', run.reply.content.status === 'ok' ? '' : await driverLog(aliceKernel)]).toEqual([
      'ok',
      'no error',
      ''
    ]);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toContain('count 1000000');
    expect(lines).toContain(`doubled ${2 * ((39 * 40) / 2)}`);

    const executors = await podsOf('tenant-a', aliceKernel, 'executor');
    const [driver] = await podsOf('tenant-a', aliceKernel, 'driver');
    expect(executors.length).toBeGreaterThanOrEqual(2);
    for (const pod of executors) {
      expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Pod', name: driver!.metadata!.name, uid: driver!.metadata!.uid });
      expect(pod.metadata?.labels?.['spark-role']).toBe('executor');
      expect(pod.spec?.containers[0]?.resources?.limits?.['nvidia.com/gpu']).toBe('1');
      expect(pod.spec?.nodeName).toBe('gpu-1');
      expect(pod.spec?.serviceAccountName).toBe('sparkgate-executor');
      expect(pod.spec?.automountServiceAccountToken).toBe(false);
    }
    const names = executors.map(p => p.metadata!.name!);
    const udfHosts = JSON.parse((lines.find(l => l.startsWith('udf 40 ')) ?? 'udf 0 []').slice(7).replace(/'/g, '"')) as string[];
    expect(udfHosts.length).toBeGreaterThanOrEqual(2);
    for (const h of udfHosts) {
      expect(names).toContain(h);
    }
    // Each executor sees the GPU the node agent gave its pod, and no two share one.
    const gpuLines = lines.filter(l => l.startsWith('gpu '));
    expect(gpuLines.length).toBeGreaterThanOrEqual(2);
    const addresses = gpuLines.map(l => l.split(' ')[2]);
    for (const a of addresses) {
      expect(a).toMatch(/^GPU-fake-gpu-1-\d$/);
    }
    expect(new Set(gpuLines.map(l => l.split(' ')[1])).size).toBe(gpuLines.length);
    expect(new Set(addresses).size).toBe(addresses.length);

    // What the panel and the notebook widget show.
    const cluster = await call(ALICE, 'GET', `/api/clusters/${aliceKernel}`);
    expect(cluster.body.executors).toMatchObject({ ready: 2, pending: 0, desired: 2 });
    expect(cluster.body.gpus.held).toBe(3);
  }, 500_000);

  it("should serve the driver pod's Spark UI and cancel a running Spark job on interrupt", async () => {
    const headers = { Authorization: `token ${ALICE}` };
    const apps = (await (await fetch(`${k8s.gw.url}/ui/${aliceKernel}/api/v1/applications`, { headers })).json()) as { id: string; name: string }[];
    expect(apps[0]?.name).toBe(`sparkgate-alice-${aliceKernel.slice(0, 8)}`);
    const runningJobs = async () =>
      ((await (await fetch(`${k8s.gw.url}/ui/${aliceKernel}/api/v1/applications/${apps[0]!.id}/jobs?status=running`, { headers })).json()) as unknown[]).length;
    const socket = await KernelSocket.open(k8s.gw.wsUrl, aliceKernel, ALICE);
    try {
      // Long enough to be interrupted mid-job on the executors; nothing ANSI mode would fail fast on.
      const running = socket.execute('spark.range(0, 10**12, numPartitions=4).selectExpr("sum(id % 7)").collect()', 240_000);
      expect(await settle(async () => (await runningJobs()) > 0, true, 120_000)).toBe(true);
      expect((await call(ALICE, 'POST', `/api/kernels/${aliceKernel}/interrupt`, {})).status).toBe(204);
      const run = await running;
      expect(run.reply.content.status).toBe('error');
      expect(['KeyboardInterrupt', 'Py4JJavaError', 'SparkException', 'IllegalStateException']).toContain(run.reply.content.ename);
      expect(await settle(runningJobs, 0, 30_000)).toBe(0);
      expect((await socket.execute('spark.range(10).count()', 120_000)).result).toBe('10');
    } finally {
      socket.close();
    }
  }, 400_000);

  it("should keep tenant b away from tenant a's kernel, and b's driver away from a's pods", async () => {
    expect((await call(BOB, 'GET', `/api/kernels/${aliceKernel}`)).status).toBe(404);
    expect((await call(BOB, 'DELETE', `/api/kernels/${aliceKernel}`)).status).toBe(404);
    expect((await call(BOB, 'POST', `/api/kernels/${aliceKernel}/interrupt`)).status).toBe(404);
    await expect(KernelSocket.open(k8s.gw.wsUrl, aliceKernel, BOB)).rejects.toMatchObject({ status: 404 });
    expect((await call(BOB, 'POST', '/api/kernels', { name: 'gpu' })).status).toBe(404);

    const res = await call(BOB, 'POST', '/api/kernels', { name: 'small' });
    expectStatus(res, 201);
    const bobKernel = res.body.id as string;
    const [bobDriver] = await podsOf('tenant-b', bobKernel, 'driver');
    expect(bobDriver?.metadata?.namespace).toBe('tenant-b');
    const probe = `
import os, ssl, urllib.request, urllib.error
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
ctx = ssl.create_default_context(cafile=sa + "/ca.crt")
token = open(sa + "/token").read()
base = "https://%s:%s" % (os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
for ns in ("tenant-b", "tenant-a"):
    req = urllib.request.Request(base + "/api/v1/namespaces/%s/pods" % ns, headers={"Authorization": "Bearer " + token})
    try:
        print(ns, urllib.request.urlopen(req, context=ctx).status)
    except urllib.error.HTTPError as e:
        print(ns, e.code)
`;
    const run = await execute(BOB, bobKernel, probe);
    expect(run.stdout.trim().split('\n')).toEqual(['tenant-b 200', 'tenant-a 403']);
    // Driver only: Spark runs in local mode inside the pod (Spark refuses 0 executors on Kubernetes).
    expect((await execute(BOB, bobKernel, 'spark.range(10).count()')).result).toBe('10');

    // Restart: a new driver pod under the same kernel id.
    const restarted = await call(BOB, 'POST', `/api/kernels/${bobKernel}/restart`);
    expect(restarted.status).toBe(200);
    expect(restarted.body.id).toBe(bobKernel);
    const after = (await podsOf('tenant-b', bobKernel, 'driver')).filter(p => !p.metadata?.deletionTimestamp);
    expect(after.map(p => p.metadata?.name)).not.toContain(bobDriver?.metadata?.name);
    expect((await execute(BOB, bobKernel, '6*7')).result).toBe('42');
    expect((await call(BOB, 'DELETE', `/api/kernels/${bobKernel}`)).status).toBe(204);
  }, 400_000);

  it('should find a running kernel again after a gateway restart, with its variables', async () => {
    expect((await execute(ALICE, aliceKernel, 'x = 41')).reply.content.status).toBe('ok');
    await k8s.stopGateway();
    // The pods outlive the gateway process; a new one rebuilds its table from the cluster alone.
    expect((await podsOf('tenant-a', aliceKernel, 'driver')).filter(p => !p.metadata?.deletionTimestamp)).toHaveLength(1);
    await k8s.startGateway();
    const listed = await call(ALICE, 'GET', '/api/kernels');
    expect(listed.body.map((k: { id: string }) => k.id)).toEqual([aliceKernel]);
    expect((await call(BOB, 'GET', '/api/kernels')).body).toEqual([]);
    expect((await execute(ALICE, aliceKernel, 'x + 1')).result).toBe('42');
    const cluster2 = await call(ALICE, 'GET', `/api/clusters/${aliceKernel}`);
    expect(cluster2.body).toMatchObject({ state: 'ready', executors: { ready: 2 }, gpus: { held: 3 } });
  }, 120_000);

  it('should clean up a driver whose kernel exited, without anyone deleting it, and restart it under the same id (issue 10)', async () => {
    const started = await call(BOB, 'POST', '/api/kernels', { name: 'small' });
    expectStatus(started, 201);
    const id = started.body.id as string;
    const selector = `${KERNEL_ID}=${id}`;
    const owned = async () =>
      [
        ...(await k8s.core.listNamespacedPod({ namespace: 'tenant-b', labelSelector: selector })).items.map(o => `pod/${o.metadata?.name}`),
        ...(await k8s.core.listNamespacedSecret({ namespace: 'tenant-b', labelSelector: selector })).items.map(o => `secret/${o.metadata?.name}`),
        ...(await k8s.core.listNamespacedService({ namespace: 'tenant-b', labelSelector: selector })).items.map(o => `service/${o.metadata?.name}`),
        ...(await k8s.cluster.kubeConfig.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: 'tenant-b', labelSelector: selector })).items.map(
          o => `networkpolicy/${o.metadata?.name}`
        )
      ];
    expect((await owned()).length).toBeGreaterThanOrEqual(4);

    // The driver container's main process exits, as a crash would end it.
    const socket = await KernelSocket.open(k8s.gw.wsUrl, id, BOB);
    socket.send('shell', 'execute_request', { code: 'import os; os._exit(3)', silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    await socket.waitFor(() => socket.received.some(m => m.header.msg_type === 'status' && m.content.execution_state === 'dead'), 60_000, 'dead status');
    socket.close();
    const model = await call(BOB, 'GET', `/api/kernels/${id}`);
    expect(model.body).toMatchObject({ id, execution_state: 'dead', reason: expect.stringMatching(/^kernel process ended \(3\)/) });
    // Pod, Secret, Service and NetworkPolicy go while the kernel stays listed as dead.
    expect(await settle(owned, [], 30_000)).toEqual([]);
    expect((await call(BOB, 'GET', '/api/kernels')).body.map((k: { id: string }) => k.id)).toContain(id);

    const restarted = await call(BOB, 'POST', `/api/kernels/${id}/restart`);
    expectStatus(restarted, 200);
    expect((await execute(BOB, id, '6*7')).result).toBe('42');
    expect((await call(BOB, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
    expect(await settle(owned, [], 30_000)).toEqual([]);
  }, 300_000);

  it('should remove driver, executors, Secret and Service within 30 s of deleting the kernel', async () => {
    expect((await podsOf('tenant-a', aliceKernel)).length).toBeGreaterThanOrEqual(3);
    expect((await call(ALICE, 'DELETE', `/api/kernels/${aliceKernel}`)).status).toBe(204);
    const selector = `${KERNEL_ID}=${aliceKernel}`;
    const left = async () => [
      ...(await k8s.core.listNamespacedPod({ namespace: 'tenant-a', labelSelector: selector })).items,
      ...(await k8s.core.listNamespacedSecret({ namespace: 'tenant-a', labelSelector: selector })).items,
      ...(await k8s.core.listNamespacedService({ namespace: 'tenant-a', labelSelector: selector })).items
    ];
    const remaining = await settle(async () => (await left()).map(o => o.metadata?.name), [], 30_000);
    expect(remaining).toEqual([]);
  }, 60_000);
});
