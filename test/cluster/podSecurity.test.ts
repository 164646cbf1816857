/**
 * Pod Security "restricted" (issue 14, item 4) on the test control plane, whose kube-apiserver runs
 * the built-in PodSecurity admission plugin: in a tenant namespace the Helm chart made, the driver
 * and executor pods sparkgate makes are admitted and run a Spark job, and a pod that breaks the
 * profile is refused with a message naming the violation.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { GatewayProcess } from '../support/gatewayProcess.js';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { holdsWithin, waitUntil } from '../support/waitFor.js';
import { helm, installArgs, releaseObjects, startChartGateway } from './helmbin/helm.js';
import { useCluster } from './support/useCluster.js';

const ALICE = 'alice-token-0123456789abcdef';
const GATEWAY_NS = 'sparkgate';
const TENANT_NS = 'team-a';
const KERNEL_ID = 'sparkgate.io/kernel-id';

/** A pod that passes "restricted"; each refusal case breaks exactly one thing of it. */
function compliantPod(name: string, container: Partial<V1Container> = {}, spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod {
  return {
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true, runAsUser: 185, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'main',
          image: 'sparkgate/none:test',
          command: ['/bin/sh', '-c', 'exec sleep 600'],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          ...container
        }
      ],
      ...spec
    }
  };
}

