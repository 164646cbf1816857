/**
 * Runs the built `sparkgate` command (server/dist/main.js) as a child process on 127.0.0.1:0, so
 * a test can tell whether something a client sent ended the process — which an in-process gateway
 * would turn into a crashed jest worker instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface GatewayProcess {
  readonly child: ChildProcess;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly token: string;
  /** Everything the process wrote to stderr so far (its JSON log lines). */
  log(): string;
  /** True while the process has not exited. */
  alive(): boolean;
  /** Settles with the exit code or signal when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (a crash: nothing is cleaned up); resolves once the process is gone. */
  crash(): Promise<void>;
}

export interface GatewayProcessOptions {
  /** YAML config file contents. */
  yaml?: string;
  /** Single-user token. */
  token?: string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Extra command-line flags. */
  args?: string[];
  /** How long to wait for the listening line. */
  timeoutMs?: number;
  /**
   * `local.runtimeDir` (kernel records for re-adoption after a crash). By default a folder private
   * to this process, removed when it exits, so a killed test gateway leaves no kernel behind.
   */
  runtimeDir?: string;
  /** `local.adoptGraceSeconds`. */
  adoptGraceSeconds?: number;
}

/** Starts the gateway and resolves once it logs the address it listens on. */
export async function spawnGateway(options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  const token = options.token ?? 'process-test-token-0123456789';
  const dir = mkdtempSync(path.join(tmpdir(), 'sparkgate-gw-'));
  const args = [path.join(repoRoot, 'server', 'dist', 'main.js'), '--host', '127.0.0.1', '--port', '0', ...(options.args ?? [])];
  // Every test gateway gets its own runtime directory unless the test shares one on purpose.
  const doc = (options.yaml === undefined ? {} : (parseYaml(options.yaml) ?? {})) as { local?: Record<string, unknown> };
  doc.local = {
    runtimeDir: options.runtimeDir ?? path.join(dir, 'runtime'),
    ...(options.adoptGraceSeconds === undefined ? {} : { adoptGraceSeconds: options.adoptGraceSeconds }),
    ...doc.local
  };
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, stringifyYaml(doc), { mode: 0o600 });
  args.push('--config', file);
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
      SPARKGATE_TOKEN: token,
      SPARKGATE_LOG_LEVEL: 'info',
      ...(process.env.SPARKGATE_PYTHON ? { SPARKGATE_PYTHON: process.env.SPARKGATE_PYTHON } : {}),
      ...options.env
    },
    stdio: ['ignore', 'ignore', 'pipe']
  });
  let stderr = '';
  let exitedYet = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve => {
    child.once('exit', (code, signal) => {
      exitedYet = true;
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal });
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not listen within ${options.timeoutMs ?? 30_000} ms:\n${stderr}`)), options.timeoutMs ?? 30_000);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /"message":"sparkgate listening".*?"url":"(http:\/\/[^"]+)"/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ''));
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${stderr}`));
    });
  });
  return {
    child,
    url,
    token,
    log: () => stderr,
    alive: () => !exitedYet,
    exited,
    stop: async (graceMs = 10_000) => {
      if (exitedYet) {
        return;
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    crash: async () => {
      child.kill('SIGKILL');
      await exited;
    }
  };
}

/** A gateway process with one python3 kernel started on it; fails (and stops the process) unless the launch answers 201. */
export async function spawnGatewayWithKernel(options: GatewayProcessOptions = {}): Promise<{ gw: GatewayProcess; kernelId: string }> {
  const gw = await spawnGateway(options);
  const response = await fetch(`${gw.url}/api/kernels`, {
    method: 'POST',
    headers: { Authorization: `token ${gw.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'python3' })
  });
  const body = (await response.json().catch(() => ({}))) as { id?: string };
  if (response.status !== 201 || typeof body.id !== 'string') {
    await gw.stop();
    throw new Error(`the python3 kernel did not start: ${response.status} ${JSON.stringify(body)}\n${gw.log().slice(-3000)}`);
  }
  return { gw, kernelId: body.id };
}
