/**
 * Tenancy over the gateway's kernels: which profiles a user's tenant may launch, what the tenant
 * holds now, and whether one more kernel fits (per-user count, tenant quotas).
 */
import type { Identity } from '../auth/types.js';
import { POOL_USER } from '../backends/types.js';
import type { GatewayConfig, Profile, Sizing } from '../config/types.js';
import { InputError, LimitExceededError, NotFoundError } from '../errors.js';
import { addUsage, assertWithinLimits, NO_USAGE, totalsOf, type Usage } from '../kernels/sizing.js';
import type { Kernel } from '../kernels/types.js';

/** What tenancy needs of a kernel. */
export type TenantKernel = Pick<Kernel, 'owner' | 'state' | 'sizing'>;

export interface TenancyOptions {
  config: Pick<GatewayConfig, 'profiles' | 'tenants' | 'defaultProfile' | 'input'>;
  /** Every kernel the gateway holds now, of any owner and state. */
  kernels: () => Iterable<TenantKernel>;
  /** Why no node could ever hold this sizing (the backend's view of nodes), or null; absent = not known. */
  fitProblem?: (sizing: Sizing) => string | null;
}

/** Whether `kernel` belongs to `owner` (same user in the same tenant). */
export function owns(owner: Identity, kernel: { readonly owner: Identity }): boolean {
  return kernel.owner.user === owner.user && kernel.owner.tenant === owner.tenant;
}

/** Profiles, usage and limits of tenants, over the kernels `options.kernels` lists. */
export class Tenancy {
  constructor(options: TenancyOptions) {
    this._o = options;
  }

  /** Profiles the identity's tenant may launch. */
  profilesFor(owner: Identity): Profile[] {
    const tenant = this._o.config.tenants[owner.tenant];
    return (tenant?.profiles ?? []).map(id => this._o.config.profiles[id]).filter((p): p is Profile => p !== undefined);
  }

  /** Resolves a kernelspec name the owner may use (the default profile when absent). */
  profileFor(owner: Identity, name: string | undefined): Profile {
    const allowed = this.profilesFor(owner);
    const wanted = name ?? this._o.config.defaultProfile;
    const profile = allowed.find(p => p.id === wanted);
    if (!profile) {
      throw new NotFoundError(`kernel spec '${wanted}' does not exist; available: ${allowed.map(p => p.id).join(', ') || '(none)'}`);
    }
    return profile;
  }

  /** What the tenant holds now, summed over its kernels that are not dead. */
  usageOf(tenant: string): Usage {
    let usage = NO_USAGE;
    for (const kernel of this._o.kernels()) {
      if (kernel.owner.tenant === tenant && kernel.state !== 'dead') {
        usage = addUsage(usage, totalsOf(kernel.sizing));
      }
    }
    return usage;
  }

  /**
   * Refuses one more kernel of `sizing` for `owner` with `LimitExceededError`: the user has
   * `input.maxKernelsPerUser` kernels that are not dead, or the tenant's limits would be exceeded.
   * A dead kernel (culled, crashed, failed to start) holds no process or pod: it stays listed so
   * the notebook can show why, but must not keep its owner from starting another (issue 13). So
   * bringing a dead one back (a restart) is a start too, and should pass this check first.
   * `sizing` null: the kernel's resources are counted already (claiming a warm driver).
   */
  assertMayStart(owner: Identity, sizing: Sizing | null): void {
    const max = this._o.config.input.maxKernelsPerUser;
    // A pool's unclaimed drivers are nobody's: only the tenant's limits bound them.
    if (max > 0 && owner.user !== POOL_USER) {
      let owned = 0;
      for (const kernel of this._o.kernels()) {
        owned += owns(owner, kernel) && kernel.state !== 'dead' ? 1 : 0;
      }
      if (owned >= max) {
        throw new LimitExceededError(`kernels: you have ${max} running, the limit per user; shut one down first`);
      }
    }
    const tenant = this._o.config.tenants[owner.tenant];
    if (tenant && sizing) {
      assertWithinLimits(sizing, tenant.limits, this.usageOf(owner.tenant), owner.tenant);
    }
    // Within quota but bigger than any node: it would wait as an unschedulable pod for ever.
    const problem = sizing ? (this._o.fitProblem?.(sizing) ?? null) : null;
    if (problem) {
      throw new InputError(`sizing: ${problem}`);
    }
  }

  private readonly _o: TenancyOptions;
}
