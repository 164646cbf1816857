#!/usr/bin/env node
// `npm start` (after setup.mjs): the sparkgate gateway plus a JupyterLab in gateway mode in front
// of it, both on 127.0.0.1. Ctrl-C / SIGTERM stops both and everything they started.
//
//   node server/scripts/start.mjs [--port N] [--lab-port N] [--backend local|kubernetes]
//                                 [--config FILE] [--notebook-dir DIR] [--demo-cluster]
//
// --demo-cluster: the Kubernetes stack on this machine, no Docker: the cluster tests' control plane
// (built once by test/cluster/prepare.mjs into ~/.cache/sparkgate) with a CPU node and a node of 2
// simulated GPUs, whose pods run as host processes (lib/demoClusterHost.mjs), a fake DCGM exporter
// and a real Prometheus for the GPUs' simulated live use, and the gateway on the Kubernetes backend
// with the demo config (lib/demoConfig.mjs, gpuMetrics on). Linux and root only.
//
// Token: SPARKGATE_TOKEN from the environment, or a fresh random one (printed once). JupyterLab
// gets it through a config file in a private temp dir (never on a command line `ps` shows), both
// as its GatewayClient token and as the header jupyter-server-proxy adds on <lab>/sparkgate/.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkDemoPrerequisites, startDemoCluster } from './lib/demoCluster.mjs';
import { alive, pickPort, stopTree, waitHttp } from './lib/proc.mjs';
import { fail, root, say, venvBin, venvPython } from './lib/util.mjs';

const HOST = '127.0.0.1';
const GATEWAY_READY_MS = 60_000;
const LAB_READY_MS = 120_000;
const LAB_GRACE_MS = 10_000; // JupyterLab asks the gateway to shut its kernels down on SIGTERM
const GATEWAY_GRACE_MS = 20_000; // the gateway stops kernels (and their JVMs) on SIGTERM

const CLUSTER_GRACE_MS = 60_000; // the demo cluster stops its pods' processes and the control plane

const USAGE = `Usage: npm start -- [--port N] [--lab-port N] [--backend local|kubernetes] [--config FILE] [--notebook-dir DIR] [--demo-cluster]
  --port          gateway port (default 8889, or a free one)
  --lab-port      JupyterLab port (default 8888, or a free one)
  --backend       where kernels run (default local)
  --config        sparkgate YAML config file
  --notebook-dir  JupyterLab root (default notebooks/)
  --demo-cluster  run a local Kubernetes control plane (CPU node + node with 2 simulated GPUs) and the
                  gateway on the Kubernetes backend (Linux, root; the first run builds Kubernetes: Go 1.26+)
Environment: SPARKGATE_TOKEN (else generated), JUPYTER_TOKEN (JupyterLab's own token, else generated).`;

function parseArgs(argv) {
  const opts = { port: undefined, labPort: undefined, backend: undefined, config: undefined, notebookDir: undefined, demoCluster: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value.\n${USAGE}`);
      return v;
    };
    const port = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${flag} must be a port number (1-65535).`);
      return n;
    };
    switch (flag) {
      case '--port': opts.port = port(); break;
      case '--lab-port': opts.labPort = port(); break;
      case '--backend': opts.backend = value(); break;
      case '--config': opts.config = path.resolve(value()); break;
      case '--notebook-dir': opts.notebookDir = path.resolve(value()); break;
      case '--demo-cluster': opts.demoCluster = true; break;
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break; // not reached; says so to the reader and to no-fallthrough
      default:
        fail(`unknown option ${flag}.\n${USAGE}`);
    }
  }
  if (opts.demoCluster && (opts.backend !== undefined || opts.config !== undefined)) {
    fail('--demo-cluster brings its own backend (kubernetes) and config; leave out --backend and --config.');
  }
  opts.backend ??= opts.demoCluster ? 'kubernetes' : 'local';
  return opts;
}

