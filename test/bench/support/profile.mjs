#!/usr/bin/env node
/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function, top N.
 *   node test/bench/support/profile.mjs FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map(n => [n.id, n]));
  const ticks = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    ticks.set(profile.samples[i], (ticks.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...ticks.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map();
  for (const [id, us] of ticks) {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|server\/dist)\//, '$1/')}:${f.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  return { totalMs: total / 1000, rows: [...byFn].sort((a, b) => b[1] - a[1]).map(([fn, us]) => ({ fn, ms: us / 1000, pct: (100 * us) / total })) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { totalMs, rows } = selfTimes(JSON.parse(readFileSync(process.argv[2], 'utf8')));
  console.log(`total ${totalMs.toFixed(0)} ms`);
  for (const r of rows.slice(0, Number(process.argv[3] ?? 25))) {
    console.log(`${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.fn}`);
  }
}
