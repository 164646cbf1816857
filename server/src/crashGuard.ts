/**
 * What the gateway does about errors nobody caught, so none ends it silently.
 *
 * - An unhandled promise rejection is a missed `catch` on some path (a late reply, a closed
 *   socket): it is logged with its stack and the gateway keeps serving.
 * - An uncaught exception leaves the process in a state nobody can vouch for (Node's own advice
 *   is not to resume): it is logged with its stack, then the gateway stops *keeping its kernels*
 *   (listeners and websockets closed, no kernel shut down) and exits with code 1, so its
 *   supervisor (systemd, Kubernetes) restarts it and the next gateway re-adopts every kernel —
 *   pods, and local kernels with a runtime record (which exit by themselves if none comes within
 *   local.adoptGraceSeconds). A crash loses no kernel; only SIGTERM/Ctrl-C shut local kernels down.
 */
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics/types.js';

/** The part of `process` the guard listens to (an EventEmitter in tests). */
export interface CrashSource {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown;
}

export interface CrashGuardOptions {
  source: CrashSource;
  logger: Logger;
  /** Counts what it catches (`sparkgate_errors_total`); default none. */
  metrics?: Pick<GatewayMetrics, 'error'>;
  /** Stops the gateway (idempotent); the guard asks it to leave kernels running for the next gateway. */
  stop: (how: { keepKernels: true }) => Promise<void>;
  exit: (code: number) => void;
  /** Longest wait for `stop` before exiting anyway. */
  graceMs?: number;
}

/** Installs the handlers; see the module comment for the policy. */
export function installCrashGuard(options: CrashGuardOptions): void {
  const { logger } = options;
  let exiting = false;
  options.source.on('unhandledRejection', reason => {
    options.metrics?.error(reason);
    logger.error('unhandled promise rejection; still serving', { error: reason });
  });
  options.source.on('uncaughtException', (error, origin) => {
    options.metrics?.error(error);
    logger.error('uncaught exception; stopping, kernels kept for the next gateway, so that the supervisor restarts it', { error, origin });
    if (exiting) {
      return;
    }
    exiting = true;
    const timer = setTimeout(() => options.exit(1), options.graceMs ?? 30_000);
    timer.unref?.();
    void options.stop({ keepKernels: true }).then(
      () => {
        clearTimeout(timer);
        options.exit(1);
      },
      (stopError: unknown) => {
        logger.error('stop after an uncaught exception failed', { error: stopError });
        clearTimeout(timer);
        options.exit(1);
      }
    );
  });
}
