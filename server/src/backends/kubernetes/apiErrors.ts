/**
 * Kubernetes API failures as the gateway's typed errors (STYLE §4): the backend translates at its
 * boundary, so an API server's 403, 404 or 409 never reaches a client as a bare 500. Each message
 * names the object, the API server's own words and what to change.
 */
import { ApiException } from '@kubernetes/client-node';
import {
  ConflictError,
  GatewayError,
  KernelLaunchError,
  NotFoundError,
  QuotaExceededError,
  ServiceUnavailableError
} from '../../errors.js';

/** What the backend was doing when the API failed: `<verb> <object> in namespace <namespace>`. */
export interface ApiAction {
  verb: 'create' | 'read' | 'update' | 'delete';
  /** The object(s), as a user reads them: "the driver pod", "the kernel's Secret". */
  object: string;
  namespace: string;
  /** The API server's URL, named when it cannot be reached (an operator then knows which one is down). */
  server?: string;
}

/** "Kubernetes API unreachable", naming the server when known. */
function unreachable(server: string | undefined): string {
  return server ? `Kubernetes API unreachable (API server ${server})` : 'Kubernetes API unreachable';
}

/** Maps a failed API call to the gateway error a user or operator can act on; a GatewayError passes through. */
export function apiError(error: unknown, action: ApiAction): GatewayError {
  if (error instanceof GatewayError) {
    return error;
  }
  const doing = `${action.verb} ${action.object} in namespace ${action.namespace}`;
  const code = apiStatus(error);
  const reason = apiReason(error);
  const options = { cause: error };
  switch (code) {
    case undefined:
      return new ServiceUnavailableError(`could not ${doing}: ${unreachable(action.server)}: ${reason}`, options);
    case 401:
    case 403:
      if (code === 403 && /exceeded quota/i.test(reason)) {
        return new QuotaExceededError(`the namespace's ResourceQuota refuses this kernel: ${reason}`, options);
      }
      return new ServiceUnavailableError(`the gateway may not ${doing}: ${reason}; check its RBAC (images/deploy/gateway.yaml)`, options);
    case 404:
      if (/namespaces? "?[^"]*"? not found/i.test(reason)) {
        return new ServiceUnavailableError(`cannot ${doing}: ${reason}; the platform team must create it (images/deploy/tenant.yaml)`, options);
      }
      // A create that finds no namespace-level 404 lacks the API itself: the cluster's fault, not the user's.
      return action.verb === 'create'
        ? new ServiceUnavailableError(`cannot ${doing}: the API server does not serve it: ${reason}; the cluster must serve core/v1 and networking.k8s.io/v1`, options)
        : new NotFoundError(`${action.object} in namespace ${action.namespace} is gone: ${reason}`, options);
    case 409:
      return new ConflictError(
        // A create's 409 is AlreadyExists, unless the quota admission lost a race (quotaRetry.ts).
        action.verb === 'create' && !/has been modified/i.test(reason)
          ? `could not ${doing}: it already exists: ${reason}; start the kernel again (each start picks a new pod name)`
          : `could not ${doing}: it changed meanwhile: ${reason}; try again`,
        options
      );
    case 422:
      // The objects are built from the gateway's config and the validated sizing: an invalid one is a setting to fix.
      return new KernelLaunchError(
        `the Kubernetes API refused ${action.object} as invalid: ${reason}; check the gateway's kubernetes settings (images, GPU node selector and tolerations, runAsUser, service accounts) and the profile's sizing`,
        options
      );
    default:
      return new ServiceUnavailableError(`could not ${doing}: Kubernetes API answered ${code}: ${reason}`, options);
  }
}

/**
 * What a failed list or watch of a namespace's pods means for an operator: a 503 (the gateway's
 * deployment, not the user, is at fault) naming the namespace, the API server's reason and the fix.
 */
export function watchFailure(namespace: string, error: unknown, server?: string): ServiceUnavailableError {
  const cannot = `cannot watch pods in namespace ${namespace}`;
  const code = apiStatus(error);
  const reason = apiReason(error);
  const options = { cause: error };
  switch (code) {
    case 403:
      // With the gateway bound only by RoleBindings, a namespace that does not exist answers 403 too.
      return new ServiceUnavailableError(
        `${cannot}: forbidden: ${reason}; the namespace may not exist or may lack the gateway's RoleBinding (apply images/deploy/tenant.yaml for it)`,
        options
      );
    case 401:
      return new ServiceUnavailableError(`${cannot}: unauthorized: ${reason}; check the gateway's service account token or kubeconfig`, options);
    case 404:
      return new ServiceUnavailableError(`${cannot}: not found: ${reason}; the platform team must create it (images/deploy/tenant.yaml)`, options);
    case undefined:
      return new ServiceUnavailableError(`${cannot}: ${unreachable(server)}: ${reason}`, options);
    default:
      return new ServiceUnavailableError(`${cannot}: Kubernetes API answered ${code}: ${reason}`, options);
  }
}

/**
 * The HTTP status of a failed API request (`ApiException.code`) or watch request (`statusCode`);
 * `undefined` when no answer came (connection refused, DNS, TLS).
 */
export function apiStatus(error: unknown): number | undefined {
  if (error instanceof ApiException) {
    return error.code;
  }
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/** The API server's own words (its Status `message`), else the error's message and cause; at most 500 characters of either. */
export function apiReason(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    const parsed = typeof body === 'string' ? parseJson(body) : body;
    const message = (parsed as { message?: unknown } | null)?.message;
    if (typeof message === 'string') {
      return message;
    }
    return typeof body === 'string' && body ? body.slice(0, 500) : `HTTP ${error.code}`;
  }
  if (!(error instanceof Error)) {
    return String(error);
  }
  // fetch says only "fetch failed"; what failed (connect ECONNREFUSED 127.0.0.1:6443, a TLS error) is its cause.
  const cause = error.cause instanceof Error && error.cause.message ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`.slice(0, 500);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
