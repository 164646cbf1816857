/**
 * What a gateway finds in the runtime directory at start (runtimeDir.ts): kernels an earlier
 * gateway process left running when it crashed. Live ones are handed to the manager to adopt
 * (same id, owner, variables); dead ones are reaped (record and key removed, any process left in
 * their group ended); records that are not ours are refused. Each decision is logged with why.
 */
import type { Logger } from '../../log.js';
import { groupAlive, signalGroup } from '../../util/processGroup.js';
import { POOL_USER, type DiscoveredKernel } from '../types.js';
import { localKernel, watchPid } from './localKernel.js';
import { pidAbsent, processAlive } from './processProbe.js';
import { readRecords, removeKernelDir, writeRecord, type Owner } from './runtimeDir.js';
import type { GatewayProcessRef, LocalKernelRecord } from './types.js';

export interface DiscoverLocalOptions {
  root: string;
  owner: Owner;
  /** This gateway process: what an adopted kernel's record is rewritten to name. */
  self: GatewayProcessRef;
  logger: Logger;
  /** How often an adopted kernel (not our child) is checked for having exited. */
  exitPollMs: number;
}

/** Kernels to adopt; reaps and refuses the rest (see the module comment). */
export async function discoverLocal(o: DiscoverLocalOptions): Promise<DiscoveredKernel[]> {
  const found: DiscoveredKernel[] = [];
  for (const entry of await readRecords(o.root, o.owner)) {
    if (!entry.ok) {
      o.logger.warn('kernel record refused; left as it is', { dir: entry.dir, reason: entry.reason });
      continue;
    }
    const { record, dir } = entry;
    const owner = record.owner.user === POOL_USER ? { pool: true } : { user: record.owner.user };
    const logger = o.logger.child({ kernel: record.kernelId, ...owner, tenant: record.owner.tenant });
    const held = record.gateway;
    if (held.pid === o.self.pid || processAlive(held.pid, held.start)) {
      // Another gateway on the same runtime directory (or this one) holds it: not ours to take.
      logger.info('kernel left to the gateway process that holds it', { gatewayPid: held.pid });
      continue;
    }
    if (record.pid === null || !processAlive(record.pid, record.processStart)) {
      await reap(record, dir, logger);
      continue;
    }
    found.push(adoptable(record, dir, o, logger));
  }
  return found;
}

async function reap(record: LocalKernelRecord, dir: string, logger: Logger): Promise<void> {
  const pid = record.pid;
  // A group outlives its leader only with our orphans in it (a JVM): a pgid is not reused while any member lives.
  if (pid !== null && pidAbsent(pid) && groupAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    logger.warn('ended processes left in the group of a kernel that is gone', { pgid: pid });
  }
  await removeKernelDir(dir);
  logger.warn('removed the record and key of a kernel that is gone', {
    pid,
    dir,
    why: pid === null ? 'its gateway crashed before the kernel process started' : 'its process is no longer running'
  });
}

function adoptable(record: LocalKernelRecord, dir: string, o: DiscoverLocalOptions, logger: Logger): DiscoveredKernel {
  const pid = record.pid as number;
  return {
    kernelId: record.kernelId,
    owner: record.owner,
    profileId: record.profileId,
    kernelName: record.kernelName,
    sizing: record.sizing,
    adopt: () => {
      // Naming this gateway in the record is what tells the launcher to cancel its grace timer.
      const claim = writeRecord(dir, { ...record, gateway: o.self }).catch((error: unknown) =>
        logger.warn('could not claim the kernel record; the kernel may exit after its grace', { error })
      );
      return localKernel({
        pid,
        dir,
        connection: record.connection,
        sparkUi: record.sparkUi,
        exited: watchPid(pid, record.processStart, { dir, pollMs: o.exitPollMs }),
        logger: logger.child({ pid }),
        settled: () => claim
      });
    }
  };
}
