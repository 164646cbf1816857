import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatewayConfig } from '../config/types.js';
import { SINGLE_USER } from '../config/types.js';
import { AuthenticationError } from '../errors.js';
import type { Authenticator, Identity } from './types.js';

export interface StaticTokenAuthenticatorOptions {
  /** Multi-user mode: token hashes and who they belong to. */
  users: readonly { name: string; tenant: string; tokenSha256: Buffer }[];
  /** Single-user mode when `users` is empty. */
  singleUser: { identity: Identity; tokenSha256: Buffer } | null;
}

/**
 * The tokens of the config file (`users`) or `SPARKGATE_TOKEN` (single-user mode). Tokens are
 * compared as SHA-256 digests with `timingSafeEqual`, and every candidate is checked, so timing
 * reveals neither the token nor which user it almost matched.
 */
export class StaticTokenAuthenticator implements Authenticator {
  private readonly _candidates: readonly { identity: Identity; digest: Buffer }[];

  /** The authenticator a loaded config describes: its users, else the single user. */
  static fromConfig(config: Pick<GatewayConfig, 'users' | 'singleUserTokenSha256'>): StaticTokenAuthenticator {
    return new StaticTokenAuthenticator({
      users: config.users,
      singleUser: config.singleUserTokenSha256
        ? { identity: { user: SINGLE_USER.name, tenant: SINGLE_USER.tenant }, tokenSha256: config.singleUserTokenSha256 }
        : null
    });
  }

  constructor(options: StaticTokenAuthenticatorOptions) {
    const fromUsers = options.users.map(u => ({ identity: { user: u.name, tenant: u.tenant }, digest: u.tokenSha256 }));
    this._candidates =
      fromUsers.length > 0 || options.singleUser === null
        ? fromUsers
        : [{ identity: options.singleUser.identity, digest: options.singleUser.tokenSha256 }];
  }

  /** Resolves with the identity for `token`; rejects with `AuthenticationError`. */
  async authenticate(token: string | undefined): Promise<Identity> {
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
