/**
 * When is a freshly bound kernel ready? When it answered a kernel_info_request and its iopub is
 * live (ZeroMQ SUB sockets miss what is published before they connect). Re-asks like
 * jupyter_server's nudge, with the gateway's one back-off policy.
 */
import type { KernelExit } from '../backends/types.js';
import { KernelLaunchError } from '../errors.js';
import type { RawMessage } from '../protocol/messages.js';
import { Backoff } from '../util/retry.js';

/** What readiness needs of a kernel: a way to ask, and whether iopub is flowing. */
export interface ReadinessProbe {
  request(channel: 'shell', msgType: 'kernel_info_request', content: Record<string, never>, timeoutMs: number): Promise<RawMessage | null>;
  /** iopub messages received so far; readiness needs one more than when it began. */
  readonly iopubReceived: number;
}

export interface AwaitReadyOptions {
  kernel: ReadinessProbe;
  /** Settles when the kernel's process or pod ends: readiness then fails with its reason. */
  exited: Promise<KernelExit>;
  /** Aborts the wait (start timeout, shutdown during start) with its reason. */
  signal: AbortSignal;
  /** How long each kernel_info_request stays pending: until the start deadline, so a late reply counts. */
  requestTimeoutMs: number;
  /** Delays between re-asks; default 250 ms doubling to 2 s, a quarter jittered. */
  backoff?: Backoff;
  /** Milliseconds clock; default `Date.now`. */
  now?: () => number;
  /** How long to wait between checks; default a 20 ms timer. */
  pause?: () => Promise<void>;
}

/** How often readiness is checked: it has no single event (reply and iopub come in either order). */
const CHECK_MS = 20;

/** Resolves once the kernel is ready; rejects with `KernelLaunchError` if it exits, or the abort reason. */
export async function awaitReady(options: AwaitReadyOptions): Promise<void> {
  const { kernel, signal } = options;
  const now = options.now ?? Date.now;
  const pause = options.pause ?? (() => new Promise<void>(resolve => setTimeout(resolve, CHECK_MS)));
  const reAsk = options.backoff ?? new Backoff({ initialMs: 250, maxMs: 2000, jitter: 0.25 });
  let exited = false;
  const exit = options.exited.then(e => {
    exited = true;
    return e;
  });
  const iopubBefore = kernel.iopubReceived;
  let replied = false;
  let nextAsk = 0;
  for (;;) {
    if (signal.aborted) {
      throw signal.reason;
    }
    if (exited) {
      const e = await exit;
      throw new KernelLaunchError(`kernel exited during start (code ${e.code ?? e.signal}): ${e.reason}`);
    }
    if (replied && kernel.iopubReceived > iopubBefore) {
      return;
    }
    if (now() >= nextAsk) {
      // Every request stays pending until the start deadline: a late reply still counts.
      void kernel.request('shell', 'kernel_info_request', {}, options.requestTimeoutMs).then(reply => {
        replied ||= reply !== null;
      });
      nextAsk = now() + reAsk.next();
    }
    await Promise.race([pause(), exit]);
  }
}
