import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { containerArgv } from './command.js';
import { FAKE_GPU_STATE_ENV, FAKE_GPU_STATE_MOUNT } from './dcgm.js';
import type { DeviceAllocator, IpAllocator } from './devices.js';
import { containerEnv, kubeletEnv, type KeyReader, type RuntimeFacts } from './env.js';
import { watchReadiness } from './probes.js';
import { startProcess, which, type ContainerProcess } from './process.js';
import { buildStatus, podPhase, type ContainerState, type PodFacts } from './status.js';
import type { MountPoints } from './mountPoints.js';
import type { ImageEntrypoints } from './types.js';
import { containerMounts, materializeVolume, readOnlyVolumes, type ClaimResolver, type TokenIssuer } from './volumes.js';

/** Everything a {@link PodWorker} needs from its node and the API. */
export interface PodWorkerDeps {
  node: { name: string; hostIP: string; allocatable: Record<string, string>; ips: IpAllocator; devices: DeviceAllocator };
  /** The pod's folder: logs/, volumes/, scripts/. */
  dir: string;
  read: KeyReader;
  issueToken: TokenIssuer;
  /** persistentVolumeClaim volumes: the bound PV's host folder. */
  resolveClaim: ClaimResolver;
  patchStatus(pod: V1Pod, status: V1PodStatus): Promise<void>;
  /** Final delete with gracePeriodSeconds=0 and a uid precondition. */
  deletePod(pod: V1Pod): Promise<void>;
  /** Records a core/v1 Event about the pod, as the kubelet does (source component `kubelet`). */
  event(pod: V1Pod, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  baseEnv: Record<string, string>;
  apiServer: { host: string; port: number };
  imageEntrypoints: ImageEntrypoints;
  /** Shared by all pods of the agent: host mount points created for bind mounts. */
  mountPoints: MountPoints;
  /** GPU pods get `<dir>/gpu-state` mounted at FAKE_GPU_STATE_MOUNT (read by the fake DCGM exporter). */
  gpuStateFiles?: boolean;
  log: (line: string) => void;
}

export const GPU_RESOURCE = 'nvidia.com/gpu';

/** GPUs a pod needs: sum over containers, at least the largest init container (limits, else requests). */
export function gpuRequest(pod: V1Pod): number {
  const of = (c: V1Container): number => Number(c.resources?.limits?.[GPU_RESOURCE] ?? c.resources?.requests?.[GPU_RESOURCE] ?? 0);
  const main = (pod.spec?.containers ?? []).reduce((n, c) => n + of(c), 0);
  return Math.max(main, ...(pod.spec?.initContainers ?? []).map(of));
}

const RESTART_BACKOFF_MS = [1_000, 2_000, 5_000, 10_000];

/**
 * Runs one pod as host processes and reports its status, like a kubelet's pod worker: admit
 * (devices, IP), set up volumes, run init containers in order, then the containers with the pod's
 * restart policy; on deletion, SIGTERM → grace period → SIGKILL → final status → delete.
 */
export class PodWorker {
  private pod: V1Pod;
  private readonly init: ContainerState[];
  private readonly containers: ContainerState[];
  private readonly procs = new Map<string, ContainerProcess>();
  private readonly facts: PodFacts;
  private readonly abort = new AbortController();
  private started = false;
  private terminating: Promise<void> | undefined;
  private released = false;
  private dirty = false;
  private flushing: Promise<void> | undefined;
  gpus: string[] = [];
  podIP: string | undefined;
  /** Per-GPU state files (`<device id>`: `util=…`, `fb_used_mib=…`), written by the pod, read by the exporter. */
  readonly gpuStateDir: string;

  constructor(
    pod: V1Pod,
    private readonly deps: PodWorkerDeps
  ) {
    this.pod = pod;
    this.gpuStateDir = path.join(deps.dir, 'gpu-state');
    const waiting = (c: V1Container): ContainerState => ({
      name: c.name,
      image: c.image ?? '',
      restartCount: 0,
      state: { kind: 'waiting', reason: 'PodInitializing' }
    });
    this.init = (pod.spec?.initContainers ?? []).map(waiting);
    const first = this.init.length > 0 ? 'PodInitializing' : 'ContainerCreating';
    this.containers = (pod.spec?.containers ?? []).map((c) => ({ ...waiting(c), state: { kind: 'waiting', reason: first } }));
    this.facts = { hostIP: deps.node.hostIP, startTime: new Date(), initDone: this.init.length === 0 };
  }

