/**
 * A profile's Secrets on Kubernetes (issue 18 item 3): the driver pod mounts them and takes
 * variables by `secretKeyRef`, the executors get them through Spark's conf keys, nothing the
 * gateway builds holds a value, and a launch fails before any object when a Secret is missing.
 */
import { describe, expect, it } from '@jest/globals';
import { ApiException, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { awaitDriverRunning, containerConfigError } from '../../../../../server/src/backends/kubernetes/driverStart.js';
import { buildDriverObjects, driverPodName, driverSecrets } from '../../../../../server/src/backends/kubernetes/objects.js';
import type { LaunchRequest } from '../../../../../server/src/backends/types.js';
import type { ProfileRuntime, ProfileSecret } from '../../../../../server/src/config/types.js';
import { KernelLaunchError } from '../../../../../server/src/errors.js';
import { apiStatus, backendOn, config, FakePods, sizing } from './fixtures.js';

const ID = '0123abcd-0000-4000-8000-000000000000';
const owner: V1Pod = { metadata: { name: 'sg-0123abcd-x1y2z', uid: 'uid-1' } };
const S3: ProfileSecret = { name: 's3-creds', mountPath: '/etc/creds/s3', env: { AWS_ACCESS_KEY_ID: 'access-key', AWS_SECRET_ACCESS_KEY: 'secret-key' }, executors: true };
const DRIVER_ONLY: ProfileSecret = { name: 'hub-token', mountPath: null, env: { HUB_TOKEN: 'token' }, executors: false };
const FILES_ONLY: ProfileSecret = { name: 'tls.certs', mountPath: '/etc/certs', env: {}, executors: false };
const runtime = (secrets: ProfileSecret[]): ProfileRuntime => ({
  image: { driver: null, executor: null },
  sparkConf: {},
  env: { TZ: 'UTC' },
  driver: { nodeSelector: {}, tolerations: [], gpuType: null },
  executors: { nodeSelector: {}, tolerations: [], gpuType: null },
  volumes: [{ name: 'data', claim: 'datasets', mountPath: '/data', readOnly: true, executors: true }],
  packages: [],
  ivyCacheVolume: null,
  secrets
});
const build = (secrets: ProfileSecret[], spark = true) =>
  buildDriverObjects({
    kernelId: ID,
    podName: driverPodName(ID, 'x1y2z'),
    namespace: 'tenant-a',
    user: 'alice',
    tenant: 'a',
    profile: 's3',
    kernelName: 's3',
    spark,
    sizing: sizing(0, 0),
    key: 'f'.repeat(64),
    env: { KERNEL_USERNAME: 'alice' },
    config,
    runtime: runtime(secrets)
  });
const kernel = (o: ReturnType<typeof build>) => o.pod.spec!.containers[0]!;
const stringData = (o: ReturnType<typeof build>) => o.secret(owner).stringData!;
const sparkConf = (o: ReturnType<typeof build>): Record<string, string> => JSON.parse(stringData(o)['spark-conf.json']!);

describe('k8s/objects: a profile\'s secrets (issue 18 item 3)', () => {
  it('should mount each Secret with a mountPath read-only in the driver, under a volume name no profile volume can have', () => {
    const o = build([S3, DRIVER_ONLY, FILES_ONLY]);
    expect(o.pod.spec!.volumes!.slice(-2)).toEqual([
      { name: 'spark-secret-0', secret: { secretName: 's3-creds', defaultMode: 0o440 } },
      { name: 'spark-secret-2', secret: { secretName: 'tls.certs', defaultMode: 0o440 } }
    ]);
    expect(kernel(o).volumeMounts!.slice(-2)).toEqual([
      { name: 'spark-secret-0', mountPath: '/etc/creds/s3', readOnly: true },
      { name: 'spark-secret-2', mountPath: '/etc/certs', readOnly: true }
    ]);
    // The pod's fsGroup is what lets the non-root kernel read the 0440 files.
    expect(o.pod.spec!.securityContext).toMatchObject({ runAsUser: 185, fsGroup: 185 });
    const names = o.pod.spec!.volumes!.map(v => v.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("should give the driver each variable from its Secret's key, after the profile's and the client's, never as a value", () => {
    const env = kernel(build([S3, DRIVER_ONLY])).env!;
    expect(env.map(e => e.name)).toEqual([
      'TZ',
      'KERNEL_USERNAME',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'HUB_TOKEN',
      'SPARKGATE_KERNEL_ID',
      'SPARKGATE_POD_IP',
      'SPARK_LOCAL_IP',
      'HOME'
    ]);
    expect(env.slice(2, 5)).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 's3-creds', key: 'access-key' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 's3-creds', key: 'secret-key' } } },
      { name: 'HUB_TOKEN', valueFrom: { secretKeyRef: { name: 'hub-token', key: 'token' } } }
    ]);
  });

  it("should give the executors the executors: true Secrets through Spark's conf keys, and nothing through the pod template", () => {
    const o = build([S3, DRIVER_ONLY, FILES_ONLY]);
    const secretKeys = Object.entries(sparkConf(o)).filter(([k]) => /^spark\.kubernetes\.(driver|executor)\.(secrets|secretKeyRef)\./.test(k));
    expect(Object.fromEntries(secretKeys)).toEqual({
      'spark.kubernetes.executor.secrets.s3-creds': '/etc/creds/s3',
      'spark.kubernetes.executor.secretKeyRef.AWS_ACCESS_KEY_ID': 's3-creds:access-key',
      'spark.kubernetes.executor.secretKeyRef.AWS_SECRET_ACCESS_KEY': 's3-creds:secret-key'
    });
    const template = JSON.parse(stringData(o)['executor-template.json']!) as V1Pod;
    expect(JSON.stringify(template)).not.toMatch(/s3-creds|hub-token|tls\.certs|secretKeyRef/);
  });

  it('should build the same objects as without secrets when the profile has none, and no executor keys for a profile without Spark', () => {
    const none = build([]);
    expect(JSON.stringify(none.pod)).not.toContain('spark-secret-');
    expect(Object.keys(sparkConf(none)).filter(k => k.includes('secret'))).toEqual(['spark.authenticate.secret.driver.file', 'spark.authenticate.secret.executor.file']);
    const python = build([S3], false);
    expect(stringData(python)['spark-conf.json']).toBeUndefined();
    expect(kernel(python).env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 's3-creds', key: 'secret-key' } } });
  });

  it('should hold no value anywhere in what it builds: only names and keys (a marker the config could not even contain)', () => {
    // The config names keys only; were a value ever passed along, it could only come from a
    // Secret's data, which the builders never see. Everything built is searched for the names
    // instead, to show where the Secret appears: the pod and the Spark conf, nowhere else.
    const o = build([S3, DRIVER_ONLY]);
    const built = {
      pod: JSON.stringify(o.pod),
      secret: JSON.stringify(o.secret(owner)),
      service: JSON.stringify(o.service(owner)),
      networkPolicy: JSON.stringify(o.networkPolicy(owner)),
      claims: JSON.stringify(o.claims)
    };
    expect(Object.entries(built).filter(([, text]) => text.includes('s3-creds')).map(([where]) => where)).toEqual(['pod', 'secret']);
    expect(stringData(o)['connection.json']).not.toContain('s3-creds');
    expect(driverSecrets([S3]).env.every(e => e.value === undefined && e.valueFrom?.secretKeyRef !== undefined)).toBe(true);
  });
});

