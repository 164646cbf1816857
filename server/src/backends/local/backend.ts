import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KernelLaunchError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ConnectionInfo } from '../../protocol/messages.js';
import { buildLocalSparkConf } from '../../spark/localConf.js';
import type { Backend, KernelExit, LaunchedKernel, LaunchRequest } from '../types.js';
import { stopGroup } from '../../util/processGroup.js';
import { freePorts } from './ports.js';

export interface LocalBackendOptions {
  python: string;
  launcher: string;
  /** Working directory when the client sends no usable KERNEL_WORKING_DIR. */
  workingDir: string;
  /** Environment every kernel starts from (an allow-listed slice of the gateway's; never its token). */
  baseEnv: Readonly<Record<string, string>>;
  logger: Logger;
  /** Where per-kernel directories (connection file, log) go; the OS temp dir by default. */
  runtimeDir?: string;
}

/**
 * Runs each kernel as a local process: the project's kernel launcher (images/kernel) with a
 * connection file readable only by the gateway's user. Each kernel leads its own process group
 * so that terminating it also ends the JVM PySpark started.
 */
export class LocalBackend implements Backend {
  readonly name = 'local' as const;

  constructor(private readonly _options: LocalBackendOptions) {}

  async launch(request: LaunchRequest): Promise<LaunchedKernel> {
    const o = this._options;
    const dir = await mkdtemp(path.join(o.runtimeDir ?? tmpdir(), `sparkgate-${request.kernelId.slice(0, 8)}-`));
    const [shell, iopub, stdin, control, hb, ui] = await freePorts(6);
    const connection: ConnectionInfo = {
      ip: '127.0.0.1',
      transport: 'tcp',
      shell_port: shell!,
      iopub_port: iopub!,
      stdin_port: stdin!,
      control_port: control!,
      hb_port: hb!,
      key: request.key,
      signature_scheme: 'hmac-sha256',
      kernel_name: request.profile.id
    };
    const connectionFile = path.join(dir, 'connection.json');
    await writeFile(connectionFile, JSON.stringify(connection), { mode: 0o600 });
    const args = [o.launcher, '--connection-file', connectionFile];
    if (request.profile.spark) {
      const conf = buildLocalSparkConf({ kernelId: request.kernelId, user: request.owner.user, sizing: request.sizing, uiPort: ui! });
      const confFile = path.join(dir, 'spark-conf.json');
      await writeFile(confFile, JSON.stringify(conf), { mode: 0o600 });
      args.push('--spark-conf', confFile);
    }
    const logFile = path.join(dir, 'kernel.log');
    const log = await open(logFile, 'a', 0o600);
    request.onPhase?.('starting');
    const child = spawn(o.python, args, {
      cwd: await this._workingDir(request.env.KERNEL_WORKING_DIR),
      env: {
        ...o.baseEnv,
        ...request.env,
        JPY_PARENT_PID: String(process.pid),
        SPARKGATE_KERNEL_ID: request.kernelId,
        PYSPARK_PYTHON: o.python,
        PYSPARK_DRIVER_PYTHON: o.python
      },
      detached: true,
      stdio: ['ignore', log.fd, log.fd]
    });
    await log.close();
    const pid = child.pid;
    if (pid === undefined) {
      await rm(dir, { recursive: true, force: true });
      throw new KernelLaunchError(`could not start ${o.python}: is SPARKGATE_PYTHON a Python with ipykernel?`);
    }
    const logger = o.logger.child({ kernel: request.kernelId, pid });
    const tail = async (lines: number): Promise<string> => {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      return text.trimEnd().split('\n').slice(-lines).join('\n');
    };
    const exited = new Promise<KernelExit>(resolve => {
      child.once('error', error => resolve({ code: null, signal: null, reason: error.message }));
      child.once('exit', (code, signal) => {
        void tail(20).then(reason => resolve({ code, signal, reason }));
      });
    });
    let terminating: Promise<void> | undefined;
    logger.debug('kernel process started');
    return {
      connection,
      exited,
      sparkUi: request.profile.spark ? `127.0.0.1:${ui}` : null,
      interruptMode: 'signal',
      status: () => null,
      interrupt: async () => {
        // Only the kernel process: the JVM ignores SIGINT and the kernel cancels Spark jobs itself.
        process.kill(pid, 'SIGINT');
      },
      terminate: graceMs =>
        (terminating ??= (async () => {
          await stopGroup(pid, {
            graceMs,
            onKill: () => logger.warn('kernel did not stop in time; killing its process group', { graceMs })
          });
          await exited;
          await rm(dir, { recursive: true, force: true });
        })()),
      logTail: tail
    };
  }

  async dispose(): Promise<void> {}

  private async _workingDir(asked: string | undefined): Promise<string> {
    if (asked && path.isAbsolute(asked)) {
      const info = await stat(asked).catch(() => null);
      if (info?.isDirectory()) {
        return asked;
      }
    }
    return this._options.workingDir;
  }
}
