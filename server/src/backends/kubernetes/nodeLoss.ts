/**
 * Is a node the control plane reports lost really gone for this kernel? kube-controller-manager
 * marks a node's pods not ready when it has not seen the node's lease for its grace period — also
 * when only the control plane was away (a kube-apiserver outage: no kubelet could renew, and the
 * controller's own watches reconnect with back-off afterwards). The gateway reaches the driver pod
 * itself (ZeroMQ to the pod IP, no API server in between), so it asks the pod before it gives the
 * kernel up: a kernel that still accepts connections keeps running, and is asked again while the
 * report stands (a node that dies later still ends it).
 */
import { connect } from 'node:net';
import { type Timer, unrefTimer } from '../../util/timer.js';

/** Resolves whether `host:port` accepts a TCP connection within `timeoutMs`; never rejects. */
export function tcpReachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (reachable: boolean): void => {
      socket.destroy();
      resolve(reachable);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

export interface NodeLossCheckOptions {
  /** Whether the kernel answers on its pod IP; default a TCP connect to its shell port (5 s timeout). */
  reachable?: () => Promise<boolean>;
  /** How often a kernel that answers is asked again while its node is still reported lost. Default 10 s. */
  recheckMs?: number;
  /** Pause before asking again after a failed ask. Default 1 s. */
  retryMs?: number;
  /** Failed asks in a row that make the node lost for this kernel. Default 2 (one slow connect on a busy node is not a loss). */
  failures?: number;
  timer?: Timer;
}

/** How the check ends: the node is lost (unreachable), or the report no longer stands. */
export interface NodeLossCallbacks {
  /** Still reported lost (the pod's conditions), and this kernel still waits on it. */
  stillReported: () => boolean;
  lost: () => void;
  /** The kernel answered although its node is reported lost (once per report). */
  answered: () => void;
}

/** One kernel's check; `start()` while the report stands, `stop()` when the kernel ends. */
export class NodeLossCheck {
  constructor(options: NodeLossCheckOptions & { reachable: () => Promise<boolean> }, callbacks: NodeLossCallbacks) {
    this._o = options;
    this._c = callbacks;
  }

  /** Starts asking (once; again after the report went away and came back). */
  start(): void {
    if (this._running || this._stopped) {
      return;
    }
    this._running = true;
    this._told = false;
    void this._ask(0);
  }

  stop(): void {
    this._stopped = true;
    this._cancel?.();
    this._cancel = null;
  }

  private async _ask(failed: number): Promise<void> {
    const ok = await this._o.reachable().catch(() => false);
    if (this._stopped || !this._c.stillReported()) {
      this._running = false;
      return;
    }
    const failures = ok ? 0 : failed + 1;
    if (failures >= (this._o.failures ?? 2)) {
      this._running = false;
      this._c.lost();
      return;
    }
    if (ok && !this._told) {
      this._told = true;
      this._c.answered();
    }
    this._cancel = (this._o.timer ?? unrefTimer)(
      () => {
        this._cancel = null;
        void this._ask(failures);
      },
      ok ? (this._o.recheckMs ?? 10_000) : (this._o.retryMs ?? 1000)
    );
  }

  private readonly _o: NodeLossCheckOptions & { reachable: () => Promise<boolean> };
  private readonly _c: NodeLossCallbacks;
  private _running = false;
  private _stopped = false;
  private _told = false;
  private _cancel: (() => void) | null = null;
}