describe('k8s/driverStart: a container the kubelet cannot configure (issue 18 item 3)', () => {
  const pod: V1Pod = {
    metadata: { name: 'sg-1', namespace: 'tenant-a', uid: 'uid-1', labels: { 'app.kubernetes.io/component': 'driver' } },
    spec: { containers: [{ name: 'kernel', image: 'sparkgate/driver:1.0' }], nodeName: 'cpu-1' }
  };
  const waiting = (reason: string, message: string): V1Pod => ({
    ...pod,
    status: { phase: 'Pending', containerStatuses: [{ name: 'kernel', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message } } }] }
  });

  it('should read CreateContainerConfigError as a reason, and nothing else', () => {
    expect(containerConfigError(waiting('CreateContainerConfigError', 'couldn\'t find key secret-key in Secret tenant-a/s3-creds'))).toBe(
      "CreateContainerConfigError: couldn't find key secret-key in Secret tenant-a/s3-creds"
    );
    expect(containerConfigError(waiting('ContainerCreating', ''))).toBeNull();
    expect(containerConfigError(pod)).toBeNull();
  });

  it("should fail the launch at once with the kubelet's words and where the Secret must be", async () => {
    const pods = new FakePods();
    const running = awaitDriverRunning({ pods, namespace: 'tenant-a', name: 'sg-1', uid: 'uid-1', profileId: 's3', signal: new AbortController().signal });
    pods.change(waiting('ContainerCreating', ''));
    pods.change(waiting('CreateContainerConfigError', 'secret "s3-creds" not found'));
    await expect(running).rejects.toEqual(
      new KernelLaunchError(
        'the driver container cannot be created (s3): CreateContainerConfigError: secret "s3-creds" not found; ' +
          "the profile's secrets must be in namespace tenant-a with the keys its env names"
      )
    );
    expect(pods.listening).toBe(0);
  });
});

