/**
 * One warm pool driver's life on the kernel side: started owned by nobody (`POOL_USER`), warmed up
 * (a PySpark driver's SparkSession, locally a first job), then claimed — handed to a requester,
 * recorded by the backend and given their settings inside the kernel. Which pools to keep full and
 * when to refill is fleet/pools.ts's; the registry stays the manager's, reached through
 * {@link WarmHost} (this module never imports manager.ts).
 */
import type { Identity } from '../auth/types.js';
import { POOL_USER } from '../backends/types.js';
import type { Profile, Sizing } from '../config/types.js';
import type { PoolDriver } from '../fleet/pools.js';
import type { Logger } from '../log.js';
import { parseContent } from '../protocol/wire.js';
import { claimCell } from './claimCell.js';
import type { GatewayKernel, KernelOptions } from './kernel.js';
import { stopKernel } from './process.js';
import type { StartKernelRequest } from './types.js';

/** A pool's view of one of its drivers: warm once launched, idle and (Spark) warmed up. */
export interface WarmDriver extends PoolDriver {
  readonly kernel: GatewayKernel;
}

/**
 * Run silently in a new PySpark driver before it counts as warm (`warmUp`): waits for the
 * SparkSession, then, where tasks run in the driver's JVM (local masters), runs a first job. A
 * driver on a cluster holds no executors while warm (or its minimum), so no job there.
 */
export const SPARK_WARM_UP = "if spark.sparkContext.master.startswith('local'):\n    spark.range(1).count()";

/** How long a claimed driver may take to apply its claimer's settings (the claim cell). */
const CLAIM_CELL_TIMEOUT_MS = 30_000;

/** What a warm driver needs of the manager's registry: narrow, so the manager's maps stay its own. */
export interface WarmHost {
  readonly logger: Logger;
  /** The launch timeout, also the warm-up's. */
  readonly startTimeoutMs: number;
  /** Throws the tenancy's `LimitExceededError` when the tenant has no room for `sizing`. */
  assertMayStart(owner: Identity, sizing: Sizing): void;
  newId(): string;
  /** Adds a kernel to the registry (not launched yet). */
  register(options: Omit<KernelOptions, 'logger' | 'onChange' | 'now'>, env: Readonly<Record<string, string>>): GatewayKernel;
  /** Launches a registered kernel under the manager's abort guard. */
  launch(kernel: GatewayKernel, pooled: boolean): Promise<void>;
  /** True while `kernel` is still the registry's entry for its id. */
  holds(kernel: GatewayKernel): boolean;
  shutdown(kernel: GatewayKernel): Promise<void>;
  /** Replaces the env a kernel's (re)launches get (a claimer's `KERNEL_*`). */
  setEnv(id: string, env: Readonly<Record<string, string>>): void;
}

/** A warm pool's driver, owned by nobody (`POOL_USER`) until `claimWarm`. */
export function startWarm(host: WarmHost, tenant: string, profile: Profile): WarmDriver {
  host.assertMayStart({ user: POOL_USER, tenant }, profile.sizing);
  const id = host.newId();
  const kernel = host.register({ id, name: profile.id, profile, sizing: profile.sizing, owner: { user: POOL_USER, tenant } }, {});
  let warmedUp = !profile.spark;
  const ready = host
    .launch(kernel, true)
    .then(async () => {
      if (profile.spark) {
        await warmUp(kernel, host.startTimeoutMs);
        warmedUp = true;
      }
      host.logger.info('warm driver ready', { kernel: id, spec: profile.id, tenant });
    })
    .catch(async (error: unknown) => {
      // Nothing to show a user: it goes, and the pool replaces it after a back-off.
      if (host.holds(kernel)) {
        await host.shutdown(kernel).catch(() => undefined);
      }
      throw error;
    });
  ready.catch(() => undefined);
  kernel.update({ ready });
  return {
    id,
    kernel,
    ready,
    get warm() {
      return warmedUp && kernel.warm;
    }
  };
}

/**
 * Warm means the SparkSession is up: the launcher creates it in the background after the kernel
 * answers (and Spark's UI, which `spark-ready` watches, comes up before the session does). Locally
 * a first job too, whose class loading takes seconds. Either would otherwise be the claimer's
 * wait. Rejects when Spark failed to start.
 */
export async function warmUp(kernel: GatewayKernel, timeoutMs: number): Promise<void> {
  const reply = await kernel.request(
    'shell',
    'execute_request',
    { code: SPARK_WARM_UP, silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false },
    timeoutMs,
    { untilIdle: true }
  );
  const content = reply && parseContent(reply);
  if (content?.status !== 'ok') {
    throw new Error(content ? `Spark did not start: ${String(content.ename)}: ${String(content.evalue)}` : 'Spark did not answer a first job in time');
  }
}

/**
 * Hands a warm driver to the requester: theirs in memory at once (listed, attachable), then
 * recorded by the backend (pods: annotations) and given their settings inside the kernel.
 */
export function claimWarm(host: Pick<WarmHost, 'logger' | 'setEnv'>, kernel: GatewayKernel, request: StartKernelRequest, name: string): GatewayKernel {
  const { logger } = host;
  kernel.claim(request.owner, name);
  host.setEnv(kernel.id, request.env);
  logger.info('warm driver claimed', { kernel: kernel.id, spec: kernel.profile.id, user: request.owner.user, tenant: request.owner.tenant });
  const launched = kernel.launched;
  const ready = (async () => {
    const applied = (await launched?.claim?.({ owner: request.owner, kernelName: name, env: request.env })) ?? {};
    const code = claimCell(request.env, applied);
    // Until idle: the claimer is answered with an idle kernel, as after a cold start, not with the claim's busy.
    const reply = await kernel.request(
      'shell',
      'execute_request',
      { code, silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false },
      CLAIM_CELL_TIMEOUT_MS,
      { untilIdle: true }
    );
    if (reply === null) {
      logger.warn('claimed warm driver did not confirm its settings', { kernel: kernel.id });
    } else {
      const content = parseContent(reply);
      if (content.status !== 'ok') {
        logger.warn('claimed warm driver could not apply its settings', { kernel: kernel.id, error: `${String(content.ename)}: ${String(content.evalue)}` });
      }
    }
  })();
  ready.catch(async (error: unknown) => {
    // Not recorded for its new owner: another gateway could not adopt it as theirs. It goes.
    logger.warn('warm driver could not be handed over; stopped', { kernel: kernel.id, error });
    await stopKernel(kernel, { state: 'dead', reason: `the warm driver could not be handed over: ${(error as Error).message}` }, 0).catch(() => undefined);
    kernel.broadcastStatus('dead');
  });
  kernel.update({ ready });
  return kernel;
}
