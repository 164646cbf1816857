/**
 * Credentials without leaks on the real control plane (issue 18 item 3): a profile's Secret of the
 * tenant's namespace is readable inside the driver and an executor (as files and a variable) and
 * nowhere else: not in another profile's driver, not in any pod spec, ConfigMap or sparkgate
 * Secret of the namespace, not in the gateway's log (at debug) and not in its API answers. The
 * test puts a random marker in the Secret through the harness, never through the gateway, and
 * compares SHA-256 digests only, so the marker never travels back through a cell's output.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { createLogger } from '../../server/src/log.js';
import { KernelSocket } from '../integration/support/kernelSocket.js';
import { waitUntil } from '../support/waitFor.js';
import { readLog } from './harness/index.js';
import { KUBERNETES_SECTION } from './support/sparkgate.js';
import { useCluster } from './support/useCluster.js';

const ALICE = 'alice-token-0123456789abcdef';
const NS = 'tenant-a';
const KERNEL_ID = 'sparkgate.io/kernel-id';
const SECRET = 's3-creds';
const CREDS = '/etc/creds';

const CONFIG = `
users:
  - { name: alice, tenant: a, token: ${ALICE} }
tenants:
  a: { namespace: ${NS}, limits: { cores: 16, memory: 16g } }
profiles:
  with-creds:
    displayName: PySpark with S3 credentials
    driver: { cores: 0.5, memory: 768m, gpus: 0 }
    executors: { count: 1, cores: 1, memory: 512m, gpus: 0 }
    secrets:
      - { name: ${SECRET}, mountPath: ${CREDS}, env: { AWS_SECRET_ACCESS_KEY: secret-key } }
  plain:
    displayName: Python without credentials
    spark: false
    driver: { cores: 0.25, memory: 256m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
  missing:
    displayName: Python with a Secret nobody made
    spark: false
    driver: { cores: 0.25, memory: 256m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
    secrets:
      - { name: not-made, env: { TOKEN: token } }
  wrong-key:
    displayName: Python with a key the Secret does not have
    spark: false
    driver: { cores: 0.25, memory: 256m, gpus: 0 }
    executors: { count: 0, cores: 1, memory: 512m, gpus: 0 }
    secrets:
      - { name: ${SECRET}, env: { TOKEN: no-such-key } }
kernels: { startTimeoutSeconds: 180, shutdownGraceSeconds: 2 }
${KUBERNETES_SECTION}`;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('cluster/secrets', () => {
  const logLines: string[] = [];
  const k8s = useCluster({
    nodes: [{ name: 'cpu-1', cpu: '8', memory: '16Gi' }],
    gateway: { config: CONFIG, tenants: { [NS]: {} }, logger: createLogger({ level: 'debug', write: line => logLines.push(line) }) }
  });
  const { call } = k8s;

  // Cells print digests only; the marker itself is for the harness's Secret and the grep.
  const marker = `marker-${randomBytes(24).toString('hex')}`;
  const digest = sha256(marker);
  const markerB64 = Buffer.from(marker).toString('base64');

  const pods = async (selector: string): Promise<V1Pod[]> => (await k8s.core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;
  const launch = async (name: string) => call(ALICE, 'POST', '/api/kernels', { name });
  const run = async (id: string, code: string, timeoutMs = 60_000): Promise<string> => {
    const socket = await KernelSocket.open(k8s.gw.wsUrl, id, ALICE);
    try {
      const r = await socket.execute(code, timeoutMs);
      expect({ status: r.reply.content.status, error: r.reply.content.evalue ?? null }).toEqual({ status: 'ok', error: null });
      return r.stdout.trim();
    } finally {
      socket.close();
    }
  };
  const shutDown = async (id: string): Promise<void> => {
    expect((await call(ALICE, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
    await waitUntil(async () => (await pods(`${KERNEL_ID}=${id}`)).length === 0, { timeoutMs: 60_000, what: `kernel ${id}'s pods gone` });
  };
  /** Where the marker shows (plain or base64), by place; empty when nowhere. */
  const leaks = (places: Record<string, string>): string[] =>
    Object.entries(places)
      .filter(([, text]) => text.includes(marker) || text.includes(markerB64))
      .map(([place]) => place);

  it("should give the driver and an executor the profile's Secret as files and a variable, another profile's driver nothing, and leak its value nowhere", async () => {
    const started = Date.now();
    await k8s.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: SECRET }, type: 'Opaque', stringData: { 'secret-key': marker } } });

    const res = await launch('with-creds');
    expect({ status: res.status, message: res.status === 201 ? '' : res.body.message }).toEqual({ status: 201, message: '' });
    const id = res.body.id as string;
    const digests = [
      'import hashlib, os',
      'h = lambda b: hashlib.sha256(b).hexdigest()',
      `probe = lambda: (h(open('${CREDS}/secret-key', 'rb').read()), h(os.environ['AWS_SECRET_ACCESS_KEY'].encode()), sorted(os.listdir('${CREDS}')))`
    ].join('\n');
    expect(await run(id, `${digests}\nprint(probe())`, 150_000)).toBe(`('${digest}', '${digest}', ['secret-key'])`);
    const onExecutor = await run(
      id,
      `${digests}\nprint(sc.parallelize([0], 1).map(lambda _: (probe(), os.environ.get('SPARK_EXECUTOR_POD_NAME'))).collect())`,
      150_000
    );
    const executors = await pods(`${KERNEL_ID}=${id},spark-role=executor`);
    expect(executors).toHaveLength(1);
    expect(onExecutor).toBe(`[(('${digest}', '${digest}', ['secret-key']), '${executors[0]!.metadata?.name}')]`);

    // The pods name the Secret and its key, never a value: a secret volume and a secretKeyRef.
    const [driver] = await pods(`${KERNEL_ID}=${id},app.kubernetes.io/component=driver`);
    const kernel = driver!.spec!.containers[0]!;
    expect(driver!.spec?.volumes).toContainEqual({ name: 'spark-secret-0', secret: { secretName: SECRET, defaultMode: 0o440 } });
    expect(kernel.volumeMounts).toContainEqual({ name: 'spark-secret-0', mountPath: CREDS, readOnly: true });
    expect(kernel.env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: SECRET, key: 'secret-key' } } });
    const executor = executors[0]!;
    expect(executor.spec?.volumes).toContainEqual(expect.objectContaining({ name: `${SECRET}-volume`, secret: expect.objectContaining({ secretName: SECRET }) }));
    expect(executor.spec?.containers[0]?.env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: SECRET, key: 'secret-key' } } });

    // Another profile's driver in the same namespace has neither. (Its folder may exist: the
    // harness's node agent makes mount points on the host while a pod mounts there.)
    const other = await launch('plain');
    expect(other.status).toBe(201);
    const otherId = other.body.id as string;
    expect(await run(otherId, `import os\nprint(os.path.exists('${CREDS}/secret-key'), 'AWS_SECRET_ACCESS_KEY' in os.environ)`)).toBe('False False');

    // Everything the namespace and the gateway show, while both kernels and the executor run.
    const json = (value: unknown) => JSON.stringify(value);
    const places: Record<string, string> = {
      pods: json((await k8s.core.listNamespacedPod({ namespace: NS })).items),
      configMaps: json((await k8s.core.listNamespacedConfigMap({ namespace: NS })).items),
      // The kernels' own Secrets hold their connection files, Spark conf and executor template.
      // Decoded: a value inside a file of theirs would not show in the base64 of the whole file.
      sparkgateSecrets: json(
        (await k8s.core.listNamespacedSecret({ namespace: NS, labelSelector: 'app.kubernetes.io/managed-by=sparkgate' })).items.map(s =>
          Object.values(s.data ?? {}).map(v => Buffer.from(v, 'base64').toString('utf8'))
        )
      ),
      // The kernel's and Spark's log, from the node agent (the harness serves no pods/log).
      driverLog: readLog(k8s.cluster, NS, driver!.metadata!.name!, 'kernel'),
      executorLog: readLog(k8s.cluster, NS, executor.metadata!.name!, 'spark-kubernetes-executor')
    };
    // The gateway's own routes (the lab serves its sparkgate API under /sparkgate/ by proxy to these).
    const routes = ['/api/kernels', `/api/kernels/${id}`, '/api/kernelspecs', '/api/me', '/api/clusters', `/api/clusters/${id}`];
    for (const route of routes) {
      const answer = await call(ALICE, 'GET', route);
      expect([route, answer.status]).toEqual([route, 200]);
      places[route] = json(answer.body);
    }
    // Spark's own view through the gateway's UI proxy: its conf has the key (Spark's redaction
    // pattern even hides the Secret's name and key there).
    const apps = (await call(ALICE, 'GET', `/ui/${id}/api/v1/applications`)).body as unknown as Array<{ id: string }>;
    const environment = await call(ALICE, 'GET', `/ui/${id}/api/v1/applications/${apps[0]!.id}/environment`);
    expect(environment.status).toBe(200);
    expect(json(environment.body)).toContain('"spark.kubernetes.executor.secretKeyRef.AWS_SECRET_ACCESS_KEY"');
    places.sparkEnvironment = json(environment.body);
    places.gatewayLog = logLines.join('\n');
    expect(logLines.some(line => line.includes('"level":"debug"'))).toBe(true);
    // The checks would see it: the executor's spec and the namespace's pods were read while it ran.
    expect(places.pods).toContain(executor.metadata!.name!);
    expect(places.sparkgateSecrets).toContain('spark.kubernetes.executor.secrets.s3-creds');
    expect(leaks(places)).toEqual([]);

    await Promise.all([shutDown(id), shutDown(otherId)]);
    process.stderr.write(`secrets: mounted, compared and grepped ${Object.keys(places).length} places in ${Date.now() - started} ms\n`);
  }, 300_000);

  it('should fail a launch whose profile names a missing Secret at once, naming it and the namespace, before any pod exists', async () => {
    const before = await pods('app.kubernetes.io/component=driver');
    const started = Date.now();
    const res = await launch('missing');
    expect({ status: res.status, message: res.body.message }).toEqual({
      status: 503,
      message: `profile 'missing' needs the Secret not-made in namespace ${NS}, which does not exist: create it there (kubectl -n ${NS} create secret generic not-made …) or remove it from profiles.missing.secrets`
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await pods('app.kubernetes.io/component=driver')).length).toBe(before.length);
  }, 60_000);

  it("should fail a launch fast with the kubelet's words when the Secret lacks a key the profile's env names", async () => {
    const before = (await pods('app.kubernetes.io/component=driver')).length;
    const res = await launch('wrong-key');
    expect(res.status).toBe(500);
    expect(res.body.message).toMatch(/^the driver container cannot be created \(wrong-key\): CreateContainerConfigError: .*s3-creds.*no-such-key/);
    expect(res.body.message).toContain(`the profile's secrets must be in namespace ${NS} with the keys its env names`);
    await waitUntil(async () => (await pods('app.kubernetes.io/component=driver')).length === before, { timeoutMs: 30_000, what: 'the failed driver pod deleted' });
  }, 120_000);
});
