/**
 * One kernel's process or pod: launch it through the backend, bind its channels and wait until it
 * answers, stop it politely then surely. The manager decides when (and guards against doing two
 * at once); these functions do it for one kernel.
 */
import { randomBytes } from 'node:crypto';
import type { Backend, LaunchedKernel } from '../backends/types.js';
import type { KernelChannelsFactory } from '../channels/types.js';
import { ConflictError, GatewayError, KernelStartTimeoutError } from '../errors.js';
import type { Logger } from '../log.js';
import { watchExit } from './exitWatch.js';
import type { GatewayKernel } from './kernel.js';
import { awaitReady } from './readiness.js';
import type { KernelPatch } from './state.js';

/** What launching and connecting need besides the kernel. */
export interface ProcessContext {
  backend: Pick<Backend, 'launch'>;
  channels: KernelChannelsFactory;
  startTimeoutMs: number;
  logger: Logger;
  /** A kernel another gateway (a replica) shut down or restarted: drop it from the list. */
  removed?: (kernel: GatewayKernel) => void;
}

/** Binds ZeroMQ to a running kernel and waits until it answers; then it is idle and watched for exit. */
export async function connectKernel(
  kernel: GatewayKernel,
  launched: LaunchedKernel,
  signal: AbortSignal,
  context: Omit<ProcessContext, 'backend'>
): Promise<void> {
  const { logger } = context;
  kernel.update({ launched });
  kernel.bindChannels(
    context.channels({
      connection: launched.connection,
      onMessage: msg => kernel.fromKernel(msg),
      onInvalid: reason => logger.warn('invalid message from kernel dropped', { kernel: kernel.id, user: kernel.owner.user, tenant: kernel.owner.tenant, reason }),
      logger: logger.child({ kernel: kernel.id, user: kernel.owner.user, tenant: kernel.owner.tenant })
    })
  );
  await awaitReady({ kernel, exited: launched.exited, signal, requestTimeoutMs: context.startTimeoutMs });
  kernel.update({ phase: kernel.profile.spark ? 'kernel-ready' : 'spark-ready', state: 'idle' });
  // Idle time counts from when the kernel is usable: a launch that waited for a GPU node is not
  // idleness. An adopted kernel keeps the activity its gateways recorded (culling agrees across them).
  const recorded = launched.recordedActivity?.() ?? null;
  if (recorded) {
    kernel.adoptActivity(recorded);
  } else {
    kernel.keepAlive();
  }
  // Clients that stayed attached through a restart are told to the other replicas too.
  launched.clientsAttached?.(kernel.connections > 0);
  kernel.flushHeld();
  watchExit(kernel, launched, logger, context.removed);
}

export interface LaunchOptions extends ProcessContext {
  /** `KERNEL_*` variables the kernel was asked for with. */
  env: Readonly<Record<string, string>>;
  /** Aborted to cancel the launch (shutdown during start); the start timeout aborts it too. */
  abort: AbortController;
  /** The backend saw the cluster's executors change. */
  onStatus: () => void;
  /** A warm pool's driver (`LaunchRequest.pooled`). */
  pooled?: boolean;
}

/**
 * Launches the kernel and connects to it. On failure nothing is left running; a failed restart
 * leaves the kernel dead (clients hear `dead`), a failed first start leaves it to the caller.
 */
export async function launchKernel(kernel: GatewayKernel, options: LaunchOptions): Promise<void> {
  const { abort, startTimeoutMs } = options;
  const timer = setTimeout(() => abort.abort(new KernelStartTimeoutError(`kernel did not start within ${startTimeoutMs / 1000} s`)), startTimeoutMs);
  let launched: LaunchedKernel | undefined;
  try {
    launched = await options.backend.launch({
      kernelId: kernel.id,
      owner: kernel.owner,
      profile: kernel.profile,
      sizing: kernel.sizing,
      key: randomBytes(32).toString('hex'),
      env: options.env,
      signal: abort.signal,
      onPhase: (phase, detail) => kernel.update({ phase, phaseDetail: detail ?? null }),
      kernelName: kernel.name,
      onStatus: options.onStatus,
      ...(options.pooled ? { pooled: true } : {})
    });
    await connectKernel(kernel, launched, abort.signal, options);
  } catch (error) {
    const cause = abort.signal.aborted && abort.signal.reason instanceof GatewayError ? abort.signal.reason : error;
    kernel.unbindChannels();
    const restarting = kernel.state === 'restarting';
    kernel.update({ launched: null, ...(restarting ? { state: 'dead', reason: (cause as Error).message } : {}) });
    await launched?.terminate(0).catch(() => undefined);
    if (restarting) {
      kernel.broadcastStatus('dead');
    }
    throw cause;
  } finally {
    clearTimeout(timer);
  }
}

/** Applies `change` (the kernel's new state) and stops its process or pod, if any. */
export async function stopKernel(kernel: GatewayKernel, change: KernelPatch, graceMs: number): Promise<void> {
  const launched = kernel.launched;
  kernel.update({ ...change, launched: null });
  if (!launched) {
    kernel.unbindChannels();
    return;
  }
  // Politely first, so the kernel stops its SparkSession; then the backend makes sure.
  // Until idle, not just the reply: the kernel's idle for it reaches clients before the channels close.
  await kernel.request('control', 'shutdown_request', { restart: false }, Math.min(graceMs, 2000), { untilIdle: true });
  kernel.unbindChannels();
  // Other gateways serving it drop it (shut down, restarted) or list it dead with the reason (culled).
  await launched.terminate(graceMs, change.state === 'dead' ? { culled: change.reason ?? 'stopped by the gateway' } : { removed: true });
}

/** Interrupts a running kernel the way its backend says: a signal (local) or `interrupt_request` (pods). */
export async function interruptKernel(kernel: Pick<GatewayKernel, 'id' | 'state' | 'launched' | 'request'>): Promise<void> {
  const launched = kernel.launched;
  if (!launched || kernel.state === 'dead' || kernel.state === 'starting' || kernel.state === 'restarting') {
    throw new ConflictError(`kernel ${kernel.id} is ${kernel.state}; it can be interrupted once it is idle or busy`);
  }
  if (launched.interruptMode === 'message') {
    // Pods get no signals from the gateway: ipykernel turns this into SIGINT inside the pod.
    const reply = await kernel.request('control', 'interrupt_request', {}, 10_000);
    if (reply === null) {
      throw new ConflictError(`kernel ${kernel.id} did not answer the interrupt request within 10 s`);
    }
    return;
  }
  await launched.interrupt();
}
