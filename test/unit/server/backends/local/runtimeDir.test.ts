// backends/local/runtimeDir.ts: kernel records a gateway re-reads after a crash (issue 13, item 3),
// on a real temp folder: written private and atomically, read back as written, anything not the
// gateway user's own (other uid, open permissions, symlinks, malformed JSON) refused with why.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createKernelDir,
  ensureRuntimeDir,
  readRecord,
  readRecords,
  RECORD_FILE,
  removeKernelDir,
  writeRecord
} from '../../../../../server/src/backends/local/runtimeDir.js';
import type { LocalKernelRecord } from '../../../../../server/src/backends/local/types.js';

const uid = process.getuid?.() ?? 0;
const me = { uid };
const ID = '0b7e2c1a-52d4-4e4f-9c55-0a1e2f3b4c5d';

function record(over: Partial<LocalKernelRecord> = {}): LocalKernelRecord {
  return {
    version: 1,
    kernelId: ID,
    kernelName: `pyspark--${ID}`,
    profileId: 'pyspark',
    owner: { user: 'alice', tenant: 'default' },
    sizing: { driver: { cores: 2, memoryMiB: 2048, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 } },
    spark: true,
    sparkUi: '127.0.0.1:4040',
    connection: {
      ip: '127.0.0.1',
      transport: 'tcp',
      shell_port: 50001,
      iopub_port: 50002,
      stdin_port: 50003,
      control_port: 50004,
      hb_port: 50005,
      key: 'secret-key',
      signature_scheme: 'hmac-sha256',
      kernel_name: 'pyspark'
    },
    pid: 4242,
    processStart: '123456',
    gateway: { pid: 4000, start: '120000' },
    createdAt: '2026-12-02T14:00:00.000Z',
    ...over
  };
}

