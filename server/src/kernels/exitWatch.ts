/**
 * A kernel that ends by itself (crash, OOM kill, pod evicted) is marked dead with the reason,
 * its clients hear `dead`, and what it leaves behind is cleaned up at once; it stays listed.
 */
import type { KernelExit, LaunchedKernel } from '../backends/types.js';
import type { Logger } from '../log.js';
import type { GatewayKernel } from './kernel.js';

/** What exit watching needs of a kernel. */
export type WatchedKernel = Pick<GatewayKernel, 'id' | 'launched' | 'update' | 'unbindChannels' | 'broadcastStatus'>;

/**
 * The reason a dead kernel shows: the exit code or signal (when known: a deleted pod or an
 * adopted local process has neither) and the last lines of its log or the pod's end.
 */
export function deathReason(exit: KernelExit): string {
  const how = exit.code ?? exit.signal;
  return `kernel process ended${how === null ? '' : ` (${how})`}: ${exit.reason.split('\n').slice(-3).join(' ')}`;
}

/** Watches `launched` (the kernel's current process or pod) until it exits. */
export function watchExit(kernel: WatchedKernel, launched: LaunchedKernel, logger: Logger): void {
  void launched.exited.then(exit => {
    if (kernel.launched !== launched) {
      return; // restarted or shut down on purpose
    }
    logger.warn('kernel died', { kernel: kernel.id, code: exit.code, signal: exit.signal });
    kernel.unbindChannels();
    kernel.update({ launched: null, state: 'dead', reason: deathReason(exit) });
    kernel.broadcastStatus('dead');
    // Clean up what the dead kernel leaves at once (its JVM and key directory locally; the ended
    // pod and the Secret, Service and policy it owns on Kubernetes); it stays listed as dead.
    launched.terminate(0).then(
      () => logger.info('dead kernel cleaned up', { kernel: kernel.id }),
      (error: unknown) => logger.warn('could not clean up a dead kernel', { kernel: kernel.id, error })
    );
  });
}
