import { ServiceUnavailableError } from '../errors.js';

/**
 * A socket's send queue is at its bound (503): the kernel is not reading, or is unreachable.
 * The caller should back off rather than buffer without limit.
 */
export class QueueFullError extends ServiceUnavailableError {}

/** The kernel's channels were closed (503): the kernel is shutting down, restarting or gone. */
export class ChannelsClosedError extends ServiceUnavailableError {}
