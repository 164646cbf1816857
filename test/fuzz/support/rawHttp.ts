/**
 * A raw HTTP/1.1 client over a TCP socket: sends exactly the bytes a fuzz case made (malformed
 * ones included, which node:http and fetch refuse to send), optionally trickled, and reads one
 * response. Every exchange is bounded by `timeoutMs`.
 */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
}

/** A response, no response within the time bound ('none'), or the connection failed first ('reset'). */
export type RawOutcome =
  | { kind: 'response'; response: RawResponse }
  | { kind: 'none' }
  | { kind: 'reset'; error: string };

export interface RawExchange {
  host: string;
  port: number;
  /** Written in order, `pauseMs` apart (a slow client trickles many small pieces). */
  pieces: readonly Buffer[];
  pauseMs?: number;
  /** After the last piece: half-close the socket ('end') or keep it open ('wait'). */
  after: 'end' | 'wait';
  timeoutMs: number;
  /** The request was HEAD: the response has no body whatever its headers say. */
  head?: boolean;
}

/** Sends `pieces` and resolves with the first final response (1xx other than 101 are skipped). */
export function exchange(x: RawExchange): Promise<RawOutcome> {
  return new Promise(resolve => {
    const socket = connect({ host: x.host, port: x.port });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (outcome: RawOutcome): void => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish(parsed(received, x.head, true) ?? { kind: 'none' }), x.timeoutMs);
    socket.on('data', chunk => {
      received = Buffer.concat([received, chunk]);
      const outcome = parsed(received, x.head, false);
      if (outcome) {
        finish(outcome);
      }
    });
    socket.on('end', () => finish(parsed(received, x.head, true) ?? { kind: 'reset', error: 'closed without a response' }));
    socket.on('error', error => finish(parsed(received, x.head, true) ?? { kind: 'reset', error: (error as NodeJS.ErrnoException).code ?? error.message }));
    socket.on('connect', () => {
      void (async () => {
        for (const [i, piece] of x.pieces.entries()) {
          if (done) {
            return;
          }
          if (i > 0 && x.pauseMs) {
            await new Promise(r => setTimeout(r, x.pauseMs));
          }
          if (done || socket.destroyed) {
            return;
          }
          socket.write(piece);
        }
        if (x.after === 'end' && !done && !socket.destroyed) {
          socket.end();
        }
      })();
    });
  });
}

/** A complete response in `data`, or null if more bytes are needed (`closed`: no more will come). */
function parsed(data: Buffer, head: boolean | undefined, closed: boolean): RawOutcome | null {
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) {
      return null;
    }
    const lines = data.subarray(at, end).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!status) {
      return { kind: 'reset', error: `not an HTTP response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}` };
    }
    const code = Number(status[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) {
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
    }
    const bodyStart = end + 4;
    if (code >= 100 && code < 200 && code !== 101) {
      at = bodyStart; // 100 Continue: the real answer follows
      continue;
    }
    if (code === 101 || code === 204 || code === 304 || head) {
      return { kind: 'response', response: { status: code, headers, body: Buffer.alloc(0) } };
    }
    const rest = data.subarray(bodyStart);
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (rest.length >= length) {
        return { kind: 'response', response: { status: code, headers, body: rest.subarray(0, length) } };
      }
      return closed ? { kind: 'response', response: { status: code, headers, body: rest } } : null;
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const body = dechunk(rest);
      if (body) {
        return { kind: 'response', response: { status: code, headers, body } };
      }
      return closed ? { kind: 'response', response: { status: code, headers, body: rest } } : null;
    }
    return closed ? { kind: 'response', response: { status: code, headers, body: rest } } : null;
  }
}

/** The decoded body once the last chunk has arrived, else null. */
function dechunk(data: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) {
      return null;
    }
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) {
      return Buffer.concat(parts);
    }
    if (size === 0) {
      return Buffer.concat(parts);
    }
    if (data.length < eol + 2 + size + 2) {
      return null;
    }
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** What happened after a 101: the server closed the connection, or it was still open at the bound. */
export type AfterOpen = 'closed' | 'open' | null;

/**
 * Sends a raw upgrade request; on 101 writes `afterOpen` (websocket-level bytes) and waits up to
 * `waitMs` for the server to close the connection. Every other answer is read like `exchange`.
 */
export function exchangeUpgrade(x: {
  host: string;
  port: number;
  request: Buffer;
  afterOpen: Buffer | null;
  timeoutMs: number;
  waitMs: number;
}): Promise<{ outcome: RawOutcome; afterOpen: AfterOpen }> {
  return new Promise(resolve => {
    const socket = connect({ host: x.host, port: x.port });
    let received = Buffer.alloc(0);
    let outcome: RawOutcome | null = null;
    let done = false;
    const finish = (afterOpen: AfterOpen): void => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ outcome: outcome ?? parsed(received, false, true) ?? { kind: 'none' }, afterOpen });
    };
    let timer = setTimeout(() => finish(null), x.timeoutMs);
    socket.on('data', chunk => {
      if (outcome) {
        return; // frames from the server after the 101
      }
      received = Buffer.concat([received, chunk]);
      const got = parsed(received, false, false);
      if (!got) {
        return;
      }
      outcome = got;
      if (got.kind === 'response' && got.response.status === 101 && x.afterOpen) {
        clearTimeout(timer);
        timer = setTimeout(() => finish('open'), x.waitMs);
        socket.write(x.afterOpen);
        return;
      }
      finish(null);
    });
    const ended = (error?: Error): void => {
      if (outcome?.kind === 'response' && outcome.response.status === 101 && x.afterOpen) {
        finish('closed');
        return;
      }
      if (!outcome) {
        outcome = parsed(received, false, true) ?? { kind: 'reset', error: error ? ((error as NodeJS.ErrnoException).code ?? error.message) : 'closed without a response' };
      }
      finish(null);
    };
    socket.on('end', () => ended());
    socket.on('close', () => ended());
    socket.on('error', error => ended(error));
    socket.on('connect', () => socket.write(x.request));
  });
}
