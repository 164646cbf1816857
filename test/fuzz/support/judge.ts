/** Pure verdicts: what a fuzz case got against what it must get. Null means fine. */
import type { RawOutcome } from './rawHttp.js';
import type { RestCase } from './restCases.js';
import type { UpgradeCase } from './upgradeCases.js';

/** The summary column of an outcome: the status, or 'none' / 'reset'. */
export function outcomeLabel(outcome: RawOutcome): string | number {
  return outcome.kind === 'response' ? outcome.response.status : outcome.kind;
}

/** Why `body` is not a Jupyter error `{reason, message}` with non-empty strings, or null. */
export function errorBodyProblem(body: Buffer): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return `error body is not JSON: ${JSON.stringify(body.toString('utf8').slice(0, 200))}`;
  }
  const record = parsed as { reason?: unknown; message?: unknown } | null;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return 'error body is not a JSON object';
  }
  if (typeof record.reason !== 'string' || record.reason.length === 0) {
    return 'error body has no non-empty string "reason"';
  }
  if (typeof record.message !== 'string' || record.message.length === 0) {
    return 'error body has no non-empty string "message"';
  }
  return null;
}

/** Statuses another user's kernel may answer: body problems come first, then 404. */
const CROSS_USER_ALLOWED = [400, 404, 413, 415];

/**
 * `twin`: the answer to the same request with the other user's kernel id replaced by an unknown
 * one (cross-user cases only): both must have the same status, so nothing tells them apart.
 */
export function judgeRest(c: RestCase, outcome: RawOutcome, twin?: RawOutcome): string | null {
  if (outcome.kind === 'none') {
    return c.expect.answer ? `no answer within ${c.timeoutMs} ms to a complete request` : null;
  }
  if (outcome.kind === 'reset') {
    // A server that answers early (413, 401) and closes may reset a client still sending a big body.
    return c.expect.answer && !c.mutations.includes('body:huge') ? `connection ended without an answer (${outcome.error})` : null;
  }
  const { status, body } = outcome.response;
  if (status >= 500) {
    return `answered ${status}`;
  }
  if (c.expect.unauthorized && status !== 401) {
    return `answered ${status} to a missing or invalid token; expected 401`;
  }
  if (c.expect.tooLarge && status !== 413) {
    return `answered ${status} to a body over limits.maxBodyBytes; expected 413`;
  }
  if (c.expect.crossUser && !CROSS_USER_ALLOWED.includes(status) && !(c.method === 'OPTIONS' && status === 200)) {
    return `answered ${status} for another user's kernel; expected 404`;
  }
  if (c.expect.crossUser && twin && outcomeLabel(twin) !== status) {
    return `answered ${status} for another user's kernel but ${outcomeLabel(twin)} for an unknown id`;
  }
  if (c.expect.jsonError && status >= 400) {
    return errorBodyProblem(body);
  }
  return null;
}

export function judgeUpgrade(c: UpgradeCase, outcome: RawOutcome): string | null {
  if (outcome.kind !== 'response') {
    return outcome.kind === 'none' ? 'no answer to a websocket upgrade within the time bound' : `connection ended without an answer (${outcome.error})`;
  }
  const { status, body } = outcome.response;
  if (status >= 500) {
    return `answered ${status}`;
  }
  if (c.expect.statuses && !c.expect.statuses.includes(status)) {
    return `answered ${status}; expected ${c.expect.statuses.join(' or ')}`;
  }
  if (c.expect.jsonError && (status === 401 || status === 404)) {
    return errorBodyProblem(body);
  }
  return null;
}
