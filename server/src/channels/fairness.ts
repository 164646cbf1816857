/**
 * Event-loop fairness for receive loops. zeromq.js hands over already-queued messages without
 * returning to the event loop, so a kernel streaming a backlog could starve every other socket,
 * timer and HTTP request (the scale benchmark saw 400+ ms of loop lag with 100 kernels streaming).
 * All loops share one time slice per event-loop turn; past it they yield with setImmediate.
 */
import { performance } from 'node:perf_hooks';

/** How long receive loops may run in one event-loop turn. */
export const SLICE_MS = 2;

let sliceStart = 0;
let armed = false;

function disarm(): void {
  armed = false;
}

/** Resolves at once while the current slice lasts; otherwise after the event loop has turned. */
export function fairTurn(): Promise<void> | undefined {
  const now = performance.now();
  if (!armed) {
    // First message of this turn: open a slice that ends when the loop reaches its check phase.
    armed = true;
    sliceStart = now;
    setImmediate(disarm);
    return undefined;
  }
  if (now - sliceStart < SLICE_MS) {
    return undefined;
  }
  return new Promise(resolve => setImmediate(resolve));
}
