/**
 * Spark traffic between a kernel's driver and its executors is authenticated and encrypted
 * (spark.authenticate + AES RPC encryption, issue 14): executors still register and run a
 * shuffle, the secret is nowhere in pod specs, annotations, API answers or the gateway's log, and
 * a JVM on the host that dials the driver's RPC port as an executor is refused unless it has the
 * secret (the positive control shows the refusal is the secret's doing, not a broken probe).
 * The node agent enforces no NetworkPolicy, so only Spark's own check stands between the probe
 * and the driver here.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { createLogger } from '../../server/src/log.js';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { waitUntil } from '../support/waitFor.js';
import { KUBERNETES_SECTION, python, settle } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const TOKEN = 'erin-token-0123456789abcdef';
const NAMESPACE = 'tenant-sec';
const KERNEL_ID = 'sparkgate.io/kernel-id';
const DRIVER_FILE = '/etc/sparkgate/kernel/spark-auth';
const EXECUTOR_FILE = '/etc/sparkgate/spark/spark-auth';

const CONFIG = `
users:
  - { name: erin, tenant: sec, token: ${TOKEN} }
tenants:
  sec: { namespace: ${NAMESPACE}, limits: { gpus: 2, cores: 8, memory: 16g } }
profiles:
  pyspark:
    displayName: PySpark, two executors
    driver: { cores: 0.5, memory: 768m, gpus: 0 }
    executors: { count: 2, cores: 1, memory: 512m, gpus: 0 }
  driver-only:
    displayName: PySpark, driver only
    driver: { cores: 0.5, memory: 512m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
kernels: { startTimeoutSeconds: 240, shutdownGraceSeconds: 10 }
${KUBERNETES_SECTION}`;

/** What a rogue executor JVM did: its exit code (null: still running when stopped) and output. */
interface RogueRun {
  code: number | null;
  output: string;
}

/**
 * Whether a rogue's log shows a connection refused in Spark's auth handshake: the driver's
 * AuthRpcHandler answered "Authentication failed", or — when the driver's close of the connection,
 * which follows that answer at once, arrived first — the handshake in AuthClientBootstrap was cut
 * off (InterruptedException). Spark retries the connection, so one log can show both.
 */
const refusedInHandshake = (output: string): boolean =>
  output
    .split(/\n(?=\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d )/)
    .filter(entry => entry.includes('Exception while bootstrapping client'))
    .some(
      entry =>
        /IllegalArgumentException: Authentication failed/.test(entry) ||
        (/java\.lang\.InterruptedException/.test(entry) && /AuthClientBootstrap\.doSparkAuth/.test(entry))
    );

