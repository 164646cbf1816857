/**
 * Kernels the gateway did not start in this process: clusters named `<profile>--<id>` that a
 * notebook asks for again, and kernels an earlier gateway process left running (pods outlive it).
 * Decides which, and binds the adopted ones; the manager lists them (the registry stays its own).
 */
import type { Identity } from '../auth/types.js';
import { POOL_USER, type Backend, type DiscoveredKernel } from '../backends/types.js';
import type { GatewayConfig, Profile } from '../config/types.js';
import { owns } from '../fleet/tenancy.js';
import type { GatewayKernel } from './kernel.js';
import { connectKernel, type ProcessContext } from './process.js';

const CLUSTER_NAME = /^(.+)--([0-9a-f-]{36})$/;

/** The kernel name of a launched cluster, which lets jupyter_server attach a notebook to it. */
export function clusterName(profileId: string, kernelId: string): string {
  return `${profileId}--${kernelId}`;
}

/** `<profile>--<id>` → its parts; null for any other name (a plain kernelspec). */
export function parseClusterName(name: string): { profileId: string; kernelId: string } | null {
  const match = CLUSTER_NAME.exec(name);
  return match ? { profileId: match[1] ?? '', kernelId: match[2] ?? '' } : null;
}

/**
 * `POST /api/kernels` naming a cluster (`<profile>--<id>`): the caller's running cluster, or —
 * for someone else's or a finished one (a shared notebook) — the plain profile to start afresh.
 * Any other name is returned as it is.
 */
export function resolveStartName<K extends { readonly name: string; readonly owner: Identity }>(
  request: { owner: Identity; name?: string },
  find: (kernelId: string) => K | undefined
): { kernel: K } | { name: string | undefined } {
  const parsed = parseClusterName(request.name ?? '');
  if (!parsed) {
    return { name: request.name };
  }
  const kernel = find(parsed.kernelId);
  if (kernel && owns(request.owner, kernel) && kernel.name === request.name) {
    return { kernel };
  }
  return { name: parsed.profileId };
}

/** Where re-adopted kernels go: the manager, seen narrowly. */
export interface AdoptionHost {
  /** Whether a kernel with this id is known already. */
  has(kernelId: string): boolean;
  /** Lists a kernel for `found`, started from `profile`, as every kernel is listed (state `starting`). */
  register(found: DiscoveredKernel, profile: Profile): GatewayKernel;
  /** The backend saw an adopted cluster's executors change. */
  onStatus(kernel: GatewayKernel): void;
}

export interface AdoptRunningOptions {
  backend: Pick<Backend, 'discover' | 'watchKernels'>;
  config: Pick<GatewayConfig, 'profiles' | 'tenants'>;
  host: AdoptionHost;
  /** How adopted kernels get their channels bound (process.ts); also the logger. */
  context: Omit<ProcessContext, 'backend'>;
}

/**
 * Takes over the kernels an earlier gateway process left running in the tenants' namespaces, so
 * users find their clusters — and their variables — after a gateway restart. Kernels whose
 * profile or tenant is no longer configured, or already known, are left alone. Returns how many
 * were taken over; each settles its `ready` as connected, or as dead with the reason.
 */
export async function adoptRunning(options: AdoptRunningOptions): Promise<number> {
  const { backend, config } = options;
  if (!backend.discover) {
    return 0;
  }
  let adopted = 0;
  for (const found of await backend.discover(namespacesOf(config))) {
    if (adoptFound(found, options)) {
      adopted++;
    }
  }
  return adopted;
}

/**
 * Keeps adopting (active-active replicas): kernels another gateway starts in the tenants'
 * namespaces are listed, connectable and deletable here too (ZeroMQ allows several clients of
 * one kernel). Returns the stop; a backend without `watchKernels` has nothing to follow.
 */
export function watchRunning(options: AdoptRunningOptions): () => void {
  const { backend, config, host } = options;
  if (!backend.watchKernels) {
    return () => undefined;
  }
  return backend.watchKernels(namespacesOf(config), {
    known: id => host.has(id),
    found: found => {
      adoptFound(found, options);
    }
  });
}

function namespacesOf(config: Pick<GatewayConfig, 'tenants'>): string[] {
  return Object.values(config.tenants).map(t => t.namespace);
}

/** Lists and connects one found kernel; false when it is left alone. */
function adoptFound(found: DiscoveredKernel, options: AdoptRunningOptions): boolean {
  const { config, host, context } = options;
  const logger = context.logger;
  const profile = config.profiles[found.profileId];
  if (found.owner.user === POOL_USER && !host.has(found.kernelId)) {
    // An unclaimed warm driver of a gateway that died: nobody's, so nobody's to adopt.
    logger.info('warm driver left by an earlier gateway stopped', { kernel: found.kernelId, tenant: found.owner.tenant });
    void found
      .adopt(() => undefined)
      .terminate(0)
      .catch((error: unknown) => logger.warn('could not stop a leftover warm driver', { kernel: found.kernelId, error }));
    return false;
  }
  if (!profile || !config.tenants[found.owner.tenant] || host.has(found.kernelId)) {
    logger.warn('running kernel left alone: already known, or its profile or tenant is no longer configured', {
      kernel: found.kernelId,
      profile: found.profileId,
      tenant: found.owner.tenant
    });
    return false;
  }
  const kernel = host.register(found, profile);
  const launched = found.adopt(() => host.onStatus(kernel));
  const ready = connectKernel(kernel, launched, AbortSignal.timeout(context.startTimeoutMs), context).then(
    () => logger.info('kernel adopted', { kernel: kernel.id, user: kernel.owner.user }),
    (error: unknown) => {
      // Left listed as dead with the reason: the user may restart or shut it down.
      kernel.unbindChannels();
      kernel.update({ state: 'dead', reason: `kernel did not answer after a gateway restart: ${(error as Error).message}` });
    }
  );
  kernel.update({ ready });
  return true;
}
