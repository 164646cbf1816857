// Types of processGroup.mjs (plain ESM so that scripts run it before any build); keep in step.

/** What {@link stopGroup} did. */
export type StopOutcome = 'absent' | 'terminated' | 'killed' | 'survived';

/** Options of {@link waitForGroupExit}. */
export interface WaitForGroupExitOptions {
  timeoutMs: number;
  /** How often to look, in ms. Default 50. */
  pollMs?: number;
}

/** Options of {@link stopGroup}. */
export interface StopGroupOptions {
  /** How long the group has after the first signal before SIGKILL, in ms. */
  graceMs: number;
  /** How long to wait for the group after SIGKILL, in ms. Default 5000. */
  killWaitMs?: number;
  /** How often to look, in ms. Default 50. */
  pollMs?: number;
  /** The first signal. Default SIGTERM. */
  signal?: NodeJS.Signals;
  /** Called just before SIGKILL, while the group still exists (to log, or to note its members). */
  onKill?: () => void;
}

/**
 * Sends `signal` to every process of the group led by `pgid`; false when none is left (ESRCH),
 * other errors thrown. A `pgid` that is not an integer above 1 is a RangeError.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean;

/** True while any live (non-zombie) process of the group exists; its leader may have exited first. */
export function groupAlive(pgid: number): boolean;

/** Resolves to true once the group is gone, false if it still exists after `timeoutMs`. */
export function waitForGroupExit(pgid: number, options: WaitForGroupExitOptions): Promise<boolean>;

/** First signal, `graceMs` for the group to go, then SIGKILL and `killWaitMs` more. */
export function stopGroup(pgid: number, options: StopGroupOptions): Promise<StopOutcome>;
