/**
 * A fake Jupyter kernel speaking the real zmq wire protocol on 127.0.0.1 ephemeral ports: ROUTER
 * shell/control/stdin, XPUB iopub, REP heartbeat. The gateway's analogue of JupyterLab's
 * `test/utils.ts` `KernelTester`.
 *
 * It answers kernel_info_request, execute_request (busy → execute_input → stream → execute_result
 * or error → reply → idle, with the request as parent), shutdown_request and interrupt_request;
 * tests can publish status and stream output, send badly signed messages and ask for input.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { Reply, Router, XPublisher } from 'zeromq';
import type { Socket } from 'zeromq';

import { makeMessage } from '../../server/src/protocol/make.js';
import type { Channel, ConnectionInfo, ExecutionState, RawMessage } from '../../server/src/protocol/messages.js';
import { deserializeWire, parseContent, parseHeader, serializeWire } from '../../server/src/protocol/wire.js';
import type { WireMessage } from '../../server/src/protocol/wire.js';

/** What an execute_request produces. */
export interface ExecuteOutcome {
  /** `text/plain` of the execute_result (none when undefined). */
  result?: string;
  /** Written as a `stream` (stdout) before the result. */
  stdout?: string;
  /** Turns the execution into an error (error on iopub, status 'error' in the reply). */
  error?: { ename: string; evalue: string };
}

/** Options for `FakeKernel.start`. */
export interface FakeKernelOptions {
  /** HMAC key (default: random). */
  key?: string;
  /** Runs `code` (default: echoes it as the result). */
  execute?: (code: string) => ExecuteOutcome;
}

type RequestChannel = Exclude<Channel, 'iopub'>;
const REQUEST_CHANNELS: readonly RequestChannel[] = ['shell', 'control', 'stdin'];
const KERNEL_INFO = {
  status: 'ok',
  protocol_version: '5.4',
  implementation: 'sparkgate-fake',
  implementation_version: '0.1.0',
  language_info: { name: 'python', version: '3', mimetype: 'text/x-python', file_extension: '.py' },
  banner: 'fake kernel',
  help_links: []
};

/** A fake kernel bound to loopback; `close()` it in `afterEach`. */
export class FakeKernel {
  /** Connection info to hand to the code under test. */
  readonly connection: ConnectionInfo;
  /** This kernel's session id (in every header it writes). */
  readonly session = randomUUID();
  /** Verified requests received on shell, control and stdin, in arrival order. */
  readonly requests: WireMessage[] = [];
  /** Reasons for incoming frames that were rejected (bad signature, no delimiter). */
  readonly invalid: string[] = [];
  /** Subscription messages seen on iopub (the XPUB reports each SUB that subscribes). */
  subscriptions = 0;

  private readonly _routers: Record<RequestChannel, Router>;
  private readonly _iopub: XPublisher;
  private readonly _hb: Reply;
  private readonly _execute: (code: string) => ExecuteOutcome;
  private readonly _sending = new Map<Socket, Promise<unknown>>();
  private readonly _listeners = new Set<() => void>();
  private _executionCount = 0;
  private _closed = false;

  /** Binds every socket on 127.0.0.1 with ephemeral ports and starts answering. */
  static async start(options: FakeKernelOptions = {}): Promise<FakeKernel> {
    const sockets = {
      shell: new Router({ linger: 0 }),
      control: new Router({ linger: 0 }),
      stdin: new Router({ linger: 0 }),
      iopub: new XPublisher({ linger: 0, verbosity: 'allSubs' }),
      hb: new Reply({ linger: 0 })
    };
    const ports = await Promise.all(Object.values(sockets).map(bindEphemeral));
    const [shell, control, stdin, iopub, hb] = ports as [number, number, number, number, number];
    const key = options.key ?? randomBytes(16).toString('hex');
    const connection: ConnectionInfo = {
      ip: '127.0.0.1',
      transport: 'tcp',
      shell_port: shell,
      control_port: control,
      stdin_port: stdin,
      iopub_port: iopub,
      hb_port: hb,
      key,
      signature_scheme: 'hmac-sha256',
      kernel_name: 'fake'
    };
    return new FakeKernel(connection, sockets, options.execute ?? (code => ({ result: code })));
  }