describe('cluster/Spark traffic authenticated and encrypted', () => {
  const gatewayLog: string[] = [];
  const k8s = useCluster({
    nodes: [{ name: 'cpu-1' }],
    gateway: { config: CONFIG, tenants: { [NAMESPACE]: {} }, logger: createLogger({ level: 'debug', write: line => gatewayLog.push(line) }) }
  });
  let kernelId = '';
  let appId = '';
  let driver: V1Pod | undefined;
  let secretBase64 = '';

  const podsOf = async (component: string, id = kernelId): Promise<V1Pod[]> =>
    (await k8s.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `${KERNEL_ID}=${id},app.kubernetes.io/component=${component}` })).items.filter(
      p => !p.metadata?.deletionTimestamp
    );
  const logOf = async (pod: V1Pod, container: string): Promise<string> =>
    (await readFile(k8s.cluster.agent.logFile(NAMESPACE, pod.metadata!.name!, container), 'utf8').catch(() => '')).split('\n').slice(-40).join('\n');
  const execute = async (code: string, id = kernelId, timeoutMs = 240_000) => {
    const socket = await KernelSocket.open(k8s.gw.wsUrl, id, TOKEN);
    try {
      return await socket.execute(code, timeoutMs);
    } finally {
      socket.close();
    }
  };
  /** Executors registered with the driver (its block managers, the driver's own left out). */
  const executorCount = async (): Promise<number> => {
    const run = await execute('print(len(sc._jsc.sc().statusTracker().getExecutorInfos()) - 1)', kernelId, 60_000);
    return Number(run.stdout.trim());
  };

  /**
   * Runs, on the host, Spark's executor main class against the driver's RPC port, as a process
   * that got the driver's address and app id but not (unless given) the secret would. `auth`:
   * the `_SPARK_AUTH_SECRET` it presents (Spark's executors take their secret from there), or
   * null for no authentication at all. Stops it after `untilMs` if it has not ended by then.
   */
  const rogue = async (auth: string | null, untilMs: number, stopWhen?: () => Promise<boolean>): Promise<RogueRun> => {
    const jars = path.join(path.dirname(path.dirname(python)), 'lib', 'python3.11', 'site-packages', 'pyspark', 'jars', '*');
    const props = [
      // Spark's executor refuses a heap under ~450 MiB.
      '-Xmx768m',
      ...(auth === null
        ? []
        : [
            '-Dspark.authenticate=true',
            '-Dspark.network.crypto.enabled=true',
            '-Dspark.network.crypto.cipher=AES/GCM/NoPadding',
            '-Dspark.network.crypto.authEngineVersion=2',
            '-Dspark.network.crypto.saslFallback=false'
          ]),
      '-Dspark.rpc.askTimeout=20s'
    ];
    const args = [
      ...props,
      '-cp',
      jars,
      'org.apache.spark.executor.CoarseGrainedExecutorBackend',
      '--driver-url',
      `spark://CoarseGrainedScheduler@${driver!.status!.podIP}:7078`,
      '--executor-id',
      // Numeric: the Kubernetes scheduler backend parses executor ids.
      '99',
      '--hostname',
      '127.0.0.1',
      '--bind-address',
      '127.0.0.1',
      '--cores',
      '1',
      '--app-id',
      appId
    ];
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, SPARK_LOCAL_IP: '127.0.0.1', ...(auth === null ? {} : { _SPARK_AUTH_SECRET: auth }) };
    const child = spawn('java', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    let code: number | null | undefined;
    void exited.then(c => (code = c));
    const deadline = Date.now() + untilMs;
    while (code === undefined && Date.now() < deadline && !(stopWhen && (await stopWhen()))) {
      await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 1000))]);
    }
    if (code === undefined) {
      child.kill('SIGKILL');
      await exited;
      return { code: null, output };
    }
    return { code: code ?? null, output };
  };

  it('should register two executors and run a shuffle with spark.authenticate and AES/GCM on', async () => {
    const res = await k8s.call(TOKEN, 'POST', '/api/kernels', { name: 'pyspark' });
    expect({ status: res.status, body: res.status === 201 ? 'ok' : res.body }).toEqual({ status: 201, body: 'ok' });
    kernelId = res.body.id as string;
    [driver] = await podsOf('driver');
    const code = `
import time
deadline = time.time() + 180
while len(sc._jsc.sc().statusTracker().getExecutorInfos()) < 3 and time.time() < deadline:
    time.sleep(1)
print("executors", len(sc._jsc.sc().statusTracker().getExecutorInfos()) - 1)
print("groups", sorted(sc.parallelize(range(1000), 8).map(lambda x: (x % 5, 1)).reduceByKey(lambda a, b: a + b, 4).collect()))
print("conf", [sc.getConf().get(k, "unset") for k in ("spark.authenticate", "spark.network.crypto.enabled", "spark.network.crypto.cipher", "spark.network.crypto.authEngineVersion", "spark.network.crypto.saslFallback")])
print("app", sc.applicationId)
`;
    const run = await execute(code, kernelId, 240_000);
    const why = async () => {
      const executors = (await k8s.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'spark-role=executor' })).items;
      return [
        await logOf(driver!, 'kernel'),
        ...(await Promise.all(executors.map(p => logOf(p, 'spark-kubernetes-executor'))))
      ].join('\n----\n');
    };
    expect([run.reply.content.status, run.reply.content.evalue ?? 'no error', run.reply.content.status === 'ok' ? '' : await why()]).toEqual(['ok', 'no error', '']);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toContain('executors 2');
    expect(lines).toContain('groups [(0, 200), (1, 200), (2, 200), (3, 200), (4, 200)]');
    expect(lines).toContain("conf ['true', 'true', 'AES/GCM/NoPadding', '2', 'false']");
    appId = (lines.find(l => l.startsWith('app ')) ?? '').slice(4);
    expect(appId).toMatch(/^spark-/);
    // Both executors ran tasks of the shuffle.
    const shuffled = await execute(
      // HOSTNAME: the pod's name (the node agent runs pods as host processes).
      'import os\nhost = lambda: os.environ.get("HOSTNAME", "?")\nprint(sorted(set(sc.parallelize(range(64), 16).map(lambda x: (x % 8, host())).groupByKey().map(lambda kv: host()).collect())))'
    );
    const hosts = JSON.parse(shuffled.stdout.trim().replace(/'/g, '"')) as string[];
    expect(hosts.sort()).toEqual((await podsOf('executor')).map(p => p.metadata!.name!).sort());
  }, 400_000);

  it('should keep the secret out of pod specs, annotations, API answers and the log; executors get only its file', async () => {
    const secret = await k8s.core.readNamespacedSecret({ name: driver!.metadata!.name!, namespace: NAMESPACE });
    secretBase64 = secret.data?.['spark-auth'] ?? '';
    const value = Buffer.from(secretBase64, 'base64').toString();
    expect(value).toMatch(/^[0-9a-f]{64}$/);
    const executors = await podsOf('executor');
    expect(executors).toHaveLength(2);
    const pods = [...(await podsOf('driver')), ...executors];
    for (const pod of pods) {
      const text = JSON.stringify(pod);
      // The value as stored, as Spark reads it (base64 of the file) and as the env name Spark uses without files.
      for (const needle of [value, secretBase64, '_SPARK_AUTH_SECRET']) {
        expect([pod.metadata?.name, text.includes(needle)]).toEqual([pod.metadata?.name, false]);
      }
    }
    for (const pod of executors) {
      const c = pod.spec!.containers[0]!;
      expect(c.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/etc/sparkgate/spark', readOnly: true }));
      const mount = c.volumeMounts!.find(m => m.mountPath === '/etc/sparkgate/spark')!;
      const volume = pod.spec!.volumes!.find(v => v.name === mount.name);
      expect(volume?.secret).toEqual({ secretName: driver!.metadata!.name, items: [{ key: 'spark-auth', path: 'spark-auth' }], defaultMode: 0o440 });
      // Only Spark's secret: the kernel's connection file stays the driver's.
      expect(pod.spec!.volumes!.filter(v => v.secret?.secretName === driver!.metadata!.name)).toHaveLength(1);
      const envText = JSON.stringify(c.env ?? []);
      expect(envText).toContain(EXECUTOR_FILE);
    }
    // What code on an executor sees: the secret file, no connection file, no secret in the environment.
    const onExecutors = await execute(`
import os
def look(_):
    return (os.path.isfile("${EXECUTOR_FILE}"), os.path.exists("/etc/sparkgate/kernel/connection.json"), "_SPARK_AUTH_SECRET" in os.environ)
print(sorted(set(sc.parallelize(range(8), 8).map(look).collect())))
print(os.path.isfile("${DRIVER_FILE}"), "_SPARK_AUTH_SECRET" in os.environ)
`);
    expect(onExecutors.stdout.trim().split('\n')).toEqual(['[(True, False, False)]', 'True False']);
    const answers = JSON.stringify([
      (await k8s.call(TOKEN, 'GET', `/api/kernels/${kernelId}`)).body,
      (await k8s.call(TOKEN, 'GET', '/api/kernels')).body,
      (await k8s.call(TOKEN, 'GET', `/api/clusters/${kernelId}`)).body
    ]);
    // The Spark UI's environment page lists the conf: paths, never the value.
    const headers = { Authorization: `token ${TOKEN}` };
    const environment = await (await fetch(`${k8s.gw.url}/ui/${kernelId}/api/v1/applications/${appId}/environment`, { headers })).text();
    expect(environment).toContain('spark.authenticate.secret.executor.file');
    for (const text of [answers, environment, gatewayLog.join('\n')]) {
      expect(text.includes(value) || text.includes(secretBase64)).toBe(false);
    }
    expect(gatewayLog.length).toBeGreaterThan(0);
  }, 120_000);

  it('should refuse an executor without the secret (wrong secret, or no authentication) and admit one with it', async () => {
    expect(await executorCount()).toBe(2);
    const wrong = Buffer.from('0'.repeat(64)).toString('base64');
    const withWrong = await rogue(wrong, 90_000);
    const withNone = await rogue(null, 90_000);
    // Both gave up on their own, failing before they could register.
    expect([withWrong.code, /RegisteredExecutor|Successfully registered with driver/.test(withWrong.output)]).toEqual([1, false]);
    // Its proof of the secret did not check out…
    expect(refusedInHandshake(withWrong.output)).toBe(true);
    expect([withNone.code, /RegisteredExecutor|Successfully registered with driver/.test(withNone.output)]).toEqual([1, false]);
    // …and a plain RPC, without the auth protocol first, was refused by the driver: its answer
    // ("Unknown challenge message") or, when the close that follows it came first, the send failed.
    expect(withNone.output).toMatch(/IllegalArgumentException: Unknown challenge message|Failed to send RPC RPC \d+ to \/127\.[\d.]+:7078/);
    expect(await executorCount()).toBe(2);

    // Positive control: the same probe with the kernel's secret gets in (read through the API, test only).
    let count = 2;
    const withSecret = await rogue(secretBase64, 120_000, async () => (count = await executorCount()) === 3);
    expect([count, withSecret.code, count === 3 ? '' : withSecret.output.split('\n').slice(-30).join('\n')]).toEqual([3, null, '']);
    expect(withSecret.output).toMatch(/Successfully registered with driver/);
    // Killed, it is dropped again; the kernel's own two executors stay.
    expect(await settle(executorCount, 2, 120_000)).toBe(2);
    expect((await execute('print(sc.parallelize(range(100), 4).map(lambda x: (x % 3, x)).reduceByKey(lambda a, b: a + b).count())')).stdout.trim()).toBe('3');
  }, 420_000);

  it('should authenticate a driver-only kernel too, with a secret its local-mode Spark makes', async () => {
    const res = await k8s.call(TOKEN, 'POST', '/api/kernels', { name: 'driver-only' });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    const run = await execute(
      'print(spark.range(1000).selectExpr("id % 7 as k").groupBy("k").count().count(), sc.getConf().get("spark.authenticate"), sc.getConf().get("spark.authenticate.secret.driver.file", "none"))',
      id
    );
    expect(run.stdout.trim()).toBe('7 true none');
    const [pod] = await podsOf('driver', id);
    expect(JSON.stringify(pod)).not.toContain('_SPARK_AUTH_SECRET');
    expect((await k8s.call(TOKEN, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
  }, 300_000);

  it('should end the kernel with its executors', async () => {
    expect((await k8s.call(TOKEN, 'DELETE', `/api/kernels/${kernelId}`)).status).toBe(204);
    await waitUntil(async () => (await podsOf('executor')).length === 0 && (await podsOf('driver')).length === 0, { timeoutMs: 60_000, what: 'pods gone' });
  }, 90_000);
});
