/**
 * One local kernel as the manager sees it (`LaunchedKernel`), the same whether this gateway
 * spawned it (its exit is the child's `exit` event) or adopted it from an earlier gateway's
 * record (not our child: its exit is seen by polling its pid).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../log.js';
import type { ConnectionInfo } from '../../protocol/messages.js';
import { stopGroup } from '../../util/processGroup.js';
import type { KernelExit, LaunchedKernel } from '../types.js';
import { processAlive } from './processProbe.js';
import { removeKernelDir } from './runtimeDir.js';

export interface LocalKernelOptions {
  /** The launcher's pid, which leads the kernel's process group (its JVM included). */
  pid: number;
  /** The kernel's private folder (connection file, log, record); removed once it is stopped. */
  dir: string;
  connection: ConnectionInfo;
  sparkUi: string | null;
  exited: Promise<KernelExit>;
  logger: Logger;
  /** Settles once a pending record write is done, so removing the folder never races it. */
  settled?: () => Promise<unknown>;
}

/** The last `lines` lines of the kernel's log in `dir`. */
export async function logTail(dir: string, lines: number): Promise<string> {
  const text = await readFile(path.join(dir, 'kernel.log'), 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Settles when `pid` (not our child, so no exit event) is gone. Its exit code is not ours to
 * read: `signal` says so, and the reason is the log's tail as for a child.
 */
export function watchPid(pid: number, start: string | null, options: { dir: string; pollMs: number }): Promise<KernelExit> {
  return new Promise(resolve => {
    const check = (): void => {
      if (processAlive(pid, start)) {
        // Kept ref'd: a stopping gateway awaits this exit before removing the folder, and an
        // unref'd timer would let the process end first (its loop otherwise empty), folder left.
        setTimeout(check, options.pollMs);
        return;
      }
      void logTail(options.dir, 20).then(reason => resolve({ code: null, signal: 'exit status unknown', reason }));
    };
    check();
  });
}

/** The `LaunchedKernel` of a local kernel. */
export function localKernel(o: LocalKernelOptions): LaunchedKernel {
  let terminating: Promise<void> | undefined;
  return {
    connection: o.connection,
    exited: o.exited,
    sparkUi: o.sparkUi,
    interruptMode: 'signal',
    status: () => null,
    interrupt: async () => {
      // Only the kernel process: the JVM ignores SIGINT and the kernel cancels Spark jobs itself.
      process.kill(o.pid, 'SIGINT');
    },
    terminate: graceMs =>
      (terminating ??= (async () => {
        await stopGroup(o.pid, {
          graceMs,
          onKill: () => o.logger.warn('kernel did not stop in time; killing its process group', { graceMs })
        });
        await o.exited;
        await o.settled?.().catch(() => undefined);
        await removeKernelDir(o.dir);
      })()),
    logTail: lines => logTail(o.dir, lines)
  };
}
