/**
 * The authenticator a loaded config describes: the config file's tokens (or the single-user
 * token), JupyterHub tokens, or both — config-file tokens are checked first, locally, so they
 * keep working while the Hub is down.
 */
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { AnyOfAuthenticator } from './anyOf.js';
import { JupyterHubAuthenticator } from './jupyterhub.js';
import { StaticTokenAuthenticator } from './static.js';
import type { Authenticator } from './types.js';

export interface AuthenticatorDeps {
  logger: Logger;
  /** For the Hub's REST API; default the global `fetch`. */
  fetch?: typeof fetch;
}

export function authenticatorFromConfig(
  config: Pick<GatewayConfig, 'users' | 'singleUserTokenSha256' | 'jupyterhub'>,
  deps: AuthenticatorDeps
): Authenticator {
  const fromFile = StaticTokenAuthenticator.fromConfig(config);
  const hub = config.jupyterhub;
  if (!hub) {
    return fromFile;
  }
  const fromHub = new JupyterHubAuthenticator({ ...hub, fetch: deps.fetch, logger: deps.logger });
  const hasFileTokens = config.users.length > 0 || config.singleUserTokenSha256 !== null;
  return hasFileTokens ? new AnyOfAuthenticator([fromFile, fromHub]) : fromHub;
}
