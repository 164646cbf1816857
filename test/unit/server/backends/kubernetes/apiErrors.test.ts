import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { apiError, apiReason, apiStatus, watchFailure, type ApiAction } from '../../../../../server/src/backends/kubernetes/apiErrors.js';
import {
  ConflictError,
  InputError,
  KernelLaunchError,
  NotFoundError,
  QuotaExceededError,
  ServiceUnavailableError
} from '../../../../../server/src/errors.js';
import { apiStatus as status, forbidden, FORBIDDEN_MESSAGE } from './fixtures.js';

const createPod: ApiAction = { verb: 'create', object: 'the driver pod', namespace: 'tenant-a' };
/** What undici's fetch throws when nothing listens at the API server's address. */
const refused = () =>
  new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) });

describe('apiError', () => {
  it.each([
    [
      'a ResourceQuota refusal',
      status(403, 'pods "sg-1" is forbidden: exceeded quota: gpu, requested: requests.nvidia.com/gpu=2, used: requests.nvidia.com/gpu=0, limited: requests.nvidia.com/gpu=1'),
      QuotaExceededError,
      403,
      "the namespace's ResourceQuota refuses this kernel: pods \"sg-1\" is forbidden: exceeded quota: gpu, requested: requests.nvidia.com/gpu=2, used: requests.nvidia.com/gpu=0, limited: requests.nvidia.com/gpu=1"
    ],
    [
      'missing RBAC',
      status(403, 'pods is forbidden: User "system:serviceaccount:sparkgate:sparkgate" cannot create resource "pods"'),
      ServiceUnavailableError,
      503,
      'the gateway may not create the driver pod in namespace tenant-a: pods is forbidden: User "system:serviceaccount:sparkgate:sparkgate" cannot create resource "pods"; check its RBAC (images/deploy/gateway.yaml)'
    ],
    [
      'an unauthorized gateway',
      status(401, 'Unauthorized'),
      ServiceUnavailableError,
      503,
      'the gateway may not create the driver pod in namespace tenant-a: Unauthorized; check its RBAC (images/deploy/gateway.yaml)'
    ],
    [
      'a missing namespace',
      status(404, 'namespaces "tenant-a" not found'),
      ServiceUnavailableError,
      503,
      'cannot create the driver pod in namespace tenant-a: namespaces "tenant-a" not found; the platform team must create it (images/deploy/tenant.yaml)'
    ],
    [
      'an API the cluster does not serve',
      status(404, 'the server could not find the requested resource'),
      ServiceUnavailableError,
      503,
      'cannot create the driver pod in namespace tenant-a: the API server does not serve it: the server could not find the requested resource; the cluster must serve core/v1 and networking.k8s.io/v1'
    ],
    [
      'a name taken',
      status(409, 'pods "sg-1" already exists'),
      ConflictError,
      409,
      'could not create the driver pod in namespace tenant-a: it already exists: pods "sg-1" already exists; start the kernel again (each start picks a new pod name)'
    ],
    [
      'an invalid object',
      status(422, 'Pod "sg-1" is invalid: spec.containers[0].image: Required value'),
      KernelLaunchError,
      500,
      `the Kubernetes API refused the driver pod as invalid: Pod "sg-1" is invalid: spec.containers[0].image: Required value; check the gateway's kubernetes settings (images, GPU node selector and tolerations, runAsUser, service accounts) and the profile's sizing`
    ],
    [
      'an API server error',
      status(500, 'etcdserver: request timed out'),
      ServiceUnavailableError,
      503,
      'could not create the driver pod in namespace tenant-a: Kubernetes API answered 500: etcdserver: request timed out'
    ],
    [
      'an API server that is not there',
      refused(),
      ServiceUnavailableError,
      503,
      'could not create the driver pod in namespace tenant-a: Kubernetes API unreachable: fetch failed: connect ECONNREFUSED 127.0.0.1:6443'
    ]
  ] as const)('should map %s to a typed error that names the object and what to change', (_case, error, type, statusCode, message) => {
    const mapped = apiError(error, createPod);
    expect(mapped).toBeInstanceOf(type);
    expect({ statusCode: mapped.statusCode, message: mapped.message }).toEqual({ statusCode, message });
    expect(mapped.cause).toBe(error);
  });

  it('should tell a read of a gone object and a changed one from a failed create', () => {
    const readSecret: ApiAction = { verb: 'read', object: "the kernel's Secret", namespace: 'tenant-a' };
    const gone = apiError(status(404, 'secrets "sg-1" not found'), readSecret);
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(gone.message).toBe(`the kernel's Secret in namespace tenant-a is gone: secrets "sg-1" not found`);
    const changed = apiError(status(409, 'Precondition failed: UID in precondition: a, UID in object meta: b'), { ...readSecret, verb: 'delete' });
    expect(changed).toBeInstanceOf(ConflictError);
    expect(changed.message).toBe(
      `could not delete the kernel's Secret in namespace tenant-a: it changed meanwhile: Precondition failed: UID in precondition: a, UID in object meta: b; try again`
    );
  });

  it('should pass a gateway error through unchanged', () => {
    const error = new InputError('bad sizing');
    expect(apiError(error, createPod)).toBe(error);
  });
});

