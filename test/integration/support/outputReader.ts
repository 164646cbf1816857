/**
 * A lean kernel websocket client for tests that move a lot of output: it keeps no messages, only
 * checks the stdout of one execution line by line as it arrives (so a few hundred MiB of output
 * costs the test process little memory), and can stop reading its socket to play a slow client.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { Waiters } from '../../support/waiters.js';

/** What one client saw of an execution's stdout. */
export interface LineCheck {
  /** Complete lines received. */
  lines: number;
  /** Bytes of stdout text received (UTF-16 code units; the tests print ASCII). */
  chars: number;
  /** First line that was not the expected next one, with what was expected; null if none. */
  firstMismatch: { index: number; expected: string; got: string } | null;
}

/** Opens a kernel websocket (legacy JSON framing) and follows the stdout of executions it starts. */
export class OutputReader {
  readonly session = randomUUID();
  closeCode: number | undefined;
  closeReason = '';
  idle = false;
  readonly check: LineCheck = { lines: 0, chars: 0, firstMismatch: null };

  private _msgId: string | undefined;
  private _partial = '';
  private readonly _waiters = new Waiters();

  private constructor(
    private readonly _ws: WebSocket,
    private readonly _expectLine: (index: number) => string
  ) {
    _ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this._onMessage(data.toString());
      }
    });
    _ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this._notify();
    });
  }

  /** Connects; `expectLine(i)` is the text (without newline) the i-th stdout line must have. */
  static open(wsUrl: string, kernelId: string, token: string, expectLine: (index: number) => string): Promise<OutputReader> {
    return new Promise((resolve, reject) => {
      const session = randomUUID();
      const ws = new WebSocket(`${wsUrl}/api/kernels/${kernelId}/channels?session_id=${session}`, {
        headers: { Authorization: `token ${token}` }
      });
      const reader = new OutputReader(ws, expectLine);
      Object.defineProperty(reader, 'session', { value: session });
      ws.once('open', () => resolve(reader));
      ws.once('error', reject);
    });
  }

  /** Starts `code`; this reader then checks the stdout of that execution. */
  execute(code: string): string {
    const msgId = randomUUID();
    this._msgId = msgId;
    this._ws.send(
      JSON.stringify({
        channel: 'shell',
        header: { msg_id: msgId, msg_type: 'execute_request', session: this.session, username: 'test', date: new Date().toISOString(), version: '5.4' },
        parent_header: {},
        metadata: {},
        content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true }
      })
    );
    return msgId;
  }

  /** Follows an execution another client started (iopub goes to every client). */
  follow(msgId: string): void {
    this._msgId = msgId;
  }

  /** Stops reading the socket: the gateway's writes to it pile up, as with a stalled browser. */
  pause(): void {
    this._ws.pause();
  }

  resume(): void {
    this._ws.resume();
  }

  close(): void {
    this._ws.terminate();
  }

  /** Resolves when `predicate` holds (checked on every message and on close); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this._waiters.waitFor(predicate, timeoutMs, () => `${what} (${JSON.stringify(this.check)})`);
  }

  private _onMessage(text: string): void {
    const msg = JSON.parse(text) as {
      channel: string;
      header: { msg_type: string };
      parent_header: { msg_id?: string };
      content: { name?: string; text?: string; execution_state?: string };
    };
    if (this._msgId === undefined || msg.parent_header.msg_id !== this._msgId || msg.channel !== 'iopub') {
      return;
    }
    if (msg.header.msg_type === 'stream' && msg.content.name === 'stdout') {
      this._lines(msg.content.text ?? '');
    } else if (msg.header.msg_type === 'status' && msg.content.execution_state === 'idle') {
      this.idle = true;
      this._notify();
    }
  }

  private _lines(text: string): void {
    this.check.chars += text.length;
    const parts = (this._partial + text).split('\n');
    this._partial = parts.pop() ?? '';
    for (const line of parts) {
      const index = this.check.lines++;
      if (this.check.firstMismatch === null) {
        const expected = this._expectLine(index);
        if (line !== expected) {
          this.check.firstMismatch = { index, expected: expected.slice(0, 40), got: line.slice(0, 40) };
        }
      }
    }
  }

  private _notify(): void {
    this._waiters.notify();
  }
}

/** Resident set size (`VmRSS`) and its peak so far (`VmHWM`) of a process, in MiB. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: Math.round(kib('VmRSS') / 1024), peakMiB: Math.round(kib('VmHWM') / 1024) };
}
