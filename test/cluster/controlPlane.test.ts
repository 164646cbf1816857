import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { DiscoveryV1Api, VersionApi } from '@kubernetes/client-node';
import { useCluster } from './support/useCluster.js';
import { startComponent } from './harness/component.js';
import { ComponentStartError } from './harness/errors.js';

/** Local addresses (ip:port) of TCP listeners owned by `pid`, from `ss`. */
function listeners(pid: number): string[] {
  const out = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => l.trim().split(/\s+/)[3]);
}

/** Peer addresses (ip:port) of established TCP connections owned by `pid`, from `ss`. */
function peers(pid: number): string[] {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => l.trim().split(/\s+/)[3]);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('cluster/harness', () => {
  const k8s = useCluster({ nodes: [{ name: 'cpu-1' }] });

  it('should serve the pinned Kubernetes version on 127.0.0.1', async () => {
    const version = await k8s.cluster.kubeConfig.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe('v1.36.3');
    expect(k8s.cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('should give the kubernetes Service no endpoint off loopback', async () => {
    const discovery = k8s.cluster.kubeConfig.makeApiClient(DiscoveryV1Api);
    // Endpoints validation forbids 127.0.0.0/8, so with the reconciler off there are none at all:
    // nothing can route to a non-loopback address; pods get KUBERNETES_SERVICE_HOST=127.0.0.1.
    const slices = await discovery.listNamespacedEndpointSlice({ namespace: 'default' });
    expect(slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses))).toEqual([]);
    const eps = await k8s.core.listNamespacedEndpoints({ namespace: 'default' });
    expect(eps.items.flatMap((e) => e.subsets ?? [])).toEqual([]);
    const svc = await k8s.core.readNamespacedService({ name: 'kubernetes', namespace: 'default' });
    expect(svc.spec?.clusterIP).toBe('10.0.0.1'); // allocated, never dialled
  });

  it('should bind every control-plane listener to a 127.x address', () => {
    const pids = execFileSync('pgrep', ['-f', k8s.cluster.dir], { encoding: 'utf8' }).trim().split('\n').map(Number);
    const addrs = pids.flatMap(listeners);
    expect(addrs.length).toBeGreaterThanOrEqual(5); // etcd client + peer, apiserver, KCM, scheduler
    for (const a of addrs) {
      expect(a).toMatch(/^127\.\d+\.\d+\.\d+:\d+$/);
    }
  });

  it('should connect only to 127.x addresses', () => {
    const pids = execFileSync('pgrep', ['-f', k8s.cluster.dir], { encoding: 'utf8' }).trim().split('\n').map(Number);
    const addrs = pids.flatMap(peers);
    expect(addrs.length).toBeGreaterThan(0); // controllers and scheduler watch the API server, which talks to etcd
    for (const a of addrs) {
      expect(a).toMatch(/^127\.\d+\.\d+\.\d+:\d+$/);
    }
  });

  it('should name a component that fails to start and show its log tail', async () => {
    const err = await startComponent({
      name: 'kube-broken',
      command: 'sh',
      args: ['-c', 'echo "flag provided but not defined: -bogus"; exit 3'],
      logFile: `${k8s.cluster.dir}/logs/kube-broken.log`,
      probe: async () => false,
      timeoutMs: 10_000
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComponentStartError);
    expect((err as Error).message).toContain('kube-broken failed to start: exited with 3');
    expect((err as Error).message).toContain('flag provided but not defined: -bogus');
  });

  it('should leave no process and no files after stop', async () => {
    const pids = execFileSync('pgrep', ['-f', k8s.cluster.dir], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(4);
    await k8s.cluster.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(k8s.cluster.dir)).toBe(false);
  }, 60_000);
});
