/**
 * The three doors into the gateway, one way through each: REST (express middleware), the kernel
 * websocket upgrade and socket.io's handshake all extract the token with `tokenFrom` and await the
 * same `Authenticator`; a refusal is the authenticator's typed error, described by `describeError`.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Authenticator, Identity } from './types.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `requireAuth`. */
    identity?: Identity;
  }
}

/**
 * The token a request carries: `Authorization: token <t>` / `Bearer <t>`, else the `token` query
 * parameter (browsers cannot set headers on websockets). A socket.io handshake's `auth.token`, when
 * given, comes first. An `Authorization` header of another scheme yields no token, whatever the query.
 */
export function tokenFrom(authorization: string | undefined, query: URLSearchParams, handshakeToken?: unknown): string | undefined {
  if (typeof handshakeToken === 'string' && handshakeToken !== '') {
    return handshakeToken;
  }
  if (authorization) {
    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  return query.get('token') ?? undefined;
}

/** The kernel websocket upgrade check: the caller's identity, or the authenticator's rejection. */
export function authenticateUpgrade(auth: Authenticator, req: IncomingMessage): Promise<Identity> {
  return authenticate(auth, req);
}

/** Express middleware: `req.identity` for a valid token, else the authenticator's error to the error handler. */
export function requireAuth(auth: Authenticator): RequestHandler {
  return async (req, _res, next) => {
    let identity: Identity;
    try {
      identity = await authenticate(auth, req);
    } catch (error) {
      next(error);
      return;
    }
    req.identity = identity;
    next();
  };
}

/** What `socketAuth` needs of a socket.io socket (structural, so auth/ does not depend on socket.io). */
export interface HandshakeSocket {
  handshake: { auth: Record<string, unknown> };
  request: IncomingMessage;
  data: { user: string; tenant: string };
}

/** The error socket.io hands the client as `connect_error`: the described message, status and reason in `data`. */
export type HandshakeError = Error & { data?: { status: number; reason: string } };

/**
 * socket.io middleware (`io.use`): sets `socket.data.user`/`tenant`, or refuses the connection
 * with `connect_error`. Unexpected errors are logged here (socket.io would only tell the client)
 * and reach the client without their details, like a REST 500.
 */
export function socketAuth(auth: Authenticator, logger: Logger): (socket: HandshakeSocket, next: (error?: HandshakeError) => void) => void {
  return (socket, next) => {
    authenticate(auth, socket.request, socket.handshake.auth.token).then(
      identity => {
        socket.data.user = identity.user;
        socket.data.tenant = identity.tenant;
        next();
      },
      (error: unknown) => {
        const { status, reason, message } = describeError(error);
        if (status >= 500) {
          logger.error('socket.io authentication failed', { status, error });
        }
        next(Object.assign(new Error(message), { data: { status, reason } }));
      }
    );
  };
}

/** The identity `requireAuth` attached; routes behind it may rely on it. */
export function identityOf(req: { identity?: Identity }): Identity {
  if (!req.identity) {
    throw new Error('identityOf() called on a route without requireAuth');
  }
  return req.identity;
}

// async: an authenticator that throws synchronously still ends as a rejection, never a crash.
async function authenticate(auth: Authenticator, req: IncomingMessage, handshakeToken?: unknown): Promise<Identity> {
  let query: URLSearchParams;
  try {
    query = new URL(req.url ?? '/', 'http://gateway.invalid').searchParams;
  } catch {
    // An unparsable URL carries no query token; the header may still authenticate.
    query = new URLSearchParams();
  }
  return auth.authenticate(tokenFrom(req.headers.authorization, query, handshakeToken));
}
