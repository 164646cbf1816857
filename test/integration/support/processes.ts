/** Finds processes by the kernel id the local backend puts in every kernel's environment. */
import { readdirSync, readFileSync } from 'node:fs';
import { holdsWithin } from '../../support/waitFor.js';

/** Pids of live processes whose environment has SPARKGATE_KERNEL_ID=<kernelId> (the kernel, its JVM, …). */
export function processesOfKernel(kernelId: string): number[] {
  const needle = `SPARKGATE_KERNEL_ID=${kernelId}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      // Zombies (state Z) are gone for our purposes: they hold no resources but a pid.
      if (env.split('\0').includes(needle) && !/\) Z /.test(stat)) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

/** Waits (bounded) until no process of the kernel remains; returns what is left. */
export async function waitForNoProcesses(kernelId: string, timeoutMs: number): Promise<number[]> {
  await holdsWithin(() => processesOfKernel(kernelId).length === 0, { timeoutMs, intervalMs: 100 });
  return processesOfKernel(kernelId);
}
