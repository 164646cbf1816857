/**
 * The local `Backend`: kernels as processes. Over 250 lines: `launch` is one sequence (folder,
 * ports, conf, record, spawn, bound ports) whose failure at each step undoes the steps before it;
 * what stands alone lives beside it (runtimeDir.ts, discover.ts, localKernel.ts, boundPorts.ts,
 * ports.ts, sweep.ts, leftovers.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, open, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KernelLaunchError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ConnectionInfo } from '../../protocol/messages.js';
import { buildLocalSparkConf } from '../../spark/localConf.js';
import type { Backend, DiscoveredKernel, KernelExit, LaunchedKernel, LaunchRequest, SweptObject } from '../types.js';
import { discoverLocal } from './discover.js';
import { localKernel, logTail } from './localKernel.js';
import { awaitBoundPorts } from './boundPorts.js';
import { kernelProcesses, reapStrayGroups, sweepLeftovers } from './leftovers.js';
import { freePorts } from './ports.js';
import { processStartTime } from './processProbe.js';
import { createKernelDir, ensureRuntimeDir, RECORD_FILE, removeKernelDir, writeRecord } from './runtimeDir.js';
import { sweepLocal } from './sweep.js';
import type { GatewayProcessRef, LocalKernelRecord } from './types.js';

export interface LocalBackendOptions {
  python: string;
  launcher: string;
  /** Working directory when the client sends no usable KERNEL_WORKING_DIR. */
  workingDir: string;
  /** Environment every kernel starts from (an allow-listed slice of the gateway's; never its token). */
  baseEnv: Readonly<Record<string, string>>;
  logger: Logger;
  /**
   * Private folder of kernel records (runtimeDir.ts): kernels then survive a gateway crash, and the
   * next gateway re-adopts them (`discover`). Null or absent: per-kernel folders go to the OS temp
   * dir and kernels end with the gateway process (no re-adoption).
   */
  runtimeDir?: string | null;
  /** How long a kernel whose gateway is gone waits for one to re-adopt it before it exits (runtimeDir only). */
  adoptGraceSeconds?: number;
  /** This gateway process (tests); by default `process.pid` and its start time. */
  self?: GatewayProcessRef;
  /** Uid that must own the runtime directory and records; by default the process's. */
  uid?: number;
  /** How often an adopted kernel, not our child, is checked for having exited. */
  exitPollMs?: number;
  /** Where kernel folders go without a runtime directory, and whose leftovers the sweep removes; default `os.tmpdir()`. */
  tempDir?: string;
  /** Age below which a leftover temp folder is never removed (its kernel may still be starting); default 60 s. */
  leftoverMinAgeMs?: number;
  /** The proc filesystem that tells which kernel processes live (tests); default `/proc`. */
  procDir?: string;
  /** Milliseconds clock (tests); default `Date.now`. */
  now?: () => number;
}

/**
 * Runs each kernel as a local process: the project's kernel launcher (images/kernel) with a
 * connection file readable only by the gateway's user. Each kernel leads its own process group
 * so that terminating it also ends the JVM PySpark started. With a runtime directory each kernel
 * is recorded there (runtimeDir.ts) and outlives a gateway crash for `adoptGraceSeconds`, so the
 * next gateway re-adopts it (`discover`); a graceful stop still shuts every kernel down.
 */
export class LocalBackend implements Backend {
  readonly name = 'local' as const;

  private readonly _self: GatewayProcessRef;
  private _root: Promise<string | null> | undefined;

  constructor(private readonly _options: LocalBackendOptions) {
    this._self = _options.self ?? { pid: process.pid, start: processStartTime(process.pid) };
  }

