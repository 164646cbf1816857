/**
 * The local backend's orphan sweep (fleet/reaper.ts paces it): kernel folders in the runtime
 * directory that no kernel owns any more. Removed: a folder whose kernel process is gone and whose
 * gateway is gone too (or is this one, which no longer knows the kernel); a kernel process this
 * gateway started and no longer knows (a stop that failed), with its group. Left alone: anything a
 * live gateway holds (another one on the same directory), a live kernel whose gateway crashed (a
 * new gateway may still adopt it; its launcher exits by itself after the grace), refused records.
 */
import { groupAlive, signalGroup, stopGroup } from '../../util/processGroup.js';
import type { SweptObject } from '../types.js';
import { pidAbsent, processAlive } from './processProbe.js';
import { readRecords, removeKernelDir, type Owner } from './runtimeDir.js';
import type { GatewayProcessRef } from './types.js';

export interface SweepLocalOptions {
  root: string;
  owner: Owner;
  self: GatewayProcessRef;
  /** Ids of every kernel this gateway holds, starting ones included. */
  known: ReadonlySet<string>;
}

/** One sweep; returns what it removed and why. */
export async function sweepLocal(o: SweepLocalOptions): Promise<SweptObject[]> {
  const swept: SweptObject[] = [];
  for (const entry of await readRecords(o.root, o.owner)) {
    if (!entry.ok) {
      continue;
    }
    const { record, dir } = entry;
    const ours = record.gateway.pid === o.self.pid;
    if (ours && o.known.has(record.kernelId)) {
      continue;
    }
    if (!ours && processAlive(record.gateway.pid, record.gateway.start)) {
      continue; // another live gateway's
    }
    const alive = record.pid !== null && processAlive(record.pid, record.processStart);
    if (alive && !ours) {
      continue; // adoptable until its grace ends; the launcher then exits and removes this itself
    }
    if (alive && record.pid !== null) {
      await stopGroup(record.pid, { graceMs: 5000 });
      swept.push({ kind: 'process', namespace: '', name: `${record.pid}`, reason: `kernel ${record.kernelId} is no longer known to this gateway` });
    } else if (record.pid !== null && pidAbsent(record.pid) && groupAlive(record.pid)) {
      // A pgid is not reused while any member lives: what is left in the group is the kernel's (a JVM).
      signalGroup(record.pid, 'SIGKILL');
      swept.push({ kind: 'process', namespace: '', name: `group ${record.pid}`, reason: `left behind by kernel ${record.kernelId}, whose process is gone` });
    }
    await removeKernelDir(dir);
    swept.push({
      kind: 'directory',
      namespace: '',
      name: dir,
      reason: alive ? `kernel ${record.kernelId} was stopped as an orphan` : `kernel ${record.kernelId}'s process is gone and no gateway holds it`
    });
  }
  return swept;
}
