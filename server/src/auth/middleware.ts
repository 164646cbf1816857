import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Authenticator } from './authenticator.js';
import { tokenFrom } from './authenticator.js';
import type { Identity } from './types.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `requireAuth`. */
    identity?: Identity;
  }
}

/** Express middleware: 401 unless the request carries a valid token. */
export function requireAuth(auth: Authenticator): RequestHandler {
  return (req, _res, next) => {
    try {
      req.identity = identify(auth, req);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Authenticates a raw request (websocket upgrades, socket.io handshakes). */
export function identify(auth: Authenticator, req: IncomingMessage): Identity {
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  return auth.authenticate(tokenFrom(req.headers.authorization, url.searchParams));
}

/** The identity `requireAuth` attached; routes behind it may rely on it. */
export function identityOf(req: { identity?: Identity }): Identity {
  if (!req.identity) {
    throw new Error('identityOf() called on a route without requireAuth');
  }
  return req.identity;
}
