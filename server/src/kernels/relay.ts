/**
 * The kernel → clients side of the relay: encode-once fan-out, reply routing by session, and the
 * hot-path peek at iopub status messages. Pure functions over messages and clients.
 */
import type { RawMessage } from '../protocol/messages.js';
import { V1_PROTOCOL } from '../protocol/messages.js';
import { makeMessage, serializeWs } from '../protocol/websocket.js';
import { parseHeader, parseParentHeader } from '../protocol/wire.js';
import type { KernelClient } from './types.js';

/** Sends `msg` to every target, encoded once per websocket protocol, not once per client. */
export function deliver(msg: RawMessage, targets: Iterable<KernelClient>): void {
  let legacy: string | Buffer | undefined;
  let v1: string | Buffer | undefined;
  for (const client of targets) {
    const data = client.protocol === V1_PROTOCOL ? (v1 ??= serializeWs(msg, V1_PROTOCOL)) : (legacy ??= serializeWs(msg, ''));
    client.deliver(data, msg.channel);
  }
}

/** Who gets a shell/control/stdin message: the clients of its parent's session, or everyone. */
export function replyTargets(clients: ReadonlySet<KernelClient>, session: string | undefined): Iterable<KernelClient> {
  const targets = [...clients].filter(c => c.sessionId !== null && c.sessionId === session);
  return targets.length > 0 ? targets : clients;
}

/** The parent header's session and msg_id; null when absent or malformed (never throws). */
export function parentOf(msg: RawMessage): { session: string; msg_id: string } | null {
  try {
    return parseParentHeader(msg);
  } catch {
    return null;
  }
}

/** The `execution_state` of an iopub status message; undefined for any other (or malformed) message. */
export function statusOf(msg: RawMessage): unknown {
  // Hot path: most iopub messages are output. Only a header that can be a status is parsed.
  if (!msg.header.includes('"status"')) {
    return undefined;
  }
  try {
    if (parseHeader(msg).msg_type !== 'status') {
      return undefined;
    }
    return (JSON.parse(msg.content) as { execution_state?: unknown }).execution_state;
  } catch {
    return undefined; // a malformed status must not keep the message from clients
  }
}

/**
 * An iopub status message made by the gateway itself (from its own session).
 *
 * #### Notes
 * `restarting` is deliberately not offered. On iopub it means "the server auto-restarted a kernel
 * that died": jupyter_server sends it only from the `KernelRestarter`'s restart callback
 * (`services/kernels/connection/channels.py` 854–857, fired by `jupyter_client/restarter.py`
 * 142), JupyterLab's `KernelConnection` turns it into `autorestarting` and the notebook shows
 * "The kernel appears to have died. It will restart automatically." A restart the user asked
 * for sends no status of its own; clients see the kernel's busy/idle around `shutdown_request`,
 * then the new kernel's around `kernel_info_request` (issue 11, item 2). The gateway never
 * auto-restarts a dead kernel, so it never has a reason to send `restarting`.
 */
export function gatewayStatus(session: string, state: 'dead'): RawMessage {
  return makeMessage({ channel: 'iopub', msgType: 'status', content: { execution_state: state }, session, username: 'sparkgate' });
}
