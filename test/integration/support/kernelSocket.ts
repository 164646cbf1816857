/** A minimal Jupyter websocket client (legacy JSON framing), the way JupyterLab talks to a kernel. */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { Waiters } from '../../support/waiters.js';

export interface WsMessage {
  channel: string;
  header: { msg_id: string; msg_type: string; session: string; [k: string]: unknown };
  parent_header: { msg_id?: string; [k: string]: unknown };
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
}

export interface Execution {
  reply: WsMessage;
  /** iopub messages of this request between busy and idle, in arrival order. */
  iopub: WsMessage[];
  /** Concatenated stdout. */
  stdout: string;
  /** `text/plain` of the execute_result, if any. */
  result: string | undefined;
  /** `ename: evalue` of a failed cell, so a failing assertion on `result` says why. */
  error: string | undefined;
}

export class KernelSocket {
  readonly session = randomUUID();
  readonly received: WsMessage[] = [];
  closeCode: number | undefined;
  closeReason = '';

  private constructor(private readonly _ws: WebSocket) {
    _ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.received.push(JSON.parse(data.toString()) as WsMessage);
        this._notify();
      }
    });
    _ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this._notify();
    });
  }

  /** Opens `/api/kernels/{id}/channels`; rejects with the HTTP status if the upgrade is refused. */
  static open(wsUrl: string, kernelId: string, token: string | null, options: { protocols?: string[] } = {}): Promise<KernelSocket> {
    return new Promise((resolve, reject) => {
      const session = randomUUID();
      const ws = new WebSocket(`${wsUrl}/api/kernels/${kernelId}/channels?session_id=${session}`, options.protocols ?? [], {
        headers: token ? { Authorization: `token ${token}` } : {}
      });
      const socket = new KernelSocket(ws);
      Object.defineProperty(socket, 'session', { value: session });
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  get ws(): WebSocket {
    return this._ws;
  }

  send(channel: string, msgType: string, content: Record<string, unknown>): string {
    const msgId = randomUUID();
    this._ws.send(
      JSON.stringify({
        channel,
        header: { msg_id: msgId, msg_type: msgType, session: this.session, username: 'test', date: new Date().toISOString(), version: '5.4' },
        parent_header: {},
        metadata: {},
        content
      })
    );
    return msgId;
  }

  /** Runs code and waits for its reply and its `idle` status. */
  async execute(code: string, timeoutMs = 60_000): Promise<Execution> {
    const msgId = this.send('shell', 'execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    await this.waitFor(
      () =>
        this.received.some(m => m.parent_header.msg_id === msgId && m.header.msg_type === 'execute_reply') &&
        this.received.some(m => m.parent_header.msg_id === msgId && m.header.msg_type === 'status' && m.content.execution_state === 'idle'),
      timeoutMs,
      `execution of ${JSON.stringify(code.slice(0, 60))}`
    );
    const mine = this.received.filter(m => m.parent_header.msg_id === msgId);
    const iopub = mine.filter(m => m.channel === 'iopub');
    const result = iopub.find(m => m.header.msg_type === 'execute_result');
    const reply = mine.find(m => m.header.msg_type === 'execute_reply') as WsMessage;
    return {
      reply,
      iopub,
      stdout: iopub.filter(m => m.header.msg_type === 'stream' && m.content.name === 'stdout').map(m => m.content.text).join(''),
      result: (result?.content.data as Record<string, string> | undefined)?.['text/plain'],
      error: reply.content.status === 'ok' ? undefined : `${String(reply.content.ename)}: ${String(reply.content.evalue)}`
    };
  }

  /** Resolves when `predicate` holds (checked on every message); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    return this._waiters.waitFor(predicate, timeoutMs, () => what);
  }

  /** Resolves with the close code once the server closes the socket. */
  async closed(timeoutMs = 10_000): Promise<number> {
    await this.waitFor(() => this.closeCode !== undefined, timeoutMs, 'websocket close');
    return this.closeCode as number;
  }

  close(): void {
    this._ws.close();
  }

  private _notify(): void {
    this._waiters.notify();
  }

  private readonly _waiters = new Waiters();
}