describe('apiStatus / apiReason', () => {
  it("should read the status and the API server's words from list, watch and network failures", () => {
    expect([apiStatus(forbidden()), apiStatus(Object.assign(new Error('Forbidden'), { statusCode: 403 })), apiStatus(refused())]).toEqual([403, 403, undefined]);
    expect(apiReason(status(500, 'etcdserver: leader changed'))).toBe('etcdserver: leader changed');
    // A body that is no Status: its start; no body at all: the code.
    expect(apiReason(new ApiException(502, 'Bad Gateway', '<html>bad gateway</html>', {}))).toBe('<html>bad gateway</html>');
    expect(apiReason(new ApiException(502, 'Bad Gateway', '', {}))).toBe('HTTP 502');
    expect(apiReason(new ApiException(500, 'x', { message: 'parsed already' }, {}))).toBe('parsed already');
    expect(apiReason(new ApiException(500, 'x', 'y'.repeat(600), {}))).toHaveLength(500);
    expect(apiReason('a string')).toBe('a string');
  });
});

describe('watchFailure', () => {
  it('should name the namespace, the status and the fix for each kind of failure', () => {
    const status = (code: number, message: string) => new ApiException(code, 'Unknown API Status Code!', JSON.stringify({ message }), {});
    expect(watchFailure('team-a', forbidden()).message).toBe(FORBIDDEN_MESSAGE);
    expect(watchFailure('team-a', status(401, 'Unauthorized')).message).toBe(
      "cannot watch pods in namespace team-a: unauthorized: Unauthorized; check the gateway's service account token or kubeconfig"
    );
    expect(watchFailure('team-x', status(404, 'namespaces "team-x" not found')).message).toBe(
      'cannot watch pods in namespace team-x: not found: namespaces "team-x" not found; the platform team must create it (images/deploy/tenant.yaml)'
    );
    expect(watchFailure('team-a', status(500, 'etcdserver: request timed out')).message).toBe(
      'cannot watch pods in namespace team-a: Kubernetes API answered 500: etcdserver: request timed out'
    );
    // What Watch throws when the watch request (not the list) is refused.
    expect(watchFailure('team-a', Object.assign(new Error('Forbidden'), { statusCode: 403 })).message).toMatch(
      /^cannot watch pods in namespace team-a: forbidden: Forbidden; the namespace may not exist/
    );
    expect(watchFailure('team-a', new TypeError('fetch failed')).message).toBe('cannot watch pods in namespace team-a: Kubernetes API unreachable: fetch failed');
    // Named when known, so an operator sees which API server is down (issue 13).
    expect(watchFailure('team-a', new TypeError('fetch failed'), 'https://api:6443').message).toBe(
      'cannot watch pods in namespace team-a: Kubernetes API unreachable (API server https://api:6443): fetch failed'
    );
    expect(apiError(new TypeError('fetch failed'), { verb: 'create', object: 'the driver pod', namespace: 'team-a', server: 'https://api:6443' }).message).toBe(
      'could not create the driver pod in namespace team-a: Kubernetes API unreachable (API server https://api:6443): fetch failed'
    );
    expect(watchFailure('team-a', forbidden()).cause).toBeInstanceOf(ApiException);
  });
});