  private constructor(
    connection: ConnectionInfo,
    sockets: Record<RequestChannel, Router> & { iopub: XPublisher; hb: Reply },
    execute: (code: string) => ExecuteOutcome
  ) {
    this.connection = connection;
    this._routers = { shell: sockets.shell, control: sockets.control, stdin: sockets.stdin };
    this._iopub = sockets.iopub;
    this._hb = sockets.hb;
    this._execute = execute;
    for (const channel of REQUEST_CHANNELS) {
      void this._serve(channel);
    }
    void this._watchSubscriptions();
    void this._echoHeartbeats();
  }

  /** Resolves once `count` iopub subscriptions arrived, so published messages will be delivered. */
  whenSubscribed(count = 1): Promise<void> {
    return this._until(() => this.subscriptions >= count);
  }

  /** Resolves with the first request (received already or later) of `msgType`, or matching `match`. */
  async waitForRequest(match: string | ((msg: WireMessage) => boolean)): Promise<WireMessage> {
    const test = typeof match === 'string' ? (msg: WireMessage) => parseHeader(msg).msg_type === match : match;
    await this._until(() => this.requests.some(test));
    return this.requests.find(test) as WireMessage;
  }

  /** Publishes a `status` message, as a child of `parent` when given. */
  sendStatus(state: ExecutionState, parent?: RawMessage): Promise<void> {
    return this.publish('status', { execution_state: state }, parent);
  }

  /** Publishes a `stream` message. */
  sendStream(text: string, options: { name?: 'stdout' | 'stderr'; parent?: RawMessage } = {}): Promise<void> {
    return this.publish('stream', { name: options.name ?? 'stdout', text }, options.parent);
  }

  /** Publishes any iopub message. */
  publish(msgType: string, content: Record<string, unknown>, parent?: RawMessage): Promise<void> {
    return this._sendIopub(this._message('iopub', msgType, content, parent), this.connection.key);
  }

  /** Replies to `request` on the channel it came from, addressed to its sender. */
  reply(request: WireMessage, msgType: string, content: Record<string, unknown>): Promise<void> {
    const msg = this._message(request.channel, msgType, content, request);
    const frames = serializeWire(msg, this.connection.key, { identities: request.identities });
    return this._send(this._routers[request.channel as RequestChannel], frames);
  }

  /**
   * Sends a message signed with the wrong key: a status on iopub, or, given `request`, a reply
   * to it on its channel. Returns what was sent.
   */
  async sendBadlySigned(request?: WireMessage): Promise<RawMessage> {
    const msg = this._message(request?.channel ?? 'iopub', request ? 'kernel_info_reply' : 'status', { execution_state: 'busy' }, request);
    const wrongKey = `not-${this.connection.key}`;
    if (request === undefined) {
      await this._sendIopub(msg, wrongKey);
    } else {
      await this._send(this._routers[request.channel as RequestChannel], serializeWire(msg, wrongKey, { identities: request.identities }));
    }
    return msg;
  }

  /** Publishes raw frames on iopub (e.g. without the delimiter). */
  publishFrames(frames: Buffer[]): Promise<void> {
    return this._send(this._iopub, frames);
  }

  /**
   * Sends an `input_request` on stdin to the peer that sent `parent` on shell (the shared routing
   * id), and resolves with its `input_reply`.
   */
  async requestInput(parent: WireMessage, prompt: string): Promise<WireMessage> {
    const msg = this._message('stdin', 'input_request', { prompt, password: false }, parent);
    await this._send(this._routers.stdin, serializeWire(msg, this.connection.key, { identities: parent.identities }));
    const msgId = parseHeader(msg).msg_id;
    return this.waitForRequest(m => m.channel === 'stdin' && JSON.parse(m.parentHeader).msg_id === msgId);
  }

  /** Closes every socket; idempotent. */
  async close(): Promise<void> {
    if (this._closed) {
      return;
    }
    this._closed = true;
    for (const socket of [...Object.values(this._routers), this._iopub, this._hb]) {
      socket.close();
    }
    await Promise.allSettled(this._sending.values());
  }

