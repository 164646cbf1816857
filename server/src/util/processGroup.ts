/**
 * The gateway's door to the one process-group helper, processGroup.mjs (plain ESM, shared with the
 * npm scripts and tests, which run before any build). tsc does not copy .mjs files into dist, so
 * the path climbs to server/ and back into src/: from src/util and from dist/util alike it names
 * the same file. The gateway image therefore ships server/src/util/processGroup.mjs next to dist.
 */
export { groupAlive, signalGroup, stopGroup, waitForGroupExit } from '../../src/util/processGroup.mjs';
export type { StopGroupOptions, StopOutcome, WaitForGroupExitOptions } from '../../src/util/processGroup.mjs';
