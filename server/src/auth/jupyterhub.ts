/**
 * JupyterHub mode: a caller's token is a JupyterHub API token (what a single-user server holds as
 * `JUPYTERHUB_API_TOKEN` and, in gateway mode, sends as `Authorization: token …`). It is checked
 * the way JupyterHub's own `HubAuth` does: `GET {apiUrl}/user` with that token, the answer cached
 * for a short time under the token's SHA-256.
 */
import { AuthenticationError, ServiceUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { assertHubUser, identityOfHubUser, type GroupTenant, type HubUser } from './hubUser.js';
import { TokenCache, tokenDigest } from './tokenCache.js';
import type { Authenticator, Identity } from './types.js';

export interface JupyterHubAuthenticatorOptions {
  /** The Hub's REST API, e.g. `http://hub:8081/hub/api` (no trailing slash needed). */
  apiUrl: string;
  /** Scope the token must carry, e.g. `access:services!service=sparkgate`. */
  scope: string;
  /** Group → tenant, first match wins. */
  groups: readonly GroupTenant[];
  /**
   * How long the Hub's answer for a token is reused: a token revoked in the Hub (or a user
   * removed from a group) is refused at most this long after. 0 = ask the Hub every time.
   */
  cacheMs: number;
  /** Most tokens cached. */
  cacheSize: number;
  /** How long one Hub request may take before the caller gets 503. Default 10 s. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  logger: Logger;
}

/** The Hub's verdict on one token, as cached. */
type Answer = { accepted: true; user: HubUser } | { accepted: false };

const REFUSED = 'JupyterHub did not accept the token (unknown, expired or revoked)';

/**
 * #### Notes
 * Refusals are cached too, so a client retrying a dead token does not turn into a Hub request per
 * retry; transport failures and Hub errors (503 here) are not. Concurrent requests with the same
 * uncached token share one Hub request (JupyterLab opens several connections at once).
 * The scope and group rules are applied to the cached user model on every call.
 */
export class JupyterHubAuthenticator implements Authenticator {
  private readonly _options: JupyterHubAuthenticatorOptions;
  private readonly _userUrl: string;
  private readonly _cache: TokenCache<Answer>;
  private readonly _pending = new Map<string, Promise<Answer>>();
  private readonly _fetch: typeof fetch;

  constructor(options: JupyterHubAuthenticatorOptions) {
    this._options = options;
    this._userUrl = `${options.apiUrl.replace(/\/+$/, '')}/user`;
    this._cache = new TokenCache({ ttlMs: options.cacheMs, maxEntries: options.cacheSize, now: options.now });
    this._fetch = options.fetch ?? fetch;
  }

  /** Resolves with the Hub user and the tenant of their group; rejects with 401, 403 or 503. */
  async authenticate(token: string | undefined): Promise<Identity> {
    if (!token) {
      throw new AuthenticationError("missing token: send 'Authorization: token <JupyterHub API token>' or '?token=<token>'");
    }
    const key = tokenDigest(token);
    const answer = this._cache.get(key) ?? (await this._ask(key, token));
    if (!answer.accepted) {
      throw new AuthenticationError(REFUSED);
    }
    return identityOfHubUser(answer.user, this._options);
  }

  private _ask(key: string, token: string): Promise<Answer> {
    const pending = this._pending.get(key);
    if (pending) {
      return pending;
    }
    const asking = this._askHub(token).then(answer => {
      this._cache.set(key, answer);
      return answer;
    });
    this._pending.set(key, asking);
    const forget = (): void => {
      this._pending.delete(key);
    };
    asking.then(forget, forget);
    return asking;
  }

  private async _askHub(token: string): Promise<Answer> {
    let response: Response;
    try {
      response = await this._fetch(this._userUrl, {
        headers: { Authorization: `token ${token}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(this._options.requestTimeoutMs ?? 10_000)
      });
    } catch (error) {
      throw new ServiceUnavailableError(`JupyterHub at ${this._options.apiUrl} is unreachable (${describeFetchError(error)}); try again later`, {
        cause: error
      });
    }
    // The Hub answers 403 for a token it does not know (401 from a proxy in front of it).
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      return { accepted: false };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new ServiceUnavailableError(`JupyterHub at ${this._options.apiUrl} answered ${response.status} to /user; try again later`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new ServiceUnavailableError('JupyterHub answered /user with a body that is not JSON', { cause: error });
    }
    assertHubUser(body);
    this._options.logger.debug('JupyterHub token checked', { user: body.name, groups: body.groups });
    return { accepted: true, user: { kind: body.kind, name: body.name, groups: body.groups, scopes: body.scopes } };
  }
}

/** `ECONNREFUSED`, `timed out`: what went wrong, without the URL's query or anything the caller sent. */
function describeFetchError(error: unknown): string {
  // Duck-typed: fetch's errors (undici, DOMException for the timeout) need not be Errors of this realm.
  const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return 'timed out';
  }
  if (typeof e.cause?.code === 'string') {
    return e.cause.code;
  }
  return typeof e.message === 'string' ? e.message : String(error);
}
