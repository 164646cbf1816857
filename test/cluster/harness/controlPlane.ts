import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startComponent, type Component } from './component.js';
import { ComponentStartError } from './errors.js';
import { get } from './http.js';
import { writeKubeconfig } from './kubeconfig.js';
import type { ClusterPki } from './pki.js';
import { freePorts } from './ports.js';

/** Inputs of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** The k8sbin multi-call binary. */
  binary: string;
  /** Working folder: data, certificates, kubeconfigs, logs. */
  dir: string;
  pki: ClusterPki;
  /** Bound on each component's start, in ms. */
  timeoutMs: number;
  log: (line: string) => void;
  /** kube-controller-manager's `--node-monitor-grace-period` in seconds (watched every second then). Default: its own (50 s). */
  nodeMonitorGracePeriodSeconds?: number;
  /** Extra kube-apiserver flags, appended. Default none. */
  apiServerArgs?: string[];
}

/** A running control plane. Components are listed in start order. */
export interface ControlPlane {
  server: string;
  apiPort: number;
  adminKubeconfig: string;
  components: Component[];
  /** etcd's client URL (its v3 JSON gateway serves /v3/kv/*): tests change what the API server would not. */
  etcdUrl: string;
  /** Stops kube-apiserver alone (an outage: the other components and the nodes keep running). */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on its port after `stopApiServer()`; resolves once it is ready. */
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
}

/** Service ClusterIPs are allocated from here but never dialled (no kube-proxy); pods get 127.0.0.1 instead. */
const SERVICE_CIDR = '10.0.0.0/24';

/**
 * Starts etcd, kube-apiserver, kube-controller-manager and kube-scheduler, each on 127.0.0.1 and
 * a free port, in that order, each awaited healthy before the next. On failure the ones already
 * running are stopped and the error names the failing component with its log tail.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { binary, dir, pki, timeoutMs, log } = options;
  const logs = path.join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const started: Component[] = [];
  const stop = async (): Promise<void> => {
    for (const c of [...started].reverse()) {
      await c.stop();
    }
  };
  /**
   * Starts a component on `portCount` fresh free ports. Another process can grab a port between
   * the pick and the bind; the component then exits with "address already in use" and is started
   * again on new ports (at most 3 attempts) — infrastructure, not a test retry.
   */
  const start = async (
    name: string,
    portCount: number,
    args: (ports: number[]) => string[],
    probe: (ports: number[]) => () => Promise<boolean>
  ): Promise<number[]> => {
    for (let attempt = 1; ; attempt++) {
      const ports = await freePorts(portCount);
      log(`cluster: starting ${name} on port(s) ${ports.join(', ')}`);
      const logFile = path.join(logs, `${name}.log`);
      try {
        started.push(await startComponent({ name, command: binary, args: [name, ...args(ports)], logFile, probe: probe(ports), timeoutMs }));
        return ports;
      } catch (err) {
        if (attempt >= 3 || !(err instanceof ComponentStartError) || !err.logTail.includes('address already in use')) {
          throw err;
        }
      }
    }
  };
  try {
    const [etcdPort] = await start(
      'etcd',
      2,
      ([client, peer]) => [
        '--name=default',
        // A fresh data dir per attempt: a member bootstrapped with other peer URLs would not start.
        `--data-dir=${path.join(dir, `etcd-${client}`)}`,
        `--listen-client-urls=http://127.0.0.1:${client}`,
        `--advertise-client-urls=http://127.0.0.1:${client}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=default=http://127.0.0.1:${peer}`,
        '--unsafe-no-fsync',
        '--log-level=warn'
      ],
      ([client]) => async () => (await get(`http://127.0.0.1:${client}/health`)).body.includes('"health":"true"')
    );

    const admin = pki.clients.admin;
    const apiArgs = ([port]: number[]): string[] => [
      '--advertise-address=127.0.0.1',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${path.join(dir, 'apiserver')}`,
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      `--service-account-issuer=https://127.0.0.1:${port}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      // Endpoints validation forbids loopback addresses, so the `kubernetes` Service gets no
      // endpoints at all (rather than a retry loop logging errors); pods dial 127.0.0.1 directly.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      '--v=1',
      ...(options.apiServerArgs ?? [])
    ];
    const apiProbe =
      ([port]: number[]) =>
      async (): Promise<boolean> =>
        (await get(`https://127.0.0.1:${port}/readyz`, { caFile: pki.caCert, certFile: admin.cert, keyFile: admin.key })).status === 200;
    const [apiPort] = await start('kube-apiserver', 1, apiArgs, apiProbe);
    const server = `https://127.0.0.1:${apiPort}`;

    const adminKubeconfig = writeKubeconfig(path.join(dir, 'admin.kubeconfig'), server, pki.caCert, { name: 'admin', ...admin });
    const kcmKubeconfig = writeKubeconfig(path.join(dir, 'controller-manager.kubeconfig'), server, pki.caCert, {
      name: 'system:kube-controller-manager',
      ...pki.clients.controllerManager
    });
    const schedKubeconfig = writeKubeconfig(path.join(dir, 'scheduler.kubeconfig'), server, pki.caCert, {
      name: 'system:kube-scheduler',
      ...pki.clients.scheduler
    });
    const healthz =
      ([port]: number[]) =>
      async (): Promise<boolean> =>
        (await get(`https://127.0.0.1:${port}/healthz`)).status === 200;
    await start(
      'kube-controller-manager',
      1,
      ([port]) => [
        `--kubeconfig=${kcmKubeconfig}`,
        `--authentication-kubeconfig=${kcmKubeconfig}`,
        `--authorization-kubeconfig=${kcmKubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${path.join(dir, 'controller-manager')}`,
        '--controllers=*',
        '--leader-elect=false',
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki.saKey}`,
        `--root-ca-file=${pki.caCert}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        ...(options.nodeMonitorGracePeriodSeconds === undefined
          ? []
          : [`--node-monitor-grace-period=${options.nodeMonitorGracePeriodSeconds}s`, '--node-monitor-period=1s']),
        '--v=1'
      ],
      healthz
    );
    await start(
      'kube-scheduler',
      1,
      ([port]) => [
        `--kubeconfig=${schedKubeconfig}`,
        `--authentication-kubeconfig=${schedKubeconfig}`,
        `--authorization-kubeconfig=${schedKubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
        '--leader-elect=false',
        '--v=1'
      ],
      healthz
    );
    const apiIndex = started.findIndex(c => c.name === 'kube-apiserver');
    const stopApiServer = async (): Promise<void> => {
      await started[apiIndex]?.stop();
    };
    // The same port (every kubeconfig names it) and the same log file, appended.
    const startApiServer = async (): Promise<void> => {
      started[apiIndex] = await startComponent({
        name: 'kube-apiserver',
        command: binary,
        args: ['kube-apiserver', ...apiArgs([apiPort])],
        logFile: path.join(logs, 'kube-apiserver.log'),
        probe: apiProbe([apiPort]),
        timeoutMs
      });
    };
    return { server, apiPort: apiPort, adminKubeconfig, components: started, etcdUrl: `http://127.0.0.1:${etcdPort}`, stopApiServer, startApiServer, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
