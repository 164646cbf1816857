import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { authenticateUpgrade } from '../../auth/middleware.js';
import type { Authenticator } from '../../auth/types.js';
import { describeError, InputError, NotFoundError } from '../../errors.js';
import type { Kernel, KernelClient, KernelManager } from '../../kernels/types.js';
import { V1_PROTOCOL, type WsProtocol } from '../../protocol/messages.js';
import { deserializeWs, isTextFrame } from '../../protocol/websocket.js';
import type { Logger } from '../../log.js';
import { type GatewayMetrics, NO_METRICS } from '../../metrics/types.js';
import { assertKernelId } from '../rest/validate.js';

export interface KernelWebsocketOptions {
  server: Server;
  kernels: KernelManager;
  auth: Authenticator;
  basePath: string;
  maxMessageBytes: number;
  logger: Logger;
  /**
   * Bytes of output that may wait, unwritten, for one client (default `DEFAULT_MAX_BACKLOG_BYTES`);
   * a client with more is closed with 1013 (config `limits.maxWsBacklogBytes`).
   */
  maxBacklogBytes?: number;
  /** Connections, relayed messages and refused upgrades; default none. */
  metrics?: GatewayMetrics;
  /** Upgrade paths handled by someone else (socket.io); left alone here. */
  passThrough?: (path: string) => boolean;
}

/**
 * Default bound of one client's output backlog: 32 MiB, a few seconds of output for a browser
 * that keeps up at all, and small enough that a handful of stalled clients cannot exhaust the
 * gateway (issue 10, item 6: two paused clients took its RSS from 155 MiB to 940 MiB).
 */
export const DEFAULT_MAX_BACKLOG_BYTES = 32 * 1024 * 1024;

/** Websocket close codes used for client errors (RFC 6455). */
const INVALID_PAYLOAD = 1007;
const TRY_AGAIN_LATER = 1013;

/**
 * The kernel websocket, `/api/kernels/{id}/channels`: authenticates the upgrade, checks the
 * kernel is the caller's, then relays frames between the client and the kernel. Speaks the
 * legacy JSON protocol, or `v1.kernel.websocket.jupyter.org` when the client offers it.
 */
export function attachKernelWebsockets(options: KernelWebsocketOptions): WebSocketServer {
  const logger = options.logger;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes,
    perMessageDeflate: false,
    handleProtocols: offered => (offered.has(V1_PROTOCOL) ? V1_PROTOCOL : false)
  });
  const pattern = new RegExp(`^${escape(options.basePath)}/api/kernels/([^/]+)/channels$`);

  options.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://gateway.invalid');
    } catch {
      refuse(socket, describeError(new InputError('the request URL cannot be parsed')));
      return;
    }
    if (options.passThrough?.(url.pathname)) {
      return;
    }
    void upgrade(req, socket, head, url);
  });

  const upgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> => {
    // The client may reset the connection while the authenticator works (a Hub round trip):
    // without a listener that 'error' would be uncaught. ws adds its own once it takes over.
    const onEarlyError = (error: Error): void => logger.debug('websocket upgrade: socket error', { error });
    socket.on('error', onEarlyError);
    try {
      const match = pattern.exec(url.pathname);
      if (!match) {
        throw new NotFoundError(`no websocket at ${url.pathname}; kernels are at /api/kernels/{id}/channels`);
      }
      const identity = await authenticateUpgrade(options.auth, req);
      const id = decodeURIComponent(match[1] ?? '');
      assertKernelId(id);
      const kernel = options.kernels.get(identity, id);
      if (socket.destroyed) {
        return; // gone while we waited: nothing to upgrade, nobody to tell
      }
      socket.off('error', onEarlyError);
      wss.handleUpgrade(req, socket, head, ws => {
        connect(ws, socket, kernel, url.searchParams.get('session_id'), options, logger);
      });
    } catch (error) {
      const description = describeError(error);
      options.metrics?.error(error);
      if (description.status >= 500) {
        logger.error('websocket upgrade failed', { path: url.pathname, status: description.status, error });
      }
      refuse(socket, description);
    }
  };
  return wss;
}

