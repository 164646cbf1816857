import type { Logger } from '../log.js';
import type { ConnectionInfo, RawMessage } from '../protocol/messages.js';

/**
 * The ZeroMQ side of one kernel: DEALER sockets for shell, control and stdin (one shared routing id,
 * so input_request on stdin reaches the same peer as the shell request), one SUB socket for iopub.
 * One instance per kernel, shared by every websocket client of that kernel.
 */
export interface KernelChannels {
  /**
   * Signs and sends a message on its channel (shell, control or stdin). Sends are queued per socket
   * (zeromq.js allows one send in flight); rejects with `QueueFullError` past the bound, with
   * `ChannelsClosedError` after `close()`, and with `InvalidMessageError` for iopub (receive-only).
   */
  send(message: RawMessage): Promise<void>;
  /** Closes every socket; idempotent. In-flight receives end, pending sends reject. */
  close(): void;
  readonly isClosed: boolean;
}

export interface KernelChannelsOptions {
  connection: ConnectionInfo;
  /** Called for every message received from the kernel whose signature verified. */
  onMessage: (message: RawMessage) => void;
  /** Called for frames that could not be decoded or whose signature did not verify (they are dropped). */
  onInvalid?: (reason: string) => void;
  /** Max queued sends per socket before `send` rejects (default 1000). */
  maxQueue?: number;
  /** zmq routing id of the shell, control and stdin sockets (default: a fresh UUID). */
  routingId?: string;
  /** Closes the channels when aborted (same as `close()`). */
  signal?: AbortSignal;
  logger?: Logger;
}

/** Factory seam so tests and the manager can swap the zmq implementation. */
export type KernelChannelsFactory = (options: KernelChannelsOptions) => KernelChannels;
