import type { Identity } from '../auth/types.js';
import type { ExecutionState, WsProtocol } from '../protocol/messages.js';

/** A kernel as jupyter_server's GatewayClient parses it (`last_activity` with microseconds + Z). */
export interface KernelModel {
  id: string;
  name: string;
  last_activity: string;
  execution_state: ExecutionState;
  connections: number;
  reason?: string;
}

/** One websocket client of a kernel, as the kernel sees it. */
export interface KernelClient {
  /** The client's Jupyter session id (`?session_id=`), used to route replies to their requester. */
  readonly sessionId: string | null;
  readonly protocol: WsProtocol;
  /** Sends an already-encoded frame. */
  deliver(data: string | Buffer): void;
  /** Closes the client's connection (kernel shut down, client misbehaved). */
  close(code: number, reason: string): void;
}

/** Options of `POST /api/kernels` after validation. */
export interface StartKernelRequest {
  owner: Identity;
  /** Kernelspec name; the default profile when absent. */
  name?: string;
  /** `KERNEL_*` variables from the client, validated. */
  env: Readonly<Record<string, string>>;
}