describe('cluster/pod security restricted', () => {
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }], sparkgateImages: true });
  let dir = '';
  let gw: GatewayProcess | undefined;
  const gateway = (): GatewayProcess => {
    if (!gw) {
      throw new Error('no gateway (beforeAll failed)');
    }
    return gw;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-psa-test-'));
    await helm(installArgs('sparkgate', GATEWAY_NS), { cluster: k8s.cluster });
    gw = await startChartGateway(k8s.cluster, { namespace: GATEWAY_NS, dir });
  }, 180_000);

  // useCluster's afterAll stops the control plane first, so uninstalling is the file's last test.
  afterAll(async () => {
    await gw?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  /** Creates `pod` in the tenant namespace with dryRun=All (admission runs, nothing is stored or started); resolves the refusal. */
  const refusal = async (pod: V1Pod): Promise<{ code: number; message: string }> => {
    try {
      await k8s.core.createNamespacedPod({ namespace: TENANT_NS, body: pod, dryRun: 'All' });
    } catch (err) {
      const e = err as { code?: number; body?: unknown };
      const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string } | undefined);
      return { code: e.code ?? 0, message: body?.message ?? String(err) };
    }
    return { code: 201, message: 'admitted' };
  };

  it('should label the chart-made tenant namespace restricted for enforce, audit and warn', async () => {
    const ns = await k8s.core.readNamespace({ name: TENANT_NS });
    expect(ns.metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted'
    });
    // The control case: a pod that follows the profile is admitted.
    expect(await refusal(compliantPod('follows-the-profile'))).toEqual({ code: 201, message: 'admitted' });
  }, 60_000);

  it('should admit the driver and executor pods sparkgate makes, and run a Spark job on the executors', async () => {
    const started = await fetch(`${gateway().url}/api/kernels`, {
      method: 'POST',
      headers: { Authorization: `token ${ALICE}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'pyspark' })
    });
    const body = (await started.json()) as { id?: string; message?: string };
    expect({ status: started.status, message: body.message }).toEqual({ status: 201, message: undefined });
    const kernelId = body.id!;
    const socket = await KernelSocket.open(gateway().url.replace(/^http/, 'ws'), kernelId, ALICE);
    try {
      const code = `
import os, time
deadline = time.time() + 180
while len(sc._jsc.sc().statusTracker().getExecutorInfos()) < 3 and time.time() < deadline:
    time.sleep(0.5)
hosts = sc.parallelize(range(8), 8).map(lambda _: os.environ.get("HOSTNAME")).distinct().collect()
print(sorted(hosts))
sc.parallelize(range(100), 4).map(lambda x: 2 * x).sum()`;
      const run = await socket.execute(code, 300_000);
      if (run.error) {
        // Why, from the driver's log (the node agent's file) and the tenant's events (a refused executor pod is one).
        const [driver] = (await k8s.core.listNamespacedPod({ namespace: TENANT_NS, labelSelector: `${KERNEL_ID}=${kernelId},app.kubernetes.io/component=driver` })).items;
        const log = driver ? await readFile(k8s.cluster.agent.logFile(TENANT_NS, driver.metadata!.name!, 'kernel'), 'utf8').catch(() => '') : '';
        const events = (await k8s.core.listNamespacedEvent({ namespace: TENANT_NS })).items.filter(e => e.type === 'Warning').map(e => `${e.reason}: ${e.message}`);
        throw new Error(`${run.error.split('\n')[0]}\nwarning events:\n${events.join('\n')}\ndriver log:\n${log.split('\n').filter(l => /ERROR|WARN|Exception|forbidden/.test(l)).slice(-20).join('\n')}`);
      }
      expect(run.reply.content.status).toBe('ok');
      expect(run.result).toBe('9900');
      // The tasks ran in the executor pods (their HOSTNAME is the pod name).
      expect(run.stdout).toMatch(/-exec-1/);
    } finally {
      socket.close();
    }
    const pods = (await k8s.core.listNamespacedPod({ namespace: TENANT_NS, labelSelector: `${KERNEL_ID}=${kernelId}` })).items;
    const byRole = (role: string) => pods.filter(p => p.metadata?.labels?.['app.kubernetes.io/component'] === role || p.metadata?.labels?.['spark-role'] === role);
    expect(byRole('driver').map(p => p.status?.phase)).toEqual(['Running']);
    expect(byRole('executor').map(p => p.status?.phase)).toEqual(['Running', 'Running']);
    const del = await fetch(`${gateway().url}/api/kernels/${kernelId}`, { method: 'DELETE', headers: { Authorization: `token ${ALICE}` } });
    expect(del.status).toBe(204);
    await waitUntil(async () => (await k8s.core.listNamespacedPod({ namespace: TENANT_NS })).items.length === 0, {
      timeoutMs: 90_000,
      intervalMs: 500,
      what: 'the kernel pods gone'
    });
  }, 420_000);

  it('should refuse a pod that runs as root, naming runAsUser=0', async () => {
    const { code, message } = await refusal(compliantPod('as-root', {}, { securityContext: { runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } } }));
    expect(code).toBe(403);
    expect(message).toContain('violates PodSecurity "restricted:latest"');
    expect(message).toContain('runAsUser=0');
    expect(message).toContain('runAsNonRoot != true');
  }, 60_000);

  it('should refuse a container that allows privilege escalation, naming it', async () => {
    const { code, message } = await refusal(
      compliantPod('escalates', { securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: ['ALL'] } } })
    );
    expect(code).toBe(403);
    expect(message).toContain('violates PodSecurity "restricted:latest"');
    expect(message).toContain('allowPrivilegeEscalation != false (container "main" must set securityContext.allowPrivilegeEscalation=false)');
  }, 60_000);

  it('should refuse a hostPath volume, naming it', async () => {
    const { code, message } = await refusal(
      compliantPod('host-path', { volumeMounts: [{ name: 'host', mountPath: '/host' }] }, { volumes: [{ name: 'host', hostPath: { path: '/etc' } }] })
    );
    expect(code).toBe(403);
    expect(message).toContain('violates PodSecurity "restricted:latest"');
    expect(message).toContain('restricted volume types (volume "host" uses restricted volume type "hostPath")');
  }, 60_000);

  it('should uninstall, leaving nothing of the release', async () => {
    await gateway().stop();
    await helm(['uninstall', 'sparkgate', '--namespace', GATEWAY_NS, '--wait', '--timeout', '120s'], { cluster: k8s.cluster, timeoutMs: 150_000 });
    let left: string[] = [];
    await holdsWithin(async () => (left = await releaseObjects(k8s.cluster, 'sparkgate')).length === 0, { timeoutMs: 120_000, intervalMs: 1000 });
    expect(left).toEqual([]);
  }, 300_000);
});
