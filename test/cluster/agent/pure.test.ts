import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { containerArgv, entrypointFor } from './command.js';
import { DeviceAllocator, IpAllocator } from './devices.js';
import { expand, fieldValue } from './env.js';
import { MountPoints } from './mountPoints.js';
import { mountScript } from './process.js';
import { gpuRequest } from './podWorker.js';
import { buildStatus, type ContainerState } from './status.js';

const pod = (over: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'x' } },
  spec: { nodeName: 'gpu-1', containers: [{ name: 'main', image: 'img' }], ...over }
});

describe('cluster/agent (pure parts)', () => {
  it('should hand out distinct fake GPUs and refuse when too few are free', () => {
    const d = new DeviceAllocator('gpu-1', 2);
    expect(d.allocate('a', 1)).toEqual(['GPU-fake-gpu-1-0']);
    expect(d.allocate('b', 2)).toBeUndefined();
    expect(d.allocate('b', 1)).toEqual(['GPU-fake-gpu-1-1']);
    expect(d.free()).toBe(0);
    d.release('a');
    expect(d.allocate('c', 1)).toEqual(['GPU-fake-gpu-1-0']);
  });

  it('should not reuse a pod IP at once', () => {
    const ips = new IpAllocator('127.20.1');
    const a = ips.allocate();
    ips.release(a);
    expect(a).toBe('127.20.1.2');
    expect(ips.allocate()).toBe('127.20.1.3');
  });

  it('should expand $(VAR) like the kubelet', () => {
    expect(expand('$(A)-$(B)-$$(A)-$(MISSING)', { A: '1', B: '2' })).toBe('1-2-$(A)-$(MISSING)');
  });

  it('should resolve downward-API field paths', () => {
    const facts = { podIP: '127.20.2.5', hostIP: '127.0.0.1', allocatable: {} };
    expect(fieldValue(pod(), { fieldPath: 'status.podIP' }, facts)).toBe('127.20.2.5');
    expect(fieldValue(pod(), { fieldPath: "metadata.labels['app']" }, facts)).toBe('x');
    expect(fieldValue(pod(), { fieldPath: 'spec.nodeName' }, facts)).toBe('gpu-1');
  });

  it('should find image entrypoints by full reference, then without tag', () => {
    const map = { 'sparkgate/executor': ['/x/entry.sh'] };
    expect(entrypointFor('sparkgate/executor:1.2@sha256:abc', map)).toEqual(['/x/entry.sh']);
    expect(entrypointFor('localhost:5000/other', map)).toBeUndefined();
    expect(containerArgv({ name: 'c', image: 'sparkgate/executor:1', args: ['executor'] }, map, {})).toEqual(['/x/entry.sh', 'executor']);
    expect(containerArgv({ name: 'c', image: 'nope', args: ['executor'] }, map, {})).toBeUndefined();
  });

  it('should count GPUs over containers, at least the largest init container', () => {
    const g = (n: number) => ({ limits: { 'nvidia.com/gpu': String(n) } });
    expect(gpuRequest(pod({ containers: [{ name: 'a', resources: g(1) }, { name: 'b', resources: g(2) }] }))).toBe(3);
    expect(gpuRequest(pod({ initContainers: [{ name: 'i', resources: g(4) }] }))).toBe(4);
    expect(gpuRequest(pod())).toBe(0);
  });

  it('should bind mounts read-only when asked and exec the argv', () => {
    const s = mountScript({ mounts: [{ source: '/v/conf', target: '/opt/spark/conf', readOnly: true }] }, '/pod');
    expect(s).toContain("mount --bind '/v/conf' '/opt/spark/conf'");
    expect(s).toContain("mount -o remount,bind,ro '/opt/spark/conf'");
    expect(s.trimEnd().endsWith('exec "$@"')).toBe(true);
  });

  it('should derive phase and conditions from container states', () => {
    const done: ContainerState = { name: 'main', image: 'img', restartCount: 0, state: { kind: 'terminated', exitCode: 2, reason: 'Error', finishedAt: new Date(0) } };
    const facts = { podIP: '127.20.1.2', hostIP: '127.0.0.1', startTime: new Date(0), initDone: true };
    const failed = buildStatus(pod({ restartPolicy: 'Never' }), [], [done], facts, new Date(0));
    expect(failed.phase).toBe('Failed');
    expect(failed.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('PodCompleted');
    const running: ContainerState = { ...done, state: { kind: 'running', startedAt: new Date(0) } };
    const ok = buildStatus(pod(), [], [running], facts, new Date(0));
    expect(ok.phase).toBe('Running');
    expect(ok.conditions?.filter((c) => c.status === 'True').map((c) => c.type).sort()).toEqual([
      'ContainersReady',
      'Initialized',
      'PodReadyToStartContainers',
      'Ready'
    ]);
  });

  it('should remove only the mount points it created, when the last pod lets go', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'mountpoints-'));
    try {
      mkdirSync(path.join(root, 'existing'));
      const mp = new MountPoints();
      const m = (target: string) => ({ source: root, target: path.join(root, target), readOnly: false });
      const a = mp.acquire([m('existing/a/conf')]);
      const b = mp.acquire([m('existing/a/other')]);
      mp.release(a);
      expect(existsSync(path.join(root, 'existing/a/conf'))).toBe(false);
      expect(existsSync(path.join(root, 'existing/a/other'))).toBe(true);
      mp.release(b);
      expect(existsSync(path.join(root, 'existing/a'))).toBe(false);
      expect(existsSync(path.join(root, 'existing'))).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