function connect(
  ws: WebSocket,
  socket: Duplex,
  kernel: Kernel,
  sessionId: string | null,
  options: KernelWebsocketOptions,
  logger: Logger
): void {
  const protocol: WsProtocol = ws.protocol === V1_PROTOCOL ? V1_PROTOCOL : '';
  const maxBacklog = options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES;
  const metrics = options.metrics ?? NO_METRICS;
  // The first frame delivered in a tick is written at once (latency); the ones that follow it in
  // the same tick (a backlog drained by the kernel's receive loops) are corked and go out in one
  // write (writev) when the tick's microtasks are done, instead of one syscall each.
  let inTick = false;
  let corked = false;
  const endTick = (): void => {
    inTick = false;
    if (corked) {
      corked = false;
      socket.uncork();
    }
  };
  const client: KernelClient = {
    sessionId,
    protocol,
    deliver: (data, channel) => {
      if (ws.readyState !== WebSocket.OPEN) {
        return;
      }
      if (!inTick) {
        // Checked once per tick, before this tick's frames are added: what is still queued then
        // was sent in earlier ticks and the client has not read it. bufferedAmount is the
        // net.Socket's writableLength (bytes Node holds for this connection, corked ones
        // included) plus ws's own queue; the kernel's socket buffer is not ours to count.
        // A client's backlog so stays under the limit plus one tick's output (the receive loops
        // yield every SLICE_MS), and one large frame still reaches a client that keeps up.
        const backlog = ws.bufferedAmount;
        if (backlog > maxBacklog) {
          logger.warn('websocket client too slow; closing it', {
            kernel: kernel.id,
            backlogBytes: backlog,
            socketQueuedBytes: socket.writableLength,
            maxBacklogBytes: maxBacklog
          });
          // The close frame goes out behind the backlog (the client learns why once it reads
          // again); ws destroys the socket if no answer comes within its 30 s close timeout.
          ws.close(TRY_AGAIN_LATER, `output backlog over ${mib(maxBacklog)} MiB: client too slow; reconnect to resume`);
          return;
        }
        inTick = true;
        process.nextTick(endTick);
      } else if (!corked) {
        corked = true;
        socket.cork();
      }
      ws.send(data, { binary: !isTextFrame(data) });
      metrics.relayed(channel, 'out', typeof data === 'string' ? Buffer.byteLength(data) : data.length);
    },
    close: (code, reason) => ws.close(code, reason)
  };
  kernel.attach(client);
  metrics.websocketOpened(kernel);
  // Like jupyter_server: nudge with kernel_info so the client sees a status promptly.
  if (kernel.state === 'idle' || kernel.state === 'busy') {
    void kernel.request('shell', 'kernel_info_request', {}, 5000);
  }
  ws.on('message', (data: RawData, isBinary: boolean) => {
    try {
      const raw = toBuffer(data);
      const msg = deserializeWs(isBinary ? raw : raw.toString('utf8'), protocol, { maxBytes: options.maxMessageBytes });
      metrics.relayed(msg.channel, 'in', raw.length);
      kernel.fromClient(msg);
    } catch (error) {
      // Only this client's connection pays for its bad frame; the kernel and others carry on.
      const reason = truncate(`invalid message: ${(error as Error).message}`, 120);
      logger.warn('invalid websocket message', { kernel: kernel.id, reason });
      ws.close(INVALID_PAYLOAD, reason);
    }
  });
  ws.on('close', () => {
    kernel.detach(client);
    metrics.websocketClosed(kernel);
  });
  ws.on('error', error => logger.debug('websocket error', { kernel: kernel.id, error }));
}

function refuse(socket: Duplex, { status, reason, message }: { status: number; reason: string; message: string }): void {
  const body = JSON.stringify({ reason, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

function toBuffer(data: RawData): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
}

function truncate(text: string, bytes: number): string {
  return Buffer.byteLength(text) <= bytes ? text : Buffer.from(text).subarray(0, bytes - 3).toString('utf8') + '...';
}

function mib(bytes: number): string {
  return String(Math.round((bytes / (1024 * 1024)) * 10) / 10);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
