/** A stand-in for JupyterHub's `GET /hub/api/user`, at the `fetch` seam of the JupyterHub authenticator. */
import type { HubUser } from '../../../../server/src/auth/hubUser.js';

export const API_URL = 'http://hub.test:8081/hub/api';

export type HubReply = { status: number; body?: unknown } | { error: Error };

/** Answers per token; counts the requests and records what each carried. */
export class FakeHub {
  readonly replies = new Map<string, HubReply>();
  readonly requests: { url: string; authorization: string | null }[] = [];
  /** Resolves held requests when set (to test concurrent callers). */
  hold: Promise<void> | null = null;

  /** A user's token with its model (scopes default to sparkgate's). */
  user(token: string, user: Partial<HubUser> & { name: string }): void {
    this.replies.set(token, {
      status: 200,
      body: { kind: 'user', groups: [], scopes: ['access:services!service=sparkgate', `read:users:name!user=${user.name}`], admin: false, ...user }
    });
  }

  /** The Hub's answer to a token it does not know (observed: 403 `{"status": 403, "message": null}`). */
  revoke(token: string): void {
    this.replies.set(token, { status: 403, body: { status: 403, message: null } });
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const authorization = new Headers(init?.headers).get('authorization');
    this.requests.push({ url, authorization });
    if (this.hold) {
      await this.hold;
    }
    const token = /^token (.+)$/.exec(authorization ?? '')?.[1] ?? '';
    const reply = this.replies.get(token) ?? { status: 403, body: { status: 403, message: null } };
    if ('error' in reply) {
      throw reply.error;
    }
    return new Response(reply.body === undefined ? null : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json' }
    });
  };
}

/** What undici's fetch rejects with when nothing listens at the Hub's address. */
export function connectionRefused(): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8081'), { code: 'ECONNREFUSED' }) });
}
