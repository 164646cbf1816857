/** The slow cell of the gateway-crash tests (local and Kubernetes) and how to read its output back. */
import type { WsMessage } from '../integration/support/kernelSocket.js';

/** Tick period of the slow cell: its prints land on a wall-clock grid shared by every kernel. */
export const PERIOD_S = 0.25;

/** A cell that prints "tick i <time>" 30 times for ~7.5 s, on the PERIOD_S grid, then sets `done`. */
export const SLOW_CELL =
  `import time\nt0 = (int(time.time() / ${PERIOD_S}) + 1) * ${PERIOD_S}\nfor i in range(30):\n` +
  `    time.sleep(max(0.0, t0 + i * ${PERIOD_S} - time.time()))\n    print("tick", i, "%.3f" % time.time(), flush=True)\ndone = "finished"`;

/** The "tick i t" lines in `messages`' stdout, in order. */
export function ticks(messages: readonly WsMessage[]): { i: number; t: number }[] {
  const text = messages
    .filter(m => m.header.msg_type === 'stream' && m.content.name === 'stdout')
    .map(m => String(m.content.text))
    .join('');
  return [...text.matchAll(/^tick (\d+) ([\d.]+)$/gm)].map(m => ({ i: Number(m[1]), t: Number(m[2]) }));
}
