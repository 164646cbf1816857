/**
 * Ports the kernel picked itself. The gateway writes the connection file with ports 0 and
 * ipykernel binds random free ports (retrying on EADDRINUSE), then writes them back into the
 * file. Reserving ports in the gateway and handing them over raced with every other process on
 * the host: with many kernels starting at once a port released by the gateway was taken (e.g. as
 * a connection's source port) before the kernel bound it, and the kernel died with EADDRINUSE.
 */
import { readFile } from 'node:fs/promises';
import { KernelLaunchError } from '../../errors.js';
import type { ConnectionInfo } from '../../protocol/messages.js';
import type { KernelExit } from '../types.js';

const PORTS = ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'] as const;

/** The connection with every port set, or null while the kernel has not written them (or the file is mid-write). */
export function boundConnection(text: string, base: ConnectionInfo): ConnectionInfo | null {
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof info !== 'object' || info === null) {
    return null;
  }
  const ports = info as Record<string, unknown>;
  const bound = { ...base };
  for (const name of PORTS) {
    const port = ports[name];
    if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) {
      return null;
    }
    bound[name] = port;
  }
  return bound;
}

export interface AwaitBoundPortsOptions {
  file: string;
  base: ConnectionInfo;
  exited: Promise<KernelExit>;
  signal: AbortSignal;
  /** How often the file is read; ipykernel writes it once, within a second of starting. */
  pollMs?: number;
}

/** Resolves with the kernel's bound ports; rejects if it exits first, or with the abort reason. */
export async function awaitBoundPorts(options: AwaitBoundPortsOptions): Promise<ConnectionInfo> {
  let exit: KernelExit | null = null;
  void options.exited.then(e => {
    exit = e;
  });
  const pollMs = options.pollMs ?? 20;
  for (;;) {
    if (options.signal.aborted) {
      throw options.signal.reason;
    }
    const bound = boundConnection(await readFile(options.file, 'utf8').catch(() => ''), options.base);
    if (bound) {
      return bound;
    }
    if (exit !== null) {
      const e: KernelExit = exit;
      throw new KernelLaunchError(`kernel exited during start (code ${e.code ?? e.signal}): ${e.reason}`);
    }
    // The file has no change event that works everywhere (fs.watch misses renames on some
    // filesystems): read it again shortly, or stop at once when the kernel exits.
    await Promise.race([new Promise(resolve => setTimeout(resolve, pollMs)), options.exited]);
  }
}
