/**
 * Launch/delete cycles on the real control plane (issue 13, item 5): clusters launched in the
 * background and shut down, every third one while its launch is still under way, leave no pod,
 * Secret, Service or NetworkPolicy behind. The reaper sweeps every 5 s meanwhile (grace 20 s),
 * so the test also shows it never takes a kernel that is starting or running.
 */
import { describe, expect, it } from '@jest/globals';
import { NetworkingV1Api } from '@kubernetes/client-node';
import { createLogger } from '../../server/src/log.js';
import { waitUntil } from '../support/waitFor.js';
import { shellPod } from './harness/index.js';
import { restrictedPod } from './harness/apply.js';
import { KUBERNETES_SECTION } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const ALICE = 'alice-token-0123456789abcdef';
const NS = 'tenant-a';
const MANAGED = 'app.kubernetes.io/managed-by=sparkgate';
/** Cycles in all, and how many run at once (2 cores: more would only queue behind the CPU). */
const CYCLES = Number(process.env.SPARKGATE_CYCLES ?? 100);
const PARALLEL = 5;

const CONFIG = `
users:
  - { name: alice, tenant: a, token: ${ALICE} }
tenants:
  a: { namespace: ${NS}, limits: { cores: 64, memory: 64g } }
profiles:
  python:
    displayName: Python in a driver pod, no Spark
    spark: false
    driver: { cores: 0.1, memory: 128m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
kernels: { startTimeoutSeconds: 120, shutdownGraceSeconds: 2 }
${KUBERNETES_SECTION}  reapIntervalSeconds: 5
  orphanGraceSeconds: 20
`;

describe('cluster/launch-delete cycles', () => {
  const log: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    write: line => {
      log.push(JSON.parse(line) as Record<string, unknown>);
      if (process.env.SPARKGATE_TEST_LOG) {
        process.stderr.write(line + '\n');
      }
    }
  });
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }], gateway: { config: CONFIG, tenants: { [NS]: {} }, logger } });
  const { call } = k8s;

  const leftovers = async (): Promise<Record<string, string[]>> => {
    const networking = k8s.cluster.kubeConfig.makeApiClient(NetworkingV1Api);
    const names = (items: Array<{ metadata?: { name?: string } }>) => items.map(i => i.metadata?.name ?? '');
    const [pods, secrets, services, policies] = await Promise.all([
      k8s.core.listNamespacedPod({ namespace: NS, labelSelector: MANAGED }),
      k8s.core.listNamespacedSecret({ namespace: NS, labelSelector: MANAGED }),
      k8s.core.listNamespacedService({ namespace: NS, labelSelector: MANAGED }),
      networking.listNamespacedNetworkPolicy({ namespace: NS, labelSelector: MANAGED })
    ]);
    return { pods: names(pods.items), secrets: names(secrets.items), services: names(services.items), networkPolicies: names(policies.items) };
  };
  const empty = { pods: [], secrets: [], services: [], networkPolicies: [] };

  it(`should leave nothing behind after ${CYCLES} launch/delete cycles, a third of them deleted mid-launch`, async () => {
    const started = Date.now();
    const outcomes = { ready: 0, midLaunch: 0, failed: [] as string[] };
    const cycle = async (n: number): Promise<void> => {
      const res = await call(ALICE, 'POST', '/api/clusters', { profile: 'python' });
      expect(res.status).toBe(201);
      const id = res.body.id as string;
      if (n % 3 === 0) {
        outcomes.midLaunch++;
      } else {
        const state = await waitUntil(
          async () => {
            const s = (await call(ALICE, 'GET', `/api/kernels/${id}`)).body.execution_state as string;
            return s === 'idle' || s === 'dead' ? s : undefined;
          },
          { timeoutMs: 120_000, what: `kernel ${id} up`, intervalMs: 250 }
        );
        if (state === 'dead') {
          outcomes.failed.push(`${id}: ${(await call(ALICE, 'GET', `/api/kernels/${id}`)).body.reason}`);
        } else {
          outcomes.ready++;
        }
      }
      expect((await call(ALICE, 'DELETE', `/api/clusters/${id}`)).status).toBe(204);
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < CYCLES) {
          await cycle(next++);
        }
      })
    );
    const cyclesMs = Date.now() - started;
    expect(outcomes.failed).toEqual([]);
    expect((await call(ALICE, 'GET', '/api/kernels')).body).toEqual([]);
    // Garbage collection (ownerReferences) and the kubelet's final deletes take a moment.
    const since = Date.now();
    let left = await leftovers();
    await waitUntil(async () => JSON.stringify((left = await leftovers())) === JSON.stringify(empty), { timeoutMs: 90_000, what: 'nothing left', intervalMs: 500 }).catch(
      () => undefined
    );
    const swept = log.filter(l => l.component === 'reaper' && l.message === 'orphan removed');
    process.stderr.write(
      `cycles: ${CYCLES} in ${cyclesMs} ms (${outcomes.ready} ready, ${outcomes.midLaunch} deleted mid-launch); ` +
        `left ${JSON.stringify(left)} ${Date.now() - since} ms after the last delete; reaper removed ${swept.length}\n`
    );
    expect(left).toEqual(empty);
  }, 900_000);

  it('should reap a driver pod no kernel record knows and nobody can adopt, once past the grace, and log what and why', async () => {
    const name = 'sg-orphan-by-hand';
    // As a crashed launch of an older gateway might leave it: a driver pod without sparkgate's annotations.
    await k8s.core.createNamespacedPod({
      namespace: NS,
      body: restrictedPod(shellPod(name, 'sleep 3600', {
        metadata: {
          labels: {
            'app.kubernetes.io/managed-by': 'sparkgate',
            'app.kubernetes.io/component': 'driver',
            'sparkgate.io/kernel-id': '00000000-0000-4000-8000-00000000dead'
          }
        }
      }))
    });
    const since = Date.now();
    const line = await waitUntil(() => log.find(l => l.component === 'reaper' && l.message === 'orphan removed' && l.name === name), {
      timeoutMs: 60_000,
      what: 'the reaper removing the orphan',
      intervalMs: 250
    });
    process.stderr.write(`cycles: hand-made orphan reaped ${Date.now() - since} ms after creation (grace 20 s, sweeps every 5 s)\n`);
    expect(line).toMatchObject({ level: 'warn', kind: 'Pod', namespace: NS, reason: expect.stringMatching(/^driver pod without a kernel record whose labels cannot be read/) });
    await waitUntil(async () => JSON.stringify(await leftovers()) === JSON.stringify(empty), { timeoutMs: 30_000, what: 'the orphan gone' });
  }, 120_000);
});