  async launch(request: LaunchRequest): Promise<LaunchedKernel> {
    const o = this._options;
    const root = await this._runtimeRoot();
    const dir = root
      ? await createKernelDir(root, request.kernelId)
      : await mkdtemp(path.join(this._tempDir(), `sparkgate-${request.kernelId.slice(0, 8)}-`));
    // Ports 0: the kernel binds free ones itself and writes them back (boundPorts.ts). Spark's UI
    // port is reserved here, below the ephemeral range (ports.ts): it must not move, since the
    // gateway proxies and polls it.
    const [ui] = await freePorts(1);
    const unbound: ConnectionInfo = {
      ip: '127.0.0.1',
      transport: 'tcp',
      shell_port: 0,
      iopub_port: 0,
      stdin_port: 0,
      control_port: 0,
      hb_port: 0,
      key: request.key,
      signature_scheme: 'hmac-sha256',
      kernel_name: request.profile.id
    };
    const connectionFile = path.join(dir, 'connection.json');
    await writeFile(connectionFile, JSON.stringify(unbound), { mode: 0o600 });
    const args = [o.launcher, '--connection-file', connectionFile];
    if (request.profile.spark) {
      const runtime = request.profile.runtime;
      const conf = buildLocalSparkConf({
        kernelId: request.kernelId,
        user: request.pooled ? 'pool' : request.owner.user,
        sizing: request.sizing,
        uiPort: ui!,
        // Images, placement and volumes are Kubernetes-only (README "Configuration file").
        ...(runtime ? { profile: { sparkConf: runtime.sparkConf, packages: runtime.packages } } : {})
      });
      const confFile = path.join(dir, 'spark-conf.json');
      await writeFile(confFile, JSON.stringify(conf), { mode: 0o600 });
      args.push('--spark-conf', confFile);
    }
    const sparkUi = request.profile.spark ? `127.0.0.1:${ui}` : null;
    // Written before the spawn, so a launcher always finds its record (pid follows once known).
    const record: LocalKernelRecord | null = root
      ? {
          version: 1,
          kernelId: request.kernelId,
          kernelName: request.kernelName ?? request.profile.id,
          profileId: request.profile.id,
          owner: request.owner,
          sizing: request.sizing,
          spark: request.profile.spark,
          sparkUi,
          connection: unbound,
          pid: null,
          processStart: null,
          gateway: this._self,
          createdAt: new Date().toISOString()
        }
      : null;
    if (record) {
      await writeRecord(dir, record);
      args.push('--record', path.join(dir, RECORD_FILE), '--adopt-grace', String(o.adoptGraceSeconds ?? 300));
    }
    const log = await open(path.join(dir, 'kernel.log'), 'a', 0o600);
    request.onPhase?.('starting');
    const child = spawn(o.python, args, {
      cwd: await this._workingDir(request.env.KERNEL_WORKING_DIR),
      env: {
        ...o.baseEnv,
        ...request.profile.runtime?.env,
        ...request.env,
        // With a record the launcher watches the gateway named there, not its parent (ipykernel's poller is off).
        ...(record ? {} : { JPY_PARENT_PID: String(process.pid) }),
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
      await removeKernelDir(dir);
      throw new KernelLaunchError(`could not start ${o.python}: is SPARKGATE_PYTHON a Python with ipykernel?`);
    }
    // A warm pool driver has no user until it is claimed (POOL_USER is '').
    const logger = o.logger.child({ kernel: request.kernelId, pid, ...(request.pooled ? { pool: true } : { user: request.owner.user }), tenant: request.owner.tenant });
    const exited = new Promise<KernelExit>(resolve => {
      child.once('error', error => resolve({ code: null, signal: null, reason: error.message }));
      child.once('exit', (code, signal) => {
        void logTail(dir, 20).then(reason => resolve({ code, signal, reason }));
      });
    });
    let connection: ConnectionInfo;
    try {
      connection = await awaitBoundPorts({ file: connectionFile, base: unbound, exited, signal: request.signal });
    } catch (error) {
      // Exited or cancelled before it bound its sockets: stop its group, remove its folder.
      await localKernel({ pid, dir, connection: unbound, sparkUi, exited, logger }).terminate(0);
      throw error;
    }
    const recorded = record
      ? writeRecord(dir, { ...record, connection, pid, processStart: processStartTime(pid) }).catch((error: unknown) =>
          logger.warn('could not record the kernel process; a gateway after a crash cannot adopt it', { error })
        )
      : Promise.resolve();
    logger.debug('kernel process started', { shell: connection.shell_port });
    const kernel = localKernel({ pid, dir, connection, sparkUi, exited, logger, settled: () => recorded });
    if (!request.pooled) {
      return kernel;
    }
    return {
      ...kernel,
      // The record names the claimer, so a gateway after a crash adopts it as theirs.
      claim: async ({ owner, kernelName, env }) => {
        if (record) {
          await recorded;
          await writeRecord(dir, { ...record, owner, kernelName, connection, pid, processStart: processStartTime(pid) });
        }
        return { workingDir: await this._workingDir(env.KERNEL_WORKING_DIR) };
      }
    };
  }

  /** Kernels a crashed gateway left running, from their records (discover.ts); none without a runtime directory. */
  async discover(): Promise<DiscoveredKernel[]> {
    const root = await this._runtimeRoot();
    if (!root) {
      return [];
    }
    return discoverLocal({
      root,
      owner: { uid: this._uid() },
      self: this._self,
      logger: this._options.logger,
      exitPollMs: this._options.exitPollMs ?? 1000
    });
  }

  /**
   * One orphan sweep: the runtime directory's records (sweep.ts), then kernel process groups whose
   * launcher was killed, and kernel folders left in the temp dir by gateways without a runtime
   * directory or by kernels killed before they could clean up (leftovers.ts).
   */
  async sweep(_namespaces: readonly string[], known: ReadonlySet<string>): Promise<SweptObject[]> {
    const o = this._options;
    const root = await this._runtimeRoot();
    const recorded = root ? await sweepLocal({ root, owner: { uid: this._uid() }, self: this._self, known }) : [];
    const processes = await kernelProcesses(o.procDir);
    const strays = processes ? reapStrayGroups({ processes, uid: this._uid(), known }) : [];
    const leftovers = await sweepLeftovers({
      dir: this._tempDir(),
      uid: this._uid(),
      known,
      // Read before the groups were killed: a folder of a group just ended waits for the next sweep.
      liveIds: processes && new Set(processes.map(p => p.kernelId)),
      minAgeMs: o.leftoverMinAgeMs ?? 60_000,
      now: (o.now ?? Date.now)()
    });
    return [...recorded, ...strays, ...leftovers];
  }

  async dispose(): Promise<void> {}

  /** The runtime directory, created (0700) and checked once; null when none is configured. */
  private async _runtimeRoot(): Promise<string | null> {
    const root = this._options.runtimeDir;
    if (!root) {
      return null;
    }
    this._root ??= ensureRuntimeDir(root, { uid: this._uid() }).then(
      ({ tightened }) => {
        if (tightened) {
          this._options.logger.warn('runtime directory was open to others; closed it to 0700', { dir: root });
        }
        return root;
      },
      (error: unknown) => {
        // Serving matters more than re-adoption: kernels then end with the gateway, as without one.
        this._options.logger.error('runtime directory unusable; local kernels will not survive a gateway crash', {
          dir: root,
          error: (error as Error).message
        });
        return null;
      }
    );
    return this._root;
  }

  private _tempDir(): string {
    return this._options.tempDir ?? tmpdir();
  }

  private _uid(): number {
    return this._options.uid ?? process.getuid?.() ?? 0;
  }

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