  private async _serve(channel: RequestChannel): Promise<void> {
    for await (const frames of this._routers[channel]) {
      let msg: WireMessage;
      try {
        msg = deserializeWire(frames, this.connection.key, channel);
      } catch (error) {
        this.invalid.push((error as Error).message);
        this._notify();
        continue;
      }
      this.requests.push(msg);
      this._notify();
      await this._answer(msg).catch((error: unknown) => this.invalid.push(`answering failed: ${(error as Error).message}`));
    }
  }

  private async _answer(request: WireMessage): Promise<void> {
    switch (parseHeader(request).msg_type) {
      case 'kernel_info_request':
        await this.sendStatus('busy', request);
        await this.reply(request, 'kernel_info_reply', KERNEL_INFO);
        await this.sendStatus('idle', request);
        return;
      case 'execute_request':
        return this._executeRequest(request);
      case 'shutdown_request':
        await this.reply(request, 'shutdown_reply', { status: 'ok', restart: parseContent(request)['restart'] === true });
        return;
      case 'interrupt_request':
        await this.reply(request, 'interrupt_reply', { status: 'ok' });
        return;
      default:
        return;
    }
  }

  private async _executeRequest(request: WireMessage): Promise<void> {
    const code = String(parseContent(request)['code'] ?? '');
    const count = ++this._executionCount;
    await this.sendStatus('busy', request);
    await this.publish('execute_input', { code, execution_count: count }, request);
    const outcome = this._execute(code);
    if (outcome.stdout !== undefined) {
      await this.sendStream(outcome.stdout, { parent: request });
    }
    if (outcome.error) {
      const error = { ...outcome.error, traceback: [] };
      await this.publish('error', error, request);
      await this.reply(request, 'execute_reply', { status: 'error', execution_count: count, ...error });
    } else {
      if (outcome.result !== undefined) {
        const data = { 'text/plain': outcome.result };
        await this.publish('execute_result', { execution_count: count, data, metadata: {} }, request);
      }
      await this.reply(request, 'execute_reply', { status: 'ok', execution_count: count, user_expressions: {} });
    }
    await this.sendStatus('idle', request);
  }

  private async _watchSubscriptions(): Promise<void> {
    for await (const [frame] of this._iopub) {
      // XPUB delivers subscribe (0x01 + prefix) and unsubscribe (0x00 + prefix) messages.
      if (frame?.[0] === 1) {
        this.subscriptions++;
        this._notify();
      }
    }
  }

  private async _echoHeartbeats(): Promise<void> {
    for await (const frames of this._hb) {
      await this._hb.send(frames);
    }
  }

  private _message(channel: Channel, msgType: string, content: Record<string, unknown>, parent?: RawMessage): RawMessage {
    return makeMessage({ channel, msgType, content, session: this.session, username: 'kernel', parentHeader: parent?.header });
  }

  private _sendIopub(msg: RawMessage, key: string): Promise<void> {
    // Like ipykernel, the topic frame names the message type.
    return this._send(this._iopub, serializeWire(msg, key, { identities: [Buffer.from(`kernel.${parseHeader(msg).msg_type}`)] }));
  }

  /** zeromq.js allows one send in flight per socket: chain them. */
  private _send(socket: Router | XPublisher, frames: Buffer[]): Promise<void> {
    const next = (this._sending.get(socket) ?? Promise.resolve()).catch(() => undefined).then(() => socket.send(frames));
    this._sending.set(socket, next);
    return next;
  }

  private _until(condition: () => boolean): Promise<void> {
    if (condition()) {
      return Promise.resolve();
    }
    return new Promise(resolve => {
      const check = (): void => {
        if (condition()) {
          this._listeners.delete(check);
          resolve();
        }
      };
      this._listeners.add(check);
    });
  }

  private _notify(): void {
    for (const listener of [...this._listeners]) {
      listener();
    }
  }
}

async function bindEphemeral(socket: Socket & { bind(address: string): Promise<void> }): Promise<number> {
  await socket.bind('tcp://127.0.0.1:*');
  const port = /:(\d+)$/.exec(socket.lastEndpoint ?? '')?.[1];
  if (port === undefined) {
    throw new Error(`fake kernel: cannot read the bound port from ${String(socket.lastEndpoint)}`);
  }
  return Number(port);
}
