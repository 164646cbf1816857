// The one process-group helper: signal, probe and stop a group of processes (a kernel and the
// JVM it spawned, a gateway and its kernels, a lab server). Plain ESM with a hand-written
// processGroup.d.mts so that everything shares this one copy: the gateway (through
// processGroup.ts), the npm scripts, which plain Node runs before any build, and the tests.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Refuses pgids whose negation means something else to kill(2): 0 is our own group, 1 is "every process". */
function checkPgid(pgid) {
  if (!Number.isInteger(pgid) || pgid <= 1) {
    throw new RangeError(`not a process group id: ${pgid}`);
  }
}

/**
 * Sends `signal` to every process of the group led by `pgid`. False when no process of the group
 * is left (ESRCH); other errors (EPERM) are thrown.
 */
export function signalGroup(pgid, signal) {
  checkPgid(pgid);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (error?.code === 'ESRCH') {
      return false;
    }
    throw error;
  }
}

/**
 * True while any live process of the group exists (the leader may have exited before its
 * children). Zombies do not count: where PID 1 does not reap orphans (some containers), a killed
 * orphan stays a zombie in its group forever, though it holds nothing any more.
 */
export function groupAlive(pgid) {
  checkPgid(pgid);
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    // EPERM: it exists, but is not ours to signal.
    return error?.code === 'EPERM';
  }
  return liveMember(pgid) ?? true;
}

/** Whether /proc lists a non-zombie process in group `pgid`; undefined without a readable /proc. */
function liveMember(pgid) {
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') {
      return true;
    }
  }
  return false;
}

/** Resolves to true once the group is gone, or to false if it still exists after `timeoutMs`. */
export async function waitForGroupExit(pgid, { timeoutMs, pollMs = 50 }) {
  const deadline = Date.now() + timeoutMs;
  // Group death has no event to await (its members need not be our children): a short bounded poll.
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) {
      return false;
    }
    // A ref'd timer: a script stopping its last child must not exit before the group is gone.
    await sleep(pollMs);
  }
  return true;
}

/**
 * Stops the group: `signal` (SIGTERM by default) to all of it, up to `graceMs` for it to go, then
 * `onKill`, SIGKILL and up to `killWaitMs` more. Resolves to what happened: 'absent' (no group to
 * stop), 'terminated' (gone within the grace), 'killed' (SIGKILL was needed) or 'survived' (still
 * there after SIGKILL: a process stuck in the kernel, or not ours).
 */
export async function stopGroup(pgid, { graceMs, killWaitMs = 5000, pollMs = 50, signal = 'SIGTERM', onKill }) {
  if (!signalGroup(pgid, signal)) {
    return 'absent';
  }
  if (await waitForGroupExit(pgid, { timeoutMs: graceMs, pollMs })) {
    return 'terminated';
  }
  onKill?.();
  signalGroup(pgid, 'SIGKILL');
  return (await waitForGroupExit(pgid, { timeoutMs: killWaitMs, pollMs })) ? 'killed' : 'survived';
}