/** Python literal for a JSON-able value (strings, numbers, booleans, objects). */
function py(value) {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
  if (value && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(', ')}}`;
  return JSON.stringify(value); // JSON strings and numbers are valid Python literals
}

/** Pipe a child's output to ours, each line prefixed with its name. */
function prefixOutput(child, name) {
  for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
    stream.on('end', () => partial && out.write(`[${name}] ${partial}\n`));
  }
}

const opts = parseArgs(process.argv.slice(2));
if (!opts.notebookDir) {
  opts.notebookDir = path.join(root, 'notebooks');
  mkdirSync(opts.notebookDir, { recursive: true });
}
const gatewayMain = path.join(root, 'server', 'dist', 'main.js');
if (!existsSync(gatewayMain)) fail('server/dist/main.js is missing: run `npm start` (its setup step builds the server) or `npm run setup`.');
if (!existsSync(path.join(venvBin, 'jupyter-lab'))) fail('JupyterLab is not installed in .venv: run `npm run setup` first.');
if (!existsSync(opts.notebookDir)) fail(`notebook directory ${opts.notebookDir} does not exist.`);
if (opts.demoCluster) checkDemoPrerequisites();

let token = process.env.SPARKGATE_TOKEN;
if (!token) {
  token = randomBytes(32).toString('hex');
  say(`generated a gateway token for this run: SPARKGATE_TOKEN=${token}`);
}
const labToken = process.env.JUPYTER_TOKEN || randomBytes(24).toString('hex');
const gatewayPort = await pickPort(HOST, opts.port ?? 8889);
if (opts.port && gatewayPort !== opts.port) fail(`gateway port ${opts.port} on ${HOST} is in use; pick another with --port.`);
const labPort = await pickPort(HOST, opts.labPort ?? 8888);
if (opts.labPort && labPort !== opts.labPort) fail(`JupyterLab port ${opts.labPort} on ${HOST} is in use; pick another with --lab-port.`);
const gatewayUrl = `http://${HOST}:${gatewayPort}`;