  /** Feeds the latest pod object from the watch. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) {
      this.terminating ??= this.terminate().catch((err) => this.deps.log(`agent: terminating ${this.key()}: ${String(err)}`));
      return;
    }
    const phase = pod.status?.phase;
    if (!this.started && phase !== 'Succeeded' && phase !== 'Failed') {
      this.started = true;
      void this.run().catch((err) => this.deps.log(`agent: running ${this.key()}: ${String(err)}`));
    }
  }

  /** The pod object is gone (force-deleted or finally deleted): kill what is left, free resources. */
  async remove(): Promise<void> {
    this.abort.abort();
    for (const p of this.procs.values()) {
      p.signal('SIGKILL');
    }
    await Promise.all([...this.procs.values()].map((p) => p.exited));
    this.release();
  }

  /** The latest pod object from the watch. */
  get current(): V1Pod {
    return this.pod;
  }

  logFile(container: string): string {
    return path.join(this.deps.dir, 'logs', `${container}.log`);
  }

  private get stateFilesOn(): boolean {
    return this.deps.gpuStateFiles === true && this.gpus.length > 0;
  }

  private key(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  private release(): void {
    if (this.released) {
      return;
    }
    this.released = true;
    this.deps.node.devices.release(this.pod.metadata?.uid ?? '');
    if (this.podIP) {
      this.deps.node.ips.release(this.podIP);
    }
  }

  /** Writes the current status; patches never overlap and the last state always goes out. */
  private publish(): Promise<void> {
    this.dirty = true;
    this.flushing ??= (async () => {
      while (this.dirty) {
        this.dirty = false;
        const status = buildStatus(this.pod, this.init, this.containers, this.facts, new Date());
        await this.deps.patchStatus(this.pod, status).catch((err: { code?: number }) => {
          if (err?.code !== 404) {
            this.deps.log(`agent: status of ${this.key()}: ${String(err)}`);
          }
        });
      }
      this.flushing = undefined;
    })();
    return this.flushing;
  }

  private readonly reported = new Set<string>();

  /** Emits an event; the same warning is emitted once, not on every retry. */
  private emit(type: 'Normal' | 'Warning', reason: string, message: string): void {
    const key = `${type}/${reason}/${message}`;
    if (type === 'Warning' && this.reported.has(key)) {
      return;
    }
    this.reported.add(key);
    void this.deps.event(this.pod, type, reason, message).catch(() => undefined);
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private async run(): Promise<void> {
    const uid = this.pod.metadata?.uid ?? '';
    const need = gpuRequest(this.pod);
    if (need > 0) {
      const got = this.deps.node.devices.allocate(uid, need);
      if (!got) {
        this.facts.rejected = {
          reason: 'UnexpectedAdmissionError',
          message: `Allocate failed due to requested number of devices unavailable for ${GPU_RESOURCE}. Requested: ${need}, Available: ${this.deps.node.devices.free()}`
        };
        this.emit('Warning', 'UnexpectedAdmissionError', this.facts.rejected.message);
        await this.publish();
        return;
      }
      this.gpus = got;
    }
    this.podIP = this.deps.node.ips.allocate();
    this.facts.podIP = this.podIP;
    await mkdir(path.join(this.deps.dir, 'logs'), { recursive: true });
    await mkdir(path.join(this.deps.dir, 'scripts'), { recursive: true });
    if (this.stateFilesOn) {
      await mkdir(this.gpuStateDir, { recursive: true });
      // Containers may run as any uid; the folder is mounted into this pod's containers only.
      await chmod(this.gpuStateDir, 0o777);
    }
    void this.publish();

    const volumes = await this.setUpVolumes();
    if (!volumes) {
      return;
    }
    for (const [i, c] of (this.pod.spec?.initContainers ?? []).entries()) {
      if (!(await this.runContainer(c, this.init[i], volumes, true))) {
        this.release();
        return;
      }
    }
    this.facts.initDone = true;
    void this.publish();
    await Promise.all((this.pod.spec?.containers ?? []).map((c, i) => this.runContainer(c, this.containers[i], volumes, false)));
    await this.publish();
    const phase = podPhase(this.pod, this.init, this.containers, this.facts);
    if (phase === 'Succeeded' || phase === 'Failed') {
      this.release(); // a terminal pod holds no devices or IP, as with a kubelet
    }
  }

  /** Materializes the volumes, retrying (as the kubelet does) while a Secret/ConfigMap is missing or a claim unbound. */
  private async setUpVolumes(): Promise<Map<string, string> | undefined> {
    const root = path.join(this.deps.dir, 'volumes');
    const facts: RuntimeFacts = { podIP: this.podIP ?? '', hostIP: this.deps.node.hostIP, allocatable: this.deps.node.allocatable };
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        const out = new Map<string, string>();
        for (const v of this.pod.spec?.volumes ?? []) {
          out.set(v.name, await materializeVolume(root, v, { pod: this.pod, facts, read: this.deps.read, issueToken: this.deps.issueToken, resolveClaim: this.deps.resolveClaim }));
        }
        return out;
      } catch (err) {
        const message = `MountVolume.SetUp failed: ${err instanceof Error ? err.message : String(err)}`;
        for (const c of [...this.init, ...this.containers]) {
          c.state = { kind: 'waiting', reason: 'ContainerCreating', message };
        }
        this.emit('Warning', 'FailedMount', message);
        void this.publish();
        await this.pause(RESTART_BACKOFF_MS[Math.min(attempt, RESTART_BACKOFF_MS.length - 1)]);
      }
    }
    return undefined;
  }

