import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:net';
import type { V1Probe } from '@kubernetes/client-node';

/** Where a probe runs: the pod's IP for network probes, the container's process for exec probes. */
export interface ProbeTarget {
  podIP: string;
  /** Container process id; exec probes enter its mount namespace. */
  pid: number;
  env: Record<string, string>;
}

const port = (p: number | string | undefined): number => Number(p);

/**
 * Runs one probe attempt like the kubelet: exec (exit 0, inside the container's mount namespace
 * via nsenter), tcpSocket (connect to the pod IP), httpGet (2xx/3xx from the pod IP).
 * Named ports are not supported. Resolves false on failure or after timeoutSeconds.
 */
export function runProbe(probe: V1Probe, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1_000;
  if (probe.exec) {
    return new Promise((resolve) => {
      execFile('nsenter', ['-t', String(target.pid), '-m', '--', ...(probe.exec?.command ?? [])], { env: target.env, timeout: timeoutMs }, (err) =>
        resolve(!err)
      );
    });
  }
  if (probe.tcpSocket) {
    return new Promise((resolve) => {
      const sock = connect({ host: probe.tcpSocket?.host ?? target.podIP, port: port(probe.tcpSocket?.port), timeout: timeoutMs });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('timeout', () => {
        sock.destroy();
        resolve(false);
      });
      sock.once('error', () => resolve(false));
    });
  }
  if (probe.httpGet) {
    const g = probe.httpGet;
    return new Promise((resolve) => {
      const req = request({ host: g.host ?? target.podIP, port: port(g.port), path: g.path ?? '/', timeout: timeoutMs }, (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
      });
      req.once('timeout', () => req.destroy());
      req.once('error', () => resolve(false));
      req.end();
    });
  }
  return Promise.resolve(true);
}

/**
 * Runs a readinessProbe until `signal` aborts, with the kubelet's timing (initialDelaySeconds,
 * periodSeconds) and thresholds (successThreshold, failureThreshold); calls `onChange` whenever
 * readiness flips. Starts not ready.
 */
export async function watchReadiness(probe: V1Probe, target: ProbeTarget, signal: AbortSignal, onChange: (ready: boolean) => void): Promise<void> {
  const pause = (s: number): Promise<unknown> => sleep(s * 1_000, undefined, { signal }).catch(() => undefined);
  let ready = false;
  let ok = 0;
  let bad = 0;
  await pause(probe.initialDelaySeconds ?? 0);
  while (!signal.aborted) {
    const passed = await runProbe(probe, target);
    if (signal.aborted) {
      return;
    }
    ok = passed ? ok + 1 : 0;
    bad = passed ? 0 : bad + 1;
    const next: boolean = ready ? bad < (probe.failureThreshold ?? 3) : ok >= (probe.successThreshold ?? 1);
    if (next !== ready) {
      ready = next;
      onChange(ready);
    }
    await pause(probe.periodSeconds ?? 10);
  }
}
