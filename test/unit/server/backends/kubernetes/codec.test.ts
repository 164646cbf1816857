import { describe, expect, it } from '@jest/globals';
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { decodeConnection, decodeDriverPod, poolHeldUntil } from '../../../../../server/src/backends/kubernetes/codec.js';
import { buildDriverObjects, driverPodName } from '../../../../../server/src/backends/kubernetes/objects.js';
import type { DriverObjectsInput, DriverRecord } from '../../../../../server/src/backends/kubernetes/types.js';
import type { Sizing } from '../../../../../server/src/config/types.js';
import { config, sizing } from './fixtures.js';

const ID = '0123abcd-0000-4000-8000-000000000000';
const input = (overrides: Partial<DriverObjectsInput> = {}): DriverObjectsInput => ({
  kernelId: ID,
  podName: driverPodName(ID, 'x1y2z'),
  namespace: 'tenant-a',
  user: 'alice',
  tenant: 'a',
  profile: 'pyspark-gpu',
  kernelName: `pyspark-gpu--${ID}`,
  spark: true,
  sizing: sizing(1, 1),
  key: 'f'.repeat(64),
  env: { KERNEL_USERNAME: 'alice' },
  config,
  ...overrides
});
/** The part of the input a driver pod carries. */
const record = (i: DriverObjectsInput): DriverRecord => {
  const { kernelId, podName, namespace, user, tenant, profile, kernelName, spark, sizing } = i;
  return { kernelId, podName, namespace, user, tenant, profile, kernelName, spark, sizing };
};
/** The pod as the API server returns it: with a uid. */
const created = (pod: V1Pod): V1Pod => ({ ...pod, metadata: { ...pod.metadata, uid: 'uid-1' } });
/** The Secret as the API server returns it: `stringData` becomes base64 `data`. */
const stored = (secret: V1Secret): V1Secret => {
  const { stringData, ...rest } = secret;
  return { ...rest, data: Object.fromEntries(Object.entries(stringData ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
};
const refusal = <T>(decoded: { ok: true; value: T } | { ok: false; reason: string }): string => (decoded.ok ? 'accepted' : decoded.reason);

describe('decodeDriverPod', () => {
  it.each([
    ['a Spark GPU kernel', input()],
    ['a plain kernel', input({ spark: false, profile: 'python', kernelName: 'python', sizing: sizing(0, 0) })],
    [
      'dynamic executors',
      input({ sizing: { driver: { cores: 0.5, memoryMiB: 512, gpus: 0 }, executors: { min: 1, max: 4, cores: 2, memoryMiB: 2048, gpus: 1 } } as Sizing })
    ]
  ])('should give back what the pod was built from: %s', (_case, i) => {
    const pod = created(buildDriverObjects(i).pod);
    expect(decodeDriverPod(pod)).toEqual({ ok: true, value: record(i) });
  });

  it("should take the profile as the kernel name of a pod that has none (gateways before kernel names were recorded)", () => {
    const pod = created(buildDriverObjects(input({ kernelName: 'pyspark-gpu' })).pod);
    delete pod.metadata!.annotations!['sparkgate.io/kernel-name'];
    expect(decodeDriverPod(pod)).toMatchObject({ ok: true, value: { kernelName: 'pyspark-gpu', profile: 'pyspark-gpu' } });
  });

  const built = () => created(buildDriverObjects(input()).pod);
  const withAnnotation = (key: string, value: string | undefined): V1Pod => {
    const pod = built();
    if (value === undefined) {
      delete pod.metadata!.annotations![key];
    } else {
      pod.metadata!.annotations![key] = value;
    }
    return pod;
  };

  it.each([
    ['a pod sparkgate does not manage', { metadata: { name: 'web', namespace: 'tenant-a', labels: { app: 'web' } } }, 'not a sparkgate driver pod (labels app.kubernetes.io/managed-by=, app.kubernetes.io/component=)'],
    [
      'an executor',
      { ...built(), metadata: { ...built().metadata, labels: { ...built().metadata!.labels, 'app.kubernetes.io/component': 'executor' } } },
      'not a sparkgate driver pod (labels app.kubernetes.io/managed-by=sparkgate, app.kubernetes.io/component=executor)'
    ],
    ['a driver without owner', withAnnotation('sparkgate.io/user', undefined), 'driver pod lacks annotation sparkgate.io/user'],
    [
      'a driver without kernel id, tenant or sizing',
      (() => {
        const pod = withAnnotation('sparkgate.io/tenant', '');
        delete pod.metadata!.labels!['sparkgate.io/kernel-id'];
        delete pod.metadata!.annotations!['sparkgate.io/sizing'];
        return pod;
      })(),
      'driver pod lacks label sparkgate.io/kernel-id, annotation sparkgate.io/tenant, annotation sparkgate.io/sizing'
    ],
    ['a sizing that is not JSON', withAnnotation('sparkgate.io/sizing', '{driver'), 'annotation sparkgate.io/sizing is not JSON'],
    [
      'a sizing without numbers',
      withAnnotation('sparkgate.io/sizing', '{"driver":{"cores":"2","memoryMiB":1,"gpus":0},"executors":{"cores":1,"memoryMiB":1,"gpus":0}}'),
      'annotation sparkgate.io/sizing needs driver and executors with cores, memoryMiB and gpus as numbers ≥ 0: {"driver":{"cores":"2","memoryMiB":1,"gpus":0},"executors":{"cores":1,"memoryMiB":1,"gpus":0}}'
    ],
    [
      'a negative executor count',
      withAnnotation('sparkgate.io/sizing', '{"driver":{"cores":1,"memoryMiB":1,"gpus":0},"executors":{"count":-1,"cores":1,"memoryMiB":1,"gpus":0}}'),
      'annotation sparkgate.io/sizing has an invalid executors.count: -1'
    ]
  ] as const)('should refuse %s, saying why', (_case, pod, reason) => {
    expect(refusal(decodeDriverPod(pod as V1Pod))).toBe(reason);
  });
});

describe('decodeDriverPod of a warm pool driver (issue 15)', () => {
  const warm = (until: string | undefined): V1Pod => {
    const pod = created(buildDriverObjects(input({ user: '', env: {}, pool: { until: new Date('2026-01-01T12:10:00Z') } })).pod);
    if (until === undefined) {
      delete pod.metadata!.annotations!['sparkgate.io/pool-until'];
    } else {
      pod.metadata!.annotations!['sparkgate.io/pool-until'] = until;
    }
    return pod;
  };

  it("should refuse an unclaimed one as nobody's kernel, saying so, and read its lease", () => {
    expect(refusal(decodeDriverPod(warm('2026-01-01T12:10:00.000Z')))).toBe(
      "an unclaimed warm pool driver (annotations sparkgate.io/pool=warm, sparkgate.io/pool-until=2026-01-01T12:10:00.000Z): nobody's kernel until its gateway hands it out"
    );
    expect(poolHeldUntil(warm('2026-01-01T12:10:00.000Z'))).toBe(Date.parse('2026-01-01T12:10:00Z'));
    expect(poolHeldUntil(warm(undefined))).toBeNaN();
    expect(poolHeldUntil(warm('soon'))).toBeNaN();
    expect(poolHeldUntil(created(buildDriverObjects(input()).pod))).toBeNull();
  });

  it('should refuse a pool driver someone gave a user by hand: only a claim removes the pool mark', () => {
    const pod = warm('2026-01-01T12:10:00.000Z');
    pod.metadata!.annotations!['sparkgate.io/user'] = 'mallory';
    expect(refusal(decodeDriverPod(pod))).toMatch(/^an unclaimed warm pool driver/);
  });
});

describe('decodeConnection', () => {
  const objects = buildDriverObjects(input());
  const owner = created(objects.pod);

  it('should give back the connection the Secret was built with, as built and as the API server returns it', () => {
    const secret = objects.secret(owner);
    expect(decodeConnection(secret, owner)).toEqual({ ok: true, value: objects.connection });
    expect(decodeConnection(stored(secret), owner)).toEqual({ ok: true, value: objects.connection });
    expect(objects.connection.key).toBe('f'.repeat(64));
  });

  const withConnection = (text: string): V1Secret => ({ ...stored(objects.secret(owner)), data: { 'connection.json': Buffer.from(text).toString('base64') } });
  const name = 'Secret tenant-a/sg-0123abcd-x1y2z';

  it.each([
    ['a Secret of another pod', stored(objects.secret({ metadata: { name: 'sg-0123abcd-x1y2z', uid: 'uid-0' } })), `${name} is not owned by driver pod sg-0123abcd-x1y2z (uid uid-1)`],
    ['a Secret without connection file', { ...stored(objects.secret(owner)), data: {} }, `${name} has no connection.json`],
    ['a connection file that is not JSON', withConnection('{"key":'), `${name} has a connection.json that is not JSON`],
    ['a connection file that is not an object', withConnection('null'), `${name} has a connection.json that is not an object`],
    [
      'a connection file without key and with a bad port',
      withConnection(JSON.stringify({ ...objects.connection, key: '', hb_port: 70000 })),
      `${name} has a connection.json with a missing or invalid hb_port, key`
    ],
    [
      'a connection file of another transport and scheme',
      withConnection(JSON.stringify({ ...objects.connection, transport: 'ipc', signature_scheme: 'hmac-md5' })),
      `${name} has a connection.json with a missing or invalid transport, signature_scheme`
    ]
  ] as const)('should refuse %s, saying why', (_case, secret, reason) => {
    expect(refusal(decodeConnection(secret as V1Secret, owner))).toBe(reason);
  });
});
