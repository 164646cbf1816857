/**
 * A tenant whose namespace the gateway cannot watch (here: the namespace, and so the gateway's
 * RoleBinding in it, does not exist) on the real control plane: the gateway starts and serves the
 * other tenants, logs one error naming the namespace, fails launches there at once with that
 * message, and launches there again as soon as the platform team applies the tenant.
 */
import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../server/src/log.js';
import { holdsWithin } from '../support/waitFor.js';
import { applyTenant } from './harness/index.js';
import { KUBERNETES_SECTION } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const ALICE = 'alice-token-0123456789abcdef';
const GHOST = 'ghost-token-0123456789abcdef';
const START_TIMEOUT_S = 120;

const CONFIG = `
users:
  - { name: alice, tenant: a, token: ${ALICE} }
  - { name: casper, tenant: ghost, token: ${GHOST} }
tenants:
  a: { namespace: tenant-a }
  ghost: { namespace: tenant-ghost }
profiles:
  python:
    displayName: Python in a driver pod, no Spark
    spark: false
    driver: { cores: 0.5, memory: 512m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
kernels: { startTimeoutSeconds: ${START_TIMEOUT_S}, shutdownGraceSeconds: 5 }
${KUBERNETES_SECTION}`;

const GHOST_FORBIDDEN = new RegExp(
  '^cannot watch pods in namespace tenant-ghost: forbidden: pods is forbidden: User "system:serviceaccount:sparkgate:sparkgate" ' +
    'cannot list resource "pods" in API group "" in the namespace "tenant-ghost"; ' +
    "the namespace may not exist or may lack the gateway's RoleBinding \\(apply images/deploy/tenant\\.yaml for it\\)$"
);

describe('cluster/pod watch failures', () => {
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
  // Only tenant-a is applied: tenant-ghost has no namespace and so no gateway RoleBinding.
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }], gateway: { config: CONFIG, tenants: { 'tenant-a': {} }, logger } });
  const { call } = k8s;

  const podWatchLines = (level: string) => log.filter(l => l.component === 'podWatch' && l.level === level);

  it('should start, serve, and log one error naming the namespace it cannot watch', async () => {
    expect((await call(ALICE, 'GET', '/api/kernels')).status).toBe(200);
    expect((await call(GHOST, 'GET', '/api/kernels')).status).toBe(200);
    const errors = podWatchLines('error');
    expect(errors.map(l => l.namespace)).toEqual(['tenant-ghost']);
    expect(errors[0]?.message).toMatch(GHOST_FORBIDDEN);
  });

  it('should fail a launch in that namespace at once with the same message, not at the start timeout', async () => {
    const t0 = Date.now();
    const res = await call(GHOST, 'POST', '/api/kernels', { name: 'python' });
    const elapsedMs = Date.now() - t0;
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(GHOST_FORBIDDEN);
    expect(elapsedMs).toBeLessThan(5_000);
    expect((await call(GHOST, 'GET', '/api/kernels')).body).toEqual([]);
    // Retries and failed launches log no further errors.
    expect(podWatchLines('error')).toHaveLength(1);
  });

  it('should launch a kernel in the healthy tenant', async () => {
    const res = await call(ALICE, 'POST', '/api/kernels', { name: 'python' });
    expect({ status: res.status, message: res.body.message }).toEqual({ status: 201, message: undefined });
    expect(res.body.execution_state).toBe('idle');
    expect((await call(ALICE, 'DELETE', `/api/kernels/${res.body.id}`)).status).toBe(204);
  }, 180_000);

  it('should launch in that namespace once the platform team applies the tenant', async () => {
    await applyTenant(k8s.cluster, { namespace: 'tenant-ghost', withGatewayRole: false });
    // The next launch tries the watch again at once (at most once a second), not after the back-off.
    const launch = () => call(GHOST, 'POST', '/api/kernels', { name: 'python' });
    const refused = (r: Awaited<ReturnType<typeof launch>>): boolean => r.status === 503 && GHOST_FORBIDDEN.test(String(r.body.message));
    let res = await launch();
    if (refused(res)) {
      await holdsWithin(async () => !refused((res = await launch())), { timeoutMs: 10_000, intervalMs: 250 });
    }
    expect({ status: res.status, message: res.body.message }).toEqual({ status: 201, message: undefined });
    const pods = await k8s.core.listNamespacedPod({ namespace: 'tenant-ghost', labelSelector: `sparkgate.io/kernel-id=${res.body.id}` });
    expect(pods.items.map(p => p.metadata?.labels?.['app.kubernetes.io/component'])).toEqual(['driver']);
    expect(podWatchLines('info').map(l => [l.message, l.namespace])).toContainEqual(['pod watch established', 'tenant-ghost']);
    expect(podWatchLines('error')).toHaveLength(1);
    expect((await call(GHOST, 'DELETE', `/api/kernels/${res.body.id}`)).status).toBe(204);
  }, 180_000);
});