// --- shutdown: one path for Ctrl-C, SIGTERM, and either child dying --------------------------
let gateway;
let lab;
let cluster;
let privateDir;
let stopping = false;
async function shutdown(reason, code) {
  if (stopping) return;
  stopping = true;
  say(`stopping (${reason})…`);
  // JupyterLab first: it shuts down the kernels it started through the gateway while that still runs.
  await stopTree(lab, LAB_GRACE_MS);
  await stopTree(gateway, GATEWAY_GRACE_MS);
  // The cluster last: the gateway deleted its pods through the API server.
  await cluster?.stop(CLUSTER_GRACE_MS);
  if (privateDir) rmSync(privateDir, { recursive: true, force: true });
  say('stopped.');
  process.exit(code);
}
// npm also forwards the terminal's Ctrl-C, so a second signal is expected and ignored.
process.on('SIGINT', () => void shutdown('SIGINT', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
process.on('SIGHUP', () => void shutdown('SIGHUP', 0));

function watch(child, name) {
  child.on('exit', (code, signal) => {
    if (!stopping) void shutdown(`${name} exited ${signal ? `on ${signal}` : `with code ${code}`}`, 1);
  });
}

privateDir = mkdtempSync(path.join(os.tmpdir(), 'sparkgate-lab-')); // mode 0700

// --- demo cluster (--demo-cluster) ---------------------------------------------------------
if (opts.demoCluster) {
  cluster = await startDemoCluster({ dir: privateDir, onExit: (why) => !stopping && void shutdown(`the demo cluster ${why}`, 1) });
  if (!cluster.ready) {
    stopping = true;
    await cluster.stop(CLUSTER_GRACE_MS);
    rmSync(privateDir, { recursive: true, force: true });
    fail(`the demo cluster did not start (${cluster.why}); its output is above.`);
  }
  opts.config = cluster.ready.config;
}

// --- gateway -------------------------------------------------------------------------------
const gatewayArgs = [gatewayMain, '--host', HOST, '--port', String(gatewayPort), '--backend', opts.backend];
if (opts.config) gatewayArgs.push('--config', opts.config);
// Own process group (detached) so the terminal's Ctrl-C reaches only us, and we stop things in order.
gateway = spawn(process.execPath, gatewayArgs, {
  cwd: opts.notebookDir, // local kernels start in the notebooks' directory
  env: { ...process.env, SPARKGATE_TOKEN: token, SPARKGATE_PYTHON: process.env.SPARKGATE_PYTHON || venvPython },
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true
});
prefixOutput(gateway, 'gateway');
watch(gateway, 'the gateway');

const gatewayState = await waitHttp(`${gatewayUrl}/api`, {
  headers: { Authorization: `token ${token}` },
  timeoutMs: GATEWAY_READY_MS,
  child: gateway
});
if (gatewayState !== 'ready') {
  if (gatewayState === 'exited') await new Promise((r) => setTimeout(r, 200)); // let its last output through
  else {
    stopping = true;
    await stopTree(gateway, 5000);
  }
  fail(`the gateway did not come up on ${gatewayUrl} (${gatewayState === 'timeout' ? `no answer within ${GATEWAY_READY_MS / 1000}s` : gatewayState}); its output is above.`);
}
say(`gateway ready at ${gatewayUrl} (backend ${opts.backend})`);

// --- JupyterLab ----------------------------------------------------------------------------
const labConfig = path.join(privateDir, 'jupyter_sparkgate_config.py');
const settings = {
  'c.ServerApp.ip': HOST,
  'c.ServerApp.port': labPort,
  'c.ServerApp.port_retries': 0,
  'c.ServerApp.open_browser': false,
  'c.ServerApp.allow_root': process.getuid?.() === 0, // CI and containers run as root
  'c.ServerApp.root_dir': opts.notebookDir,
  'c.IdentityProvider.token': labToken,
  'c.GatewayClient.url': gatewayUrl,
  'c.GatewayClient.auth_token': token,
  // A kernel on the Kubernetes backend answers once its driver pod runs (scheduling, JVM start).
  ...(opts.backend === 'kubernetes' ? { 'c.GatewayClient.request_timeout': 240.0 } : {}),
  // sparkgate_lab's gateway relay: binary frames (ipywidgets buffers) and messages over tornado's 10 MiB
  // default, which jupyter_server's own GatewayWebSocketConnection cannot carry (README "Compatibility").
  'c.ServerApp.kernel_websocket_connection_class': 'sparkgate_lab.gateway_connection.SparkgateGatewayConnection',
  // Browser → server frames (widget uploads) have tornado's own 10 MiB limit; the gateway keeps its own.
  'c.ServerApp.tornado_settings': { websocket_max_message_size: 1024 ** 3 },
  // <lab>/sparkgate/... → the gateway (already running: no command), token added by the proxy.
  'c.ServerProxy.servers': {
    sparkgate: {
      port: gatewayPort,
      absolute_url: false,
      launcher_entry: { enabled: false },
      request_headers_override: { Authorization: `token ${token}` }
    }
  }
};
writeFileSync(
  labConfig,
  `# Generated by sparkgate start.mjs for one run; holds secrets, removed on exit.\n` +
    // .venv links the prebuilt labextension instead of pip-installing sparkgate_lab: its Python half from here.
    `import sys; sys.path.insert(0, ${JSON.stringify(path.join(root, 'extension'))})\n` +
    Object.entries(settings).map(([k, v]) => `${k} = ${py(v)}\n`).join(''),
  { mode: 0o600 }
);

// The token is in the config file; JUPYTER_TOKEN in the env would only be a second source of truth.
const { JUPYTER_TOKEN: _unused, ...labEnv } = { ...process.env, PATH: `${venvBin}${path.delimiter}${process.env.PATH ?? ''}` };
lab = spawn(path.join(venvBin, 'jupyter-lab'), [`--config=${labConfig}`], {
  cwd: opts.notebookDir,
  env: labEnv,
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true
});
prefixOutput(lab, 'lab');
watch(lab, 'JupyterLab');

const labUrl = `http://${HOST}:${labPort}`;
const labState = await waitHttp(`${labUrl}/api`, { timeoutMs: LAB_READY_MS, child: lab });
if (labState !== 'ready') {
  if (labState !== 'exited') void shutdown(`JupyterLab did not come up on ${labUrl} (${labState})`, 1);
} else if (alive(lab)) {
  console.log('');
  say(`JupyterLab is running:  ${labUrl}/lab?token=${labToken}`);
  say(`(gateway ${gatewayUrl}, also at ${labUrl}/sparkgate/ through JupyterLab)  Ctrl-C stops everything.`);
  if (cluster?.ready) {
    say(`Kubernetes backend on the demo cluster ${cluster.ready.server} (tenant namespace ${cluster.ready.namespace});`);
    say(`  the ${cluster.ready.gpus} GPUs of node gpu-1 are SIMULATED (nvidia.com/gpu capacity, no hardware; the panel reads simulatedGpus from /api/me).`);
    say(`  Their live use (toolbar "2 GPUs · 63%") is SIMULATED as well: a task writes util=<0-100> to $FAKE_GPU_STATE_DIR/<its GPU address>;`);
    say(`  a fake DCGM exporter serves it to Prometheus ${cluster.ready.prometheusUrl} (README "The two commands" has a cell that does it).`);
    say(`  kubectl: KUBECONFIG=${cluster.ready.adminKubeconfig}`);
  }
  console.log('');
}
