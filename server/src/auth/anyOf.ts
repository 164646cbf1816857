/**
 * Several ways in at once: the config file's tokens beside JupyterHub tokens. The first
 * authenticator that accepts the token decides; the next one is asked only when one answers 401
 * (not its token). A 403 (a Hub user in no mapped group) or a 503 (the Hub unreachable) is final,
 * so it reaches the caller as it is instead of a misleading "invalid token".
 */
import { AuthenticationError } from '../errors.js';
import type { Authenticator, Identity } from './types.js';

export class AnyOfAuthenticator implements Authenticator {
  private readonly _chain: readonly Authenticator[];

  /** `chain` in the order asked: cheap local checks first. */
  constructor(chain: readonly Authenticator[]) {
    if (chain.length === 0) {
      throw new TypeError('AnyOfAuthenticator needs at least one authenticator');
    }
    this._chain = chain;
  }

  async authenticate(token: string | undefined): Promise<Identity> {
    let refusal: unknown;
    for (const auth of this._chain) {
      try {
        return await auth.authenticate(token);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) {
          throw error;
        }
        refusal = error;
      }
    }
    throw refusal;
  }
}
