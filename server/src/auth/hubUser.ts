/**
 * What sparkgate reads from JupyterHub's `GET /hub/api/user` (the model of the token's owner) and
 * the two decisions taken on it: does the token carry the required scope, and which tenant the
 * user's groups map to. Pure, so the rules are unit-tested without a Hub.
 */
import { NotAllowedError, ServiceUnavailableError } from '../errors.js';

/** The fields of the Hub's user model sparkgate uses (`jupyterhub/apihandlers/users.py` `SelfAPIHandler`). */
export interface HubUser {
  /** `user` for a user's token, `service` for a service's own token. */
  kind: string;
  name: string;
  /** Group names (the Hub always includes them for the token's own model). */
  groups: readonly string[];
  /** The token's expanded scopes, e.g. `access:services!service=sparkgate`. */
  scopes: readonly string[];
}

/** One `jupyterhub.groups` entry: members of `group` work in `tenant`. */
export interface GroupTenant {
  group: string;
  tenant: string;
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every(s => typeof s === 'string');
}

/**
 * Asserts the Hub's answer has the fields sparkgate relies on. A malformed answer is the Hub's
 * (or whatever answers at its URL's) fault, not the caller's: 503, not 401.
 */
export function assertHubUser(x: unknown): asserts x is HubUser {
  const o = x as Partial<Record<keyof HubUser, unknown>> | null;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.name !== 'string' ||
    o.name === '' ||
    typeof o.kind !== 'string' ||
    !isStringArray(o.groups) ||
    !isStringArray(o.scopes)
  ) {
    throw new ServiceUnavailableError('JupyterHub answered /user without the expected user model (name, kind, groups, scopes)');
  }
}

/**
 * Whether `scopes` grant `required`: the scope itself, or its unfiltered base
 * (`access:services` grants `access:services!service=sparkgate`), as JupyterHub's own
 * `check_scopes` resolves them (group filters are not resolved there either).
 */
export function hasScope(scopes: readonly string[], required: string): boolean {
  const base = required.split('!', 1)[0] ?? required;
  return scopes.includes(required) || scopes.includes(base);
}

/**
 * The identity of a Hub user: the scope is checked first (a token without it is refused whoever
 * holds it), then the first `groups` entry, in config order, that the user is a member of gives
 * the tenant. Throws `NotAllowedError` (403) naming the user but never the configured groups.
 */
export function identityOfHubUser(user: HubUser, rules: { scope: string; groups: readonly GroupTenant[] }): { user: string; tenant: string } {
  if (user.kind !== 'user') {
    throw new NotAllowedError(`a JupyterHub ${user.kind} token ('${user.name}') is not a user's token; sparkgate serves users`);
  }
  if (!hasScope(user.scopes, rules.scope)) {
    throw new NotAllowedError(`the JupyterHub token of user ${user.name} lacks the scope ${rules.scope}; ask your admin`);
  }
  const member = new Set(user.groups);
  const match = rules.groups.find(g => member.has(g.group));
  if (!match) {
    throw new NotAllowedError(`user ${user.name} is in no group mapped to a sparkgate tenant; ask your admin`);
  }
  return { user: user.name, tenant: match.tenant };
}
