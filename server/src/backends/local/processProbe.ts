/**
 * Whether a process a record names is still the one it was: a pid plus its start time (field 22
 * of /proc/<pid>/stat, clock ticks since boot), so a pid the OS handed to another program since
 * (after a reboot, or a long time) never counts as our kernel or our gateway. Linux only for the
 * start time; elsewhere the pid alone is checked.
 */
import { readFileSync } from 'node:fs';

/** The process's start time as /proc reports it, or null where /proc cannot tell (gone, not Linux). */
export function processStartTime(pid: number): string | null {
  const fields = statFields(pid);
  // After "(comm)": state is field 3, so starttime (field 22) is index 19.
  return fields?.[19] ?? null;
}

/**
 * True while `pid` runs and, when `start` is given and /proc can tell, started at `start`.
 * Zombies do not count: an exited kernel waiting to be reaped holds nothing any more.
 */
export function processAlive(pid: number, start: string | null): boolean {
  if (!Number.isInteger(pid) || pid <= 1) {
    return false;
  }
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: another user's process now, so not ours whatever its pid says.
    return false;
  }
  const fields = statFields(pid);
  if (!fields) {
    return true; // no /proc: the pid alone
  }
  const state = fields[0];
  if (state === 'Z' || state === 'X') {
    return false;
  }
  return start === null || fields[19] === start;
}

/** True when no process at all has this pid (so its process group, if any is left, is ours to end). */
export function pidAbsent(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
  } catch {
    return null;
  }
}
