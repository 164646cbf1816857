/** Who is calling: the user from their token, and the tenant the user belongs to. */
export interface Identity {
  user: string;
  tenant: string;
}

/**
 * Turns the token a caller presented into who they are. Every entry point (REST, the kernel
 * websocket upgrade, socket.io) extracts the token the same way (`auth/middleware.ts`) and awaits
 * the one instance `auth/fromConfig.ts` builds: the config file's tokens (`static.ts`), JupyterHub
 * API tokens checked at the Hub's `/hub/api/user` (`jupyterhub.ts`), or both (`anyOf.ts`).
 *
 * #### Notes
 * It takes the token, not the request: socket.io may carry it in its handshake `auth` payload,
 * not in a header, and the Hub needs only the token. Implementations may cache (the Hub one
 * should, with a short TTL), must not log the token, and compare secrets in constant time.
 */
export interface Authenticator {
  /**
   * Resolves with the caller's identity. Rejects with `AuthenticationError` (401) when the token
   * is missing or not accepted; any other rejection (the Hub unreachable) is answered by its own
   * status (`describeError`), 500 for an untyped error.
   */
  authenticate(token: string | undefined): Promise<Identity>;
}
