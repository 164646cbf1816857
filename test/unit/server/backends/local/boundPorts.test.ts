import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { awaitBoundPorts, boundConnection } from '../../../../../server/src/backends/local/boundPorts.js';
import type { KernelExit } from '../../../../../server/src/backends/types.js';
import { KernelLaunchError } from '../../../../../server/src/errors.js';
import type { ConnectionInfo } from '../../../../../server/src/protocol/messages.js';

const base: ConnectionInfo = {
  ip: '127.0.0.1',
  transport: 'tcp',
  shell_port: 0,
  iopub_port: 0,
  stdin_port: 0,
  control_port: 0,
  hb_port: 0,
  key: 'k',
  signature_scheme: 'hmac-sha256',
  kernel_name: 'python3'
};
const ports = { shell_port: 4001, iopub_port: 4002, stdin_port: 4003, control_port: 4004, hb_port: 4005 };
const never = new Promise<KernelExit>(() => undefined);

describe('backends/local/boundPorts', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(d => rm(d, { recursive: true, force: true })));
  });
  const file = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sg-ports-'));
    dirs.push(dir);
    return path.join(dir, 'connection.json');
  };

  describe('boundConnection()', () => {
    it('should take the five ports the kernel wrote and keep the gateway key and ip', () => {
      const text = JSON.stringify({ ...base, ...ports, key: 'from-the-file', ip: '0.0.0.0' });
      expect(boundConnection(text, base)).toEqual({ ...base, ...ports });
    });

    it('should be null while any port is still 0, or the file is half written', () => {
      expect(boundConnection(JSON.stringify(base), base)).toBeNull();
      expect(boundConnection(JSON.stringify({ ...ports, hb_port: 0 }), base)).toBeNull();
      expect(boundConnection('{"shell_port": 40', base)).toBeNull();
      expect(boundConnection('', base)).toBeNull();
      expect(boundConnection(JSON.stringify({ ...ports, shell_port: 70000 }), base)).toBeNull();
    });
  });

  describe('awaitBoundPorts()', () => {
    it('should resolve once the kernel has written its ports', async () => {
      const f = await file();
      await writeFile(f, JSON.stringify(base));
      const bound = awaitBoundPorts({ file: f, base, exited: never, signal: new AbortController().signal, pollMs: 5 });
      await writeFile(f, JSON.stringify({ ...base, ...ports }));
      await expect(bound).resolves.toEqual({ ...base, ...ports });
    });

    it('should reject with the exit and the log tail when the kernel dies before binding', async () => {
      const f = await file();
      await writeFile(f, JSON.stringify(base));
      const exited = Promise.resolve<KernelExit>({ code: 1, signal: null, reason: 'ModuleNotFoundError: ipykernel' });
      await expect(awaitBoundPorts({ file: f, base, exited, signal: new AbortController().signal })).rejects.toThrow(
        new KernelLaunchError('kernel exited during start (code 1): ModuleNotFoundError: ipykernel')
      );
    });

    it('should stop with the abort reason (launch timeout, shutdown during start)', async () => {
      const f = await file();
      const abort = new AbortController();
      const bound = awaitBoundPorts({ file: f, base, exited: never, signal: abort.signal, pollMs: 5 });
      abort.abort(new Error('kernel did not start within 1 s'));
      await expect(bound).rejects.toThrow('kernel did not start within 1 s');
    });
  });
});
