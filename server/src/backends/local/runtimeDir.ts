/**
 * The local backend's runtime directory: one private folder per kernel holding its record
 * (`kernel.json`: who owns it, its profile, sizing, connection info with the key, pid, and which
 * gateway process holds it), its connection file, Spark conf and log. A gateway that starts after
 * a crash reads the records back to re-adopt live kernels and remove dead ones (backends/local/
 * discover.ts); the kernel launcher reads its own record to know whether a gateway still holds it.
 *
 * Everything here is the gateway user's alone: the root is 0700, folders 0700, files 0600. A
 * record that is not (another uid, group or world access, a symlink, not JSON of the expected
 * shape) is refused with the reason, never trusted.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { LocalKernelRecord } from './types.js';

/** The record's file name inside a kernel's folder. */
export const RECORD_FILE = 'kernel.json';

const count = z.number().finite().min(0);
// A JVM's GPU type and memory overhead are kept (the local backend ignores them) so a re-adopted
// kernel's sizing is the one it was launched with, and still matches its profile's warm pool.
const resources = z.object({ cores: count, memoryMiB: count, gpus: count, gpuType: z.string().min(1).optional(), memoryOverheadMiB: count.optional() });
const port = z.number().int().min(1).max(65535);
const pid = z.number().int().min(2);

const recordSchema = z.object({
  version: z.literal(1),
  kernelId: z.string().min(1),
  kernelName: z.string().min(1),
  profileId: z.string().min(1),
  // user '' (POOL_USER): an unclaimed warm pool driver, which the next gateway stops.
  owner: z.object({ user: z.string(), tenant: z.string().min(1) }),
  sizing: z.object({
    driver: resources,
    executors: resources.extend({ count: count.optional(), min: count.optional(), max: count.optional() })
  }),
  spark: z.boolean(),
  sparkUi: z.string().nullable(),
  connection: z.object({
    ip: z.string().min(1),
    transport: z.literal('tcp'),
    shell_port: port,
    iopub_port: port,
    stdin_port: port,
    control_port: port,
    hb_port: port,
    key: z.string().min(1),
    signature_scheme: z.literal('hmac-sha256'),
    kernel_name: z.string().optional()
  }),
  pid: pid.nullable(),
  processStart: z.string().nullable(),
  gateway: z.object({ pid, start: z.string().nullable() }),
  createdAt: z.string()
});

/** A kernel folder read back: its record, or why it is refused. */
export type ReadRecord = { dir: string; ok: true; record: LocalKernelRecord } | { dir: string; ok: false; reason: string };

/** Who may own the runtime directory and its records. */
export interface Owner {
  uid: number;
}

/**
 * Creates the root (0700) if missing. A root of another user is refused (throws); one of ours
 * that group or others can enter is closed to 0700 and that is returned, for the caller to log.
 */
export async function ensureRuntimeDir(root: string, owner: Owner): Promise<{ tightened: boolean }> {
  let info = await lstat(root).catch(() => null);
  if (!info) {
    await mkdir(root, { recursive: true, mode: 0o700 });
    info = await lstat(root);
  }
  if (!info.isDirectory()) {
    throw new Error(`runtime directory ${root} is not a directory`);
  }
  if (info.uid !== owner.uid) {
    throw new Error(`runtime directory ${root} belongs to uid ${info.uid}, not to this gateway's uid ${owner.uid}`);
  }
  if ((info.mode & 0o077) !== 0) {
    await chmod(root, 0o700);
    return { tightened: true };
  }
  return { tightened: false };
}

/** A new private folder for one kernel (unique even while an earlier one of the same id is being removed). */
export function createKernelDir(root: string, kernelId: string): Promise<string> {
  return mkdtemp(path.join(root, `${kernelId}.`));
}

/** Writes the record atomically (a 0600 temp file renamed over it): a reader never sees half a record. */
export async function writeRecord(dir: string, record: LocalKernelRecord): Promise<void> {
  const file = path.join(dir, RECORD_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(record), { mode: 0o600 });
  await rename(temp, file);
}

/** Reads one kernel folder's record, checking owner, permissions and shape. */
export async function readRecord(dir: string, owner: Owner): Promise<ReadRecord> {
  const refuse = (reason: string): ReadRecord => ({ dir, ok: false, reason });
  const dirInfo = await lstat(dir).catch(() => null);
  if (!dirInfo?.isDirectory()) {
    return refuse('not a directory');
  }
  if (dirInfo.uid !== owner.uid) {
    return refuse(`owned by uid ${dirInfo.uid}, not ${owner.uid}`);
  }
  if ((dirInfo.mode & 0o077) !== 0) {
    return refuse(`folder mode ${mode(dirInfo.mode)} lets others in (expected 0700)`);
  }
  const file = path.join(dir, RECORD_FILE);
  const info = await lstat(file).catch(() => null);
  if (!info) {
    return refuse(`no ${RECORD_FILE}`);
  }
  if (!info.isFile()) {
    return refuse(`${RECORD_FILE} is not a regular file`);
  }
  if (info.uid !== owner.uid) {
    return refuse(`${RECORD_FILE} owned by uid ${info.uid}, not ${owner.uid}`);
  }
  if ((info.mode & 0o077) !== 0) {
    return refuse(`${RECORD_FILE} mode ${mode(info.mode)} lets others read it (expected 0600)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return refuse(`${RECORD_FILE} is not JSON: ${(error as Error).message}`);
  }
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse(`${RECORD_FILE} is malformed: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid'}`);
  }
  return { dir, ok: true, record: parsed.data };
}

/** Every kernel folder under the root, read (temp files and other entries are skipped). */
export async function readRecords(root: string, owner: Owner): Promise<ReadRecord[]> {
  const names = await readdir(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      return [];
    }
    throw error;
  });
  return Promise.all(names.filter(n => !n.startsWith('.')).map(n => readRecord(path.join(root, n), owner)));
}

/** Removes a kernel's folder (record, key, log). Idempotent. */
export function removeKernelDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

function mode(m: number): string {
  return `0${(m & 0o777).toString(8)}`;
}
