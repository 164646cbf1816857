// `npm start -- --demo-cluster`: checks what the cluster tests' control plane needs, builds it once
// (test/cluster/prepare.mjs: idempotent, the same cache as the cluster tier), and runs it in
// demoClusterHost.mjs, a child in its own process group (the terminal's Ctrl-C reaches start.mjs
// only, which stops JupyterLab, the gateway, then the cluster, in that order).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { binaryPath } from '../../../test/cluster/k8sbin/build.mjs';
import { prometheusPath } from '../../../test/cluster/prombin/build.mjs';
import { DEMO_NAMESPACE } from './demoConfig.mjs';
import { checkJava, which } from './prereqs.mjs';
import { exited, stopTree } from './proc.mjs';
import { fail, root, say } from './util.mjs';

const READY_MS = 300_000;
const READY_LINE = 'sparkgate-demo-ready ';

/** One line naming what is missing, exit 1: call it before anything starts. */
export function checkDemoPrerequisites() {
  if (process.platform !== 'linux') fail('--demo-cluster needs Linux (its pods are host processes in private mount namespaces).');
  if (process.getuid?.() !== 0) fail('--demo-cluster needs root (its node agent bind-mounts pod volumes in private mount namespaces); run it as root, e.g. in a dev container.');
  for (const [cmd, pkg] of [['setpriv', 'util-linux'], ['unshare', 'util-linux'], ['nsenter', 'util-linux'], ['openssl', 'openssl']]) {
    if (!which(cmd)) fail(`--demo-cluster needs ${cmd} on PATH (install ${pkg}).`);
  }
  checkJava(); // Spark's drivers and executors; Python is .venv's (setup made it)
  // Both are built once by prepare.mjs (startDemoCluster) into ~/.cache/sparkgate.
  const builds = [
    [binaryPath(), 'the Kubernetes control plane from source (~10-20 min on 2 cores)'],
    [prometheusPath(), 'Prometheus from the Go module proxy, for the simulated GPUs\' live numbers (~2 min)']
  ].filter(([bin]) => !existsSync(bin));
  if (builds.length > 0) {
    const go = [process.env.SPARKGATE_GO, 'go', '/usr/local/go/bin/go'].filter(Boolean).find(c => spawnSync(c, ['version']).status === 0);
    if (!go) {
      fail('--demo-cluster builds Kubernetes and Prometheus from source on its first run and needs Go 1.26+ for it (no `go` on PATH, in /usr/local/go/bin or $SPARKGATE_GO): install Go and retry.');
    }
    for (const [, what] of builds) say(`first run: building ${what}; one time, cached in ~/.cache/sparkgate…`);
  }
}

/**
 * Starts the demo cluster; resolves once it is up (`ready`: its gateway config file, API server,
 * admin kubeconfig, namespace, GPUs) or has failed (`why`). `onExit(why)` is called if it ends
 * later by itself. `stop(graceMs)` stops it and waits; it is safe to call more than once.
 */
export async function startDemoCluster({ dir, onExit, gpus = 2 }) {
  say(`demo cluster: a real kube-apiserver, etcd, scheduler and controller-manager on 127.0.0.1, a CPU node and a node with ${gpus} SIMULATED GPUs`);
  say('  (nvidia.com/gpu capacity with fake device ids: Spark schedules GPU executors, but no GPU computes); pods run as host processes.');
  say('  Live GPU numbers are SIMULATED too: a fake DCGM exporter reports what GPU pods write to $FAKE_GPU_STATE_DIR, scraped by a real Prometheus.');
  const prepare = spawnSync(process.execPath, [path.join(root, 'test', 'cluster', 'prepare.mjs')], { cwd: root, stdio: 'inherit' });
  if (prepare.status !== 0) process.exit(1); // prepare.mjs printed the one line saying why

  // setpriv --pdeathsig: should start.mjs be killed outright, the cluster (and through its own
  // pdeathsig, every control-plane process and pod) goes with it.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, path.join(root, 'server', 'scripts', 'lib', 'demoClusterHost.mjs'), dir, String(gpus)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true
  });
  let ready;
  const ended = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ? `exited on ${signal}` : `exited with code ${code}`)));
  const up = new Promise((resolve) => {
    for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop();
        for (const line of lines) {
          if (line.startsWith(READY_LINE)) {
            ready = JSON.parse(line.slice(READY_LINE.length));
            say(`demo cluster ready in ${(ready.ms / 1000).toFixed(1)} s at ${ready.server} (tenant namespace ${DEMO_NAMESPACE}; Prometheus ${ready.prometheusUrl})`);
            resolve();
          } else {
            out.write(`[cluster] ${line}\n`);
          }
        }
      });
    }
  });
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(`no answer within ${READY_MS / 1000} s`), READY_MS)));
  const why = await Promise.race([up.then(() => undefined), ended, timeout]);
  clearTimeout(timer);
  let stopped;
  const stop = (graceMs) =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await exited(child, graceMs))) await stopTree(child, 2000);
      }
    })());
  if (ready) void ended.then((how) => stopped || onExit(how));
  return { ready, why, stop };
}
