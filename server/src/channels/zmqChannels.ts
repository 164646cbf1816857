/**
 * `KernelChannels` over ZeroMQ (zeromq.js 6): DEALER sockets for shell, control and stdin, one SUB
 * socket for iopub, each read by an async-iterator loop and written through a bounded `SendQueue`.
 */
import { randomUUID } from 'node:crypto';

import { context, Dealer, Subscriber } from 'zeromq';

import { silentLogger } from '../log.js';
import type { Logger } from '../log.js';
import { InvalidMessageError } from '../protocol/errors.js';
import type { Channel, ConnectionInfo, RawMessage } from '../protocol/messages.js';
import { deserializeWire, serializeWire } from '../protocol/wire.js';
import { ChannelsClosedError } from './errors.js';
import { fairTurn } from './fairness.js';
import { SendQueue } from './sendQueue.js';
import type { KernelChannels, KernelChannelsFactory, KernelChannelsOptions } from './types.js';

/**
 * Raises libzmq's socket limit (default 1023, i.e. ~255 kernels at 4 sockets each) before any
 * socket exists. Call once from the composition root; the OS file-descriptor limit still applies.
 */
export function configureZmq(options: { maxSockets: number }): void {
  context.maxSockets = Math.min(options.maxSockets, context.maxSocketsLimit);
}

/** Default bound of each socket's send queue. */
export const DEFAULT_MAX_QUEUE = 1000;

/**
 * Receive high-water mark of the iopub SUB socket, in messages (libzmq's default, made explicit).
 *
 * #### Notes
 * A full SUB queue never drops: libzmq stops reading the kernel's TCP connection until the
 * receive loop catches up, so a gateway that is behind pushes back and the kernel's PUB socket
 * queues instead — with no send limit there (the kernel launcher sets its iopub SNDHWM to 0, as a
 * PUB at its limit drops silently; issue 10, item 9). Kept finite so that a starved gateway holds
 * at most this many messages per kernel, and the backlog waits in the kernel's process.
 */
export const IOPUB_RECEIVE_HWM = 1000;

type RequestChannel = Exclude<Channel, 'iopub'>;

/**
 * Channels are connected right after launch, before the kernel listens; libzmq then retries every
 * `reconnectInterval` (default 100 ms), which delayed the first kernel_info and the iopub
 * subscription by up to 100 ms per start. 10 ms, constant (no back-off: a back-off would be as
 * slow by the time a ~0.5 s kernel start ends). A refused connect on loopback or a pod network
 * costs one SYN/RST; the channels are closed when the kernel exits or the start fails.
 */
const RECONNECT = { reconnectInterval: 10, reconnectMaxInterval: 0 } as const;

/**
 * Connects to a kernel's shell, control, stdin and iopub ports.
 *
 * #### Notes
 * ZeroMQ "slow joiner": the SUB subscription reaches the kernel's PUB socket some time after
 * `connect`, and iopub messages published before that are lost. Callers must not rely on the
 * first iopub messages; the kernel manager repeats `kernel_info_request` until a reply *and* an
 * iopub status for it arrive (the jupyter_server "nudge"). Sockets use linger 0, so closing never
 * blocks on unsent messages and never holds up process exit.
 */
export const createZmqChannels: KernelChannelsFactory = options => new ZmqChannels(options);

class ZmqChannels implements KernelChannels {
  private readonly _o: KernelChannelsOptions;
  private readonly _logger: Logger;
  private readonly _dealers: Record<RequestChannel, Dealer>;
  private readonly _iopub: Subscriber;
  private readonly _queues: Record<RequestChannel, SendQueue>;
  private _closed = false;

  constructor(options: KernelChannelsOptions) {
    this._o = options;
    this._logger = options.logger ?? silentLogger;
    const { connection } = options;
    const ipv6 = connection.ip.includes(':');
    // One routing id for all three, as jupyter_client does: the kernel addresses stdin's
    // input_request to the identity that sent the execute_request on shell.
    const routingId = options.routingId ?? randomUUID();
    const dealer = (port: number): Dealer => {
      const socket = new Dealer({ routingId, linger: 0, ipv6, ...RECONNECT });
      socket.connect(endpoint(connection, port));
      return socket;
    };
    this._dealers = {
      shell: dealer(connection.shell_port),
      control: dealer(connection.control_port),
      stdin: dealer(connection.stdin_port)
    };
    this._iopub = new Subscriber({ linger: 0, ipv6, receiveHighWaterMark: IOPUB_RECEIVE_HWM, ...RECONNECT });
    this._iopub.subscribe();
    this._iopub.connect(endpoint(connection, connection.iopub_port));
    const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    const queue = (name: RequestChannel): SendQueue =>
      new SendQueue({ name, maxQueue, send: frames => this._dealers[name].send(frames) });
    this._queues = { shell: queue('shell'), control: queue('control'), stdin: queue('stdin') };
    for (const name of ['shell', 'control', 'stdin'] as const) {
      void this._receive(this._dealers[name], name);
    }
    void this._receive(this._iopub, 'iopub');
    options.signal?.addEventListener('abort', () => this.close(), { once: true });
  }

  get isClosed(): boolean {
    return this._closed;
  }

  send(message: RawMessage): Promise<void> {
    if (this._closed) {
      return Promise.reject(new ChannelsClosedError(`${message.channel} channel is closed`));
    }
    if (message.channel === 'iopub') {
      return Promise.reject(new InvalidMessageError('iopub is receive-only: send on shell, control or stdin'));
    }
    return this._queues[message.channel].push(serializeWire(message, this._o.connection.key));
  }

  close(): void {
    if (this._closed) {
      return;
    }
    this._closed = true;
    for (const queue of Object.values(this._queues)) {
      queue.close();
    }
    for (const socket of [...Object.values(this._dealers), this._iopub]) {
      socket.close();
    }
  }

  private async _receive(socket: Dealer | Subscriber, channel: Channel): Promise<void> {
    try {
      // The iterator ends (done) once the socket is closed.
      for await (const frames of socket) {
        this._handle(frames, channel);
        // Only awaits when this turn's slice is used up (no cost for an isolated message).
        const turn = fairTurn();
        if (turn) {
          await turn;
        }
      }
    } catch (error) {
      if (!this._closed) {
        this._logger.error('zmq receive loop failed', { channel, error });
      }
    }
  }

  private _handle(frames: Buffer[], channel: Channel): void {
    let message: RawMessage;
    try {
      message = deserializeWire(frames, this._o.connection.key, channel);
    } catch (error) {
      const reason = (error as Error).message;
      if (this._o.onInvalid) {
        this._o.onInvalid(reason);
      } else {
        this._logger.warn('invalid message from kernel dropped', { channel, reason });
      }
      return;
    }
    try {
      this._o.onMessage(message);
    } catch (error) {
      // A consumer bug must not stop the receive loop for every other client of this kernel.
      this._logger.error('kernel message handler threw', { channel, error });
    }
  }
}

function endpoint(connection: ConnectionInfo, port: number): string {
  const host = connection.ip.includes(':') ? `[${connection.ip}]` : connection.ip;
  return `${connection.transport}://${host}:${port}`;
}
