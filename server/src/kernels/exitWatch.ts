/**
 * A kernel that ends by itself (crash, OOM kill, pod evicted) is marked dead with the reason,
 * its clients hear `dead`, and what it leaves behind is cleaned up at once; it stays listed.
 */
import type { KernelExit, LaunchedKernel } from '../backends/types.js';
import type { Logger } from '../log.js';
import type { GatewayKernel } from './kernel.js';

/** What exit watching needs of a kernel. */
export type WatchedKernel = Pick<GatewayKernel, 'id' | 'launched' | 'update' | 'unbindChannels' | 'broadcastStatus' | 'closeClients'>;

/**
 * The reason a dead kernel shows: the exit code or signal (when known: a deleted pod or an
 * adopted local process has neither) and the last lines of its log or the pod's end.
 */
export function deathReason(exit: KernelExit): string {
  const how = exit.code ?? exit.signal;
  return `kernel process ended${how === null ? '' : ` (${how})`}: ${exit.reason.split('\n').slice(-3).join(' ')}`;
}

/**
 * Watches `launched` (the kernel's current process or pod) until it exits. One another gateway
 * stopped on purpose is `removed` (shut down, restarted there) or dead with its cull reason; that
 * gateway cleans up.
 */
export function watchExit<K extends WatchedKernel>(kernel: K, launched: LaunchedKernel, logger: Logger, removed?: (kernel: K) => void): void {
  void launched.exited.then(exit => {
    if (kernel.launched !== launched) {
      return; // restarted or shut down on purpose
    }
    if (exit.byGateway === 'removed' && removed) {
      logger.info('kernel shut down through another gateway', { kernel: kernel.id });
      kernel.unbindChannels();
      kernel.update({ launched: null, state: 'terminating' });
      kernel.closeClients(1000, 'kernel shut down');
      removed(kernel);
      return;
    }
    if (exit.byGateway) {
      logger.info('kernel stopped through another gateway', { kernel: kernel.id, reason: exit.reason });
      kernel.unbindChannels();
      kernel.update({ launched: null, state: 'dead', reason: exit.reason });
      kernel.broadcastStatus('dead');
      kernel.closeClients(1000, exit.reason);
      return;
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