describe('KubernetesBackend#launch() of a profile with secrets (issue 18 item 3)', () => {
  const request = (secrets: ProfileSecret[]): LaunchRequest => ({
    kernelId: 'k1',
    owner: { user: 'alice', tenant: 'a' },
    profile: { id: 's3', displayName: 'S3', spark: false, sizing: sizing(0, 0), runtime: runtime(secrets) },
    sizing: sizing(0, 0),
    key: 'f'.repeat(64),
    env: {},
    signal: new AbortController().signal
  });

  /** A launch that records its calls and stops at the pod. */
  function setup(readSecret: (name: string) => Promise<unknown>) {
    const calls: string[] = [];
    const accepts: string[] = [];
    const core = {
      readNamespacedSecret: async ({ name, namespace }: { name: string; namespace: string }, options: { middleware?: { pre: (r: unknown) => unknown }[] }) => {
        calls.push(`read ${namespace}/${name}`);
        // What the header middleware sets on the request.
        const headers: Record<string, string> = {};
        for (const m of options.middleware ?? []) {
          m.pre({ setHeaderParam: (k: string, v: string) => (headers[k] = v) });
        }
        accepts.push(headers.Accept ?? '');
        return readSecret(name);
      },
      createNamespacedPod: async () => {
        calls.push('pod');
        throw new ApiException(500, 'Unknown API Status Code!', JSON.stringify({ message: 'stop here' }), {});
      }
    } as unknown as CoreV1Api;
    const backend = backendOn(core);
    return { backend, calls, accepts };
  }

  it('should check each Secret exists by its metadata alone before it creates the pod', async () => {
    const { backend, calls, accepts } = setup(async name => ({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: { name } }));
    await expect(backend.launch(request([S3, DRIVER_ONLY]))).rejects.toThrow('could not create the driver pod');
    expect(calls).toEqual(['read team-a/s3-creds', 'read team-a/hub-token', 'pod']);
    expect(accepts).toEqual(Array(2).fill('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1'));
    await backend.dispose();
  });

  it('should fail the launch naming the missing Secret, its namespace and what to do, and create nothing', async () => {
    const { backend, calls } = setup(async name => {
      if (name === 'hub-token') {
        throw apiStatus(404, 'secrets "hub-token" not found');
      }
      return {};
    });
    await expect(backend.launch(request([S3, DRIVER_ONLY]))).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message:
        "profile 's3' needs the Secret hub-token in namespace team-a, which does not exist: " +
        "create it there (kubectl -n team-a create secret generic hub-token …) or remove it from profiles.s3.secrets"
    });
    expect(calls).toEqual(['read team-a/s3-creds', 'read team-a/hub-token']);
    await backend.dispose();
  });

  it("should name the gateway's RBAC when it may not read a Secret's metadata", async () => {
    const { backend, calls } = setup(async () => {
      throw apiStatus(403, 'secrets "s3-creds" is forbidden: User "system:serviceaccount:sparkgate:sparkgate" cannot get resource "secrets"');
    });
    await expect(backend.launch(request([S3]))).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringMatching(/^the gateway may not read the Secret s3-creds \(metadata only\) in namespace team-a: .*check its RBAC/)
    });
    expect(calls).toEqual(['read team-a/s3-creds']);
    await backend.dispose();
  });

  it('should read no Secret for a profile without secrets', async () => {
    const { backend, calls } = setup(async () => ({}));
    await expect(backend.launch(request([]))).rejects.toThrow('could not create the driver pod');
    expect(calls).toEqual(['pod']);
    await backend.dispose();
  });
});
