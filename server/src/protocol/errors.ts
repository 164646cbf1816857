import { InputError } from '../errors.js';

/**
 * A Jupyter message that could not be decoded or failed validation (400). The message says which
 * part is wrong and what it must be, e.g. "websocket message: header.msg_type must be a string".
 */
export class InvalidMessageError extends InputError {}

/**
 * A zmq message whose HMAC signature did not verify (400). Kept apart from `InvalidMessageError`
 * so the channels can count and report forged or mis-keyed traffic separately.
 */
export class InvalidSignatureError extends InvalidMessageError {}