  /**
   * Runs a container until it is done for good under the restart policy. Resolves true when it
   * ended successfully (init containers: exit 0), false otherwise.
   */
  private async runContainer(c: V1Container, st: ContainerState, volumes: Map<string, string>, isInit: boolean): Promise<boolean> {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    for (let attempt = 0; !this.stopping; attempt++) {
      const code = await this.startAndWait(c, st, volumes);
      if (code === undefined) {
        // Could not be started (config error / no entrypoint): stays waiting, retried like the kubelet.
        await this.pause(RESTART_BACKOFF_MS[Math.min(attempt, RESTART_BACKOFF_MS.length - 1)]);
        continue;
      }
      const again = !this.stopping && (isInit ? code !== 0 && policy !== 'Never' : policy === 'Always' || (policy === 'OnFailure' && code !== 0));
      if (!again) {
        return code === 0;
      }
      this.emit('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${this.pod.metadata?.name}`);
      await this.pause(RESTART_BACKOFF_MS[Math.min(attempt, RESTART_BACKOFF_MS.length - 1)]);
      if (this.stopping) {
        break;
      }
      if (st.state.kind === 'terminated') {
        st.last = { exitCode: st.state.exitCode, reason: st.state.reason, startedAt: st.state.startedAt, finishedAt: st.state.finishedAt };
      }
      st.restartCount++;
    }
    return false;
  }

  /** One start of a container; resolves its exit code, or undefined when it could not start. */
  private async startAndWait(c: V1Container, st: ContainerState, volumes: Map<string, string>): Promise<number | undefined> {
    const facts: RuntimeFacts = { podIP: this.podIP ?? '', hostIP: this.deps.node.hostIP, allocatable: this.deps.node.allocatable };
    let env: Record<string, string>;
    try {
      const base = kubeletEnv(this.pod, this.deps.baseEnv, this.deps.apiServer, this.gpus);
      if (this.stateFilesOn) {
        base[FAKE_GPU_STATE_ENV] = FAKE_GPU_STATE_MOUNT;
      }
      env = await containerEnv(this.pod, c, facts, this.deps.read, base);
    } catch (err) {
      st.state = { kind: 'waiting', reason: 'CreateContainerConfigError', message: err instanceof Error ? err.message : String(err) };
      this.emit('Warning', 'Failed', `Error: ${st.state.message}`);
      void this.publish();
      return undefined;
    }
    const argv = containerArgv(c, this.deps.imageEntrypoints, env);
    if (!argv) {
      st.state = {
        kind: 'waiting',
        reason: 'ErrImagePull',
        message: `image "${c.image}" has no host entrypoint in the node agent's image map and the container sets no command`
      };
      this.emit('Warning', 'Failed', `Failed to pull image "${c.image}": ${st.state.message}`);
      this.emit('Warning', 'Failed', 'Error: ErrImagePull');
      void this.publish();
      return undefined;
    }
    const startedAt = new Date();
    if (!which(argv[0], env.PATH)) {
      st.state = {
        kind: 'terminated',
        exitCode: 128,
        reason: 'StartError',
        message: `exec: "${argv[0]}": executable file not found in $PATH`,
        startedAt,
        finishedAt: new Date()
      };
      this.emit('Warning', 'Failed', `Error: failed to start container "${c.name}": ${st.state.message}`);
      void this.publish();
      return 128;
    }
    const sc = c.securityContext;
    const psc = this.pod.spec?.securityContext;
    const mounts = containerMounts(c, volumes, readOnlyVolumes(this.pod));
    if (this.stateFilesOn) {
      mounts.push({ source: this.gpuStateDir, target: FAKE_GPU_STATE_MOUNT, readOnly: false });
    }
    const held = this.deps.mountPoints.acquire(mounts, c.workingDir);
    const proc = await startProcess({
      argv,
      env,
      workingDir: c.workingDir,
      mounts,
      logFile: this.logFile(c.name),
      scriptFile: path.join(this.deps.dir, 'scripts', `${c.name}.sh`),
      runAsUser: sc?.runAsUser ?? psc?.runAsUser,
      runAsGroup: sc?.runAsGroup ?? psc?.runAsGroup,
      noNewPrivs: sc?.allowPrivilegeEscalation === false,
      dropAllCapabilities: (sc?.capabilities?.drop ?? []).includes('ALL')
    }).catch((err: unknown) => {
      this.deps.mountPoints.release(held);
      throw err;
    });
    this.procs.set(c.name, proc);
    if (this.stopping) {
      // The pod was deleted while its process was starting: it must not outlive the pod.
      proc.signal('SIGKILL');
    }
    this.emit('Normal', 'Started', `Started container ${c.name}`);
    st.state = { kind: 'running', startedAt };
    st.ready = c.readinessProbe ? false : undefined;
    void this.publish();
    const running = new AbortController();
    const stopProbe = (): void => running.abort();
    this.abort.signal.addEventListener('abort', stopProbe, { once: true });
    if (c.readinessProbe) {
      void watchReadiness(c.readinessProbe, { podIP: this.podIP ?? '', pid: proc.pid, env }, running.signal, (ready) => {
        st.ready = ready;
        void this.publish();
      });
    }
    const exitCode = await proc.exited;
    this.deps.mountPoints.release(held);
    running.abort();
    this.abort.signal.removeEventListener('abort', stopProbe);
    st.ready = undefined;
    this.procs.delete(c.name);
    st.state = { kind: 'terminated', exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: new Date() };
    void this.publish();
    return exitCode;
  }

  private async terminate(): Promise<void> {
    this.abort.abort();
    const grace = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    const running = [...this.procs.values()];
    for (const name of this.procs.keys()) {
      this.emit('Normal', 'Killing', `Stopping container ${name}`);
    }
    for (const p of running) {
      p.signal('SIGTERM');
    }
    const allExited = Promise.all(running.map((p) => p.exited));
    const timer = new AbortController();
    const timedOut = await Promise.race([allExited.then(() => false), sleep(grace * 1_000, true, { signal: timer.signal }).catch(() => false)]);
    timer.abort();
    if (timedOut) {
      for (const p of running) {
        p.signal('SIGKILL');
      }
      await allExited;
    }
    // Let the container loops record their terminated states before the final status.
    await new Promise((r) => setImmediate(r));
    await this.publish();
    this.release();
    await this.deps.deletePod(this.pod);
  }
}
