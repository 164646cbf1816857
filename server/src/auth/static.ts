import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../errors.js';
import type { Identity } from './types.js';

export interface AuthenticatorOptions {
  /** Multi-user mode: token hashes and who they belong to. */
  users: readonly { name: string; tenant: string; tokenSha256: Buffer }[];
  /** Single-user mode when `users` is empty. */
  singleUser: { identity: Identity; tokenSha256: Buffer } | null;
}

/**
 * Maps a presented token to an identity. Tokens are compared as SHA-256 digests with
 * `timingSafeEqual`, and every candidate is checked, so timing reveals neither the token nor
 * which user it almost matched.
 */
export class Authenticator {
  private readonly _candidates: readonly { identity: Identity; digest: Buffer }[];

  constructor(options: AuthenticatorOptions) {
    const fromUsers = options.users.map(u => ({ identity: { user: u.name, tenant: u.tenant }, digest: u.tokenSha256 }));
    this._candidates =
      fromUsers.length > 0 || options.singleUser === null
        ? fromUsers
        : [{ identity: options.singleUser.identity, digest: options.singleUser.tokenSha256 }];
  }

  /** Returns the identity for `token`, or throws `AuthenticationError`. */
  authenticate(token: string | undefined): Identity {
    if (!token) {
      throw new AuthenticationError(
        "missing token: send 'Authorization: token <token>' or '?token=<token>'"
      );
    }
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: Identity | undefined;
    for (const candidate of this._candidates) {
      if (timingSafeEqual(candidate.digest, digest) && found === undefined) {
        found = candidate.identity;
      }
    }
    if (!found) {
      throw new AuthenticationError('invalid token');
    }
    return found;
  }
}

/**
 * Extracts the token from `Authorization: token <t>` / `Bearer <t>` or the `token` query parameter
 * (browsers cannot set headers on websockets).
 */
export function tokenFrom(authorization: string | undefined, query: URLSearchParams): string | undefined {
  if (authorization) {
    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  return query.get('token') ?? undefined;
}
