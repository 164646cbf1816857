/**
 * Starts each gateway under test as its own process on 127.0.0.1 with the same kernel: the
 * project's launcher (images/kernel/sparkgate_launcher.py) run by the project's kernel Python,
 * plain (`python3`) or with a local Spark conf (`pyspark`).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildLocalSparkConf } from '../../../server/dist/spark/localConf.js';
import { fileURLToPath } from 'node:url';
import { freePort, start, stop, waitHttp } from './procs.mjs';

/** The minimal kernel (scale/mini_kernel.py), for the relay-bound throughput test. */
export const MINI_KERNEL = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'scale', 'mini_kernel.py');

export const TOKEN = 'sparkgate-bench-token-0123456789';

/** A Spark conf equivalent to what sparkgate's local backend writes for a `pyspark` kernel. */
export async function benchSparkConf() {
  return buildLocalSparkConf({
    kernelId: '00000000-bench',
    user: 'bench',
    sizing: { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { cores: 0, memoryMiB: 0, gpus: 0, count: 0 } },
    uiPort: await freePort()
  });
}

/** Kernelspecs `python3`, `pyspark` and `mini` for EG and KG, in a JUPYTER_PATH directory. */
async function writeKernelspecs(dir, { python, launcher }) {
  const specs = {
    python3: { display_name: 'Python 3 (sparkgate launcher)', argv: [python, launcher, '--connection-file', '{connection_file}'] },
    pyspark: { display_name: 'PySpark (sparkgate launcher)', argv: [python, launcher, '--connection-file', '{connection_file}', '--spark-conf', path.join(dir, 'spark-conf.json')] },
    mini: { display_name: 'minimal kernel (bench)', argv: [python, MINI_KERNEL, '--connection-file', '{connection_file}'] }
  };
  await writeFile(path.join(dir, 'spark-conf.json'), JSON.stringify(await benchSparkConf()));
  for (const [name, spec] of Object.entries(specs)) {
    const kdir = path.join(dir, 'kernels', name);
    await mkdir(kdir, { recursive: true });
    await writeFile(
      path.join(kdir, 'kernel.json'),
      JSON.stringify({ ...spec, language: 'python', env: { PYSPARK_PYTHON: python, PYSPARK_DRIVER_PYTHON: python }, metadata: {} })
    );
  }
}

function baseEnv(extra) {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'JAVA_HOME', 'SPARK_HOME', 'USER'];
  return { ...Object.fromEntries(keep.flatMap(k => (process.env[k] ? [[k, process.env[k]]] : []))), ...extra };
}

/**
 * Starts one gateway. `which`: 'sparkgate' | 'baseline' (sparkgate built from `serverDist`, see
 * baseline.mjs) | 'eg' | 'kg'. `configFile`: sparkgate's --config; `label` names it in logs and
 * errors (default `which`). Returns { name, url, wsUrl, token, stop }.
 */
export async function startGateway(which, { repoRoot, python, launcher, peerBins, cpuProfDir = null, serverDist = null, configFile = null, label = which }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let entry;
  let scratch = null;
  if (which === 'sparkgate' || which === 'baseline') {
    const main = path.join(serverDist ?? path.join(repoRoot, 'server', 'dist'), 'main.js');
    const node = [...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : []), main];
    const config = configFile ? ['--config', configFile] : [];
    entry = start(label, process.execPath, [...node, '--host', '127.0.0.1', '--port', String(port), '--backend', 'local', ...config], {
      cwd: repoRoot,
      env: baseEnv({ SPARKGATE_TOKEN: TOKEN, SPARKGATE_PYTHON: python, SPARKGATE_LOG_LEVEL: 'warn' })
    });
  } else {
    scratch = await mkdtemp(path.join(tmpdir(), `sparkgate-bench-${which}-`));
    await writeKernelspecs(scratch, { python, launcher });
    const common = { JUPYTER_PATH: scratch, JUPYTER_RUNTIME_DIR: path.join(scratch, 'runtime'), JUPYTER_DATA_DIR: path.join(scratch, 'data'), JUPYTER_CONFIG_DIR: path.join(scratch, 'config') };
    if (which === 'eg') {
      entry = start('enterprise-gateway', path.join(peerBins.eg, 'jupyter-enterprisegateway'), ['--log-level=WARN'], {
        cwd: scratch,
        env: baseEnv({ ...common, EG_IP: '127.0.0.1', EG_PORT: String(port), EG_PORT_RETRIES: '0', EG_AUTH_TOKEN: TOKEN, EG_LIST_KERNELS: 'True' })
      });
    } else {
      // KG inherits jupyter_server 2's iopub rate limit (1000 msg/s, 1 MB/s) that would drop
      // output; sparkgate and EG do not limit, so neither does KG here.
      entry = start('kernel-gateway', path.join(peerBins.kg, 'jupyter-kernelgateway'), ['--log-level=WARN', '--ZMQChannelsWebsocketConnection.limit_rate=False'], {
        cwd: scratch,
        env: baseEnv({ ...common, KG_IP: '127.0.0.1', KG_PORT: String(port), KG_PORT_RETRIES: '0', KG_AUTH_TOKEN: TOKEN, KG_LIST_KERNELS: 'True' })
      });
    }
  }
  await waitHttp(`${url}/api/kernelspecs`, entry, 90_000, { Authorization: `token ${TOKEN}` });
  return {
    name: label,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    token: TOKEN,
    pid: entry.child.pid,
    log: () => entry.log,
    async stop() {
      // SIGTERM: each gateway shuts its kernels down itself; the group kill sweeps stragglers.
      await stop(entry, 20_000);
      if (scratch) {
        await rm(scratch, { recursive: true, force: true });
      }
    }
  };
}

/** REST call with the token; JSON both ways. */
export async function rest(gw, method, route, body) {
  const res = await fetch(gw.url + route, {
    method,
    headers: { Authorization: `token ${gw.token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(300_000)
  });
  const text = await res.text();
  if (res.status >= 300) {
    throw new Error(`${gw.name}: ${method} ${route} → ${res.status} ${text.slice(0, 500)}`);
  }
  return text ? JSON.parse(text) : null;
}