let tmp: string;
let root: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-runtimedir-test-'));
  root = path.join(tmp, 'state', 'sparkgate', 'kernels');
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('backends/local/runtimeDir', () => {
  describe('#ensureRuntimeDir()', () => {
    it('should create the root, parents included, as 0700', async () => {
      await expect(ensureRuntimeDir(root, me)).resolves.toEqual({ tightened: false });
      expect(await modeOf(root)).toBe(0o700);
    });

    it('should close a root of ours that others can enter, and say so', async () => {
      await mkdir(root, { recursive: true, mode: 0o755 });
      await chmod(root, 0o755);
      await expect(ensureRuntimeDir(root, me)).resolves.toEqual({ tightened: true });
      expect(await modeOf(root)).toBe(0o700);
    });

    it("should refuse a root that is another user's", async () => {
      await mkdir(root, { recursive: true, mode: 0o700 });
      await expect(ensureRuntimeDir(root, { uid: uid + 1 })).rejects.toThrow(`belongs to uid ${uid}, not to this gateway's uid ${uid + 1}`);
    });

    it('should refuse a root that is a file', async () => {
      await mkdir(path.dirname(root), { recursive: true });
      await writeFile(root, 'x');
      await expect(ensureRuntimeDir(root, me)).rejects.toThrow('is not a directory');
    });
  });

  describe('#writeRecord() and #readRecord()', () => {
    it('should write a 0600 record in a 0700 folder and read back exactly what was written', async () => {
      await ensureRuntimeDir(root, me);
      const dir = await createKernelDir(root, ID);
      expect(path.basename(dir).startsWith(`${ID}.`)).toBe(true);
      expect(await modeOf(dir)).toBe(0o700);
      await writeRecord(dir, record());
      expect(await modeOf(path.join(dir, RECORD_FILE))).toBe(0o600);
      expect(await readRecord(dir, me)).toEqual({ dir, ok: true, record: record() });
      // Atomic replace: no temp file stays behind, and a rewrite (a re-adopting gateway) wins.
      await writeRecord(dir, record({ gateway: { pid: 5000, start: null } }));
      expect(await readdir(dir)).toEqual([RECORD_FILE]);
      expect(await readRecord(dir, me)).toMatchObject({ ok: true, record: { gateway: { pid: 5000, start: null } } });
    });

    it('should give two folders for the same kernel id (a restart while the old one is being removed)', async () => {
      await ensureRuntimeDir(root, me);
      const [a, b] = await Promise.all([createKernelDir(root, ID), createKernelDir(root, ID)]);
      expect(a).not.toBe(b);
    });

    it('should read a record not yet naming its process (written before the spawn)', async () => {
      await ensureRuntimeDir(root, me);
      const dir = await createKernelDir(root, ID);
      await writeRecord(dir, record({ pid: null, processStart: null, sparkUi: null }));
      expect(await readRecord(dir, me)).toMatchObject({ ok: true, record: { pid: null, sparkUi: null } });
    });
  });

  describe('refusals', () => {
    let dir: string;
    beforeEach(async () => {
      await ensureRuntimeDir(root, me);
      dir = await createKernelDir(root, ID);
      await writeRecord(dir, record());
    });
    const refusal = async (): Promise<string> => {
      const read = await readRecord(dir, me);
      if (read.ok) {
        throw new Error('expected a refusal');
      }
      return read.reason;
    };

    it("should refuse a folder that is another user's", async () => {
      const read = await readRecord(dir, { uid: uid + 1 });
      expect(read).toEqual({ dir, ok: false, reason: `owned by uid ${uid}, not ${uid + 1}` });
    });

    it('should refuse a folder others can enter', async () => {
      await chmod(dir, 0o750);
      expect(await refusal()).toBe('folder mode 0750 lets others in (expected 0700)');
    });

    it('should refuse a record others can read', async () => {
      await chmod(path.join(dir, RECORD_FILE), 0o644);
      expect(await refusal()).toBe(`${RECORD_FILE} mode 0644 lets others read it (expected 0600)`);
    });

    it('should refuse a record that is a symlink', async () => {
      const elsewhere = path.join(tmp, 'elsewhere.json');
      await writeFile(elsewhere, JSON.stringify(record()), { mode: 0o600 });
      await rm(path.join(dir, RECORD_FILE));
      await symlink(elsewhere, path.join(dir, RECORD_FILE));
      expect(await refusal()).toBe(`${RECORD_FILE} is not a regular file`);
    });

    it('should refuse a folder without a record', async () => {
      await rm(path.join(dir, RECORD_FILE));
      expect(await refusal()).toBe(`no ${RECORD_FILE}`);
    });

    it('should refuse a record that is not JSON', async () => {
      await writeFile(path.join(dir, RECORD_FILE), '{"version": 1,', { mode: 0o600 });
      expect(await refusal()).toMatch(new RegExp(`^${RECORD_FILE} is not JSON: `));
    });

    it.each([
      ['another version', { version: 2 }, 'version'],
      ['a pid of 1', { pid: 1 }, 'pid'],
      ['a key missing', { connection: { ...record().connection, key: '' } }, 'connection.key'],
      ['a port out of range', { connection: { ...record().connection, hb_port: 70000 } }, 'connection.hb_port'],
      ['negative cores', { sizing: { ...record().sizing, driver: { cores: -1, memoryMiB: 1, gpus: 0 } } }, 'sizing.driver.cores']
    ])('should refuse a record with %s, naming the field', async (_what, over, field) => {
      await writeFile(path.join(dir, RECORD_FILE), JSON.stringify({ ...record(), ...over }), { mode: 0o600 });
      expect(await refusal()).toMatch(new RegExp(`^${RECORD_FILE} is malformed: ${field.replace('.', '\\.')} `));
    });
  });

  describe('#readRecords() and #removeKernelDir()', () => {
    it('should read every kernel folder, good and refused, and find none once removed', async () => {
      await ensureRuntimeDir(root, me);
      const good = await createKernelDir(root, ID);
      await writeRecord(good, record());
      const bad = await createKernelDir(root, 'other');
      const reads = await readRecords(root, me);
      expect(reads.map(r => [r.dir, r.ok]).sort()).toEqual([[bad, false], [good, true]].sort());
      await removeKernelDir(good);
      await removeKernelDir(bad);
      await removeKernelDir(bad); // idempotent
      expect(await readRecords(root, me)).toEqual([]);
    });

    it('should read nothing from a root that does not exist yet', async () => {
      await expect(readRecords(root, me)).resolves.toEqual([]);
    });
  });
});
