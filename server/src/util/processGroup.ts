/**
 * The gateway's door to the one process-group helper, processGroup.mjs: plain ESM, because the npm
 * scripts and tests use it before any build. The server build copies it into dist/util beside
 * this module, so the same relative import works from src and from dist.
 */
export { groupAlive, signalGroup, stopGroup, waitForGroupExit } from './processGroup.mjs';
export type { StopGroupOptions, StopOutcome, WaitForGroupExitOptions } from './processGroup.mjs';
