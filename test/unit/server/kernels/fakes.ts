/**
 * Fakes for the kernel state machine's unit tests: channels that answer like a kernel would (no
 * zmq), and a backend whose kernels are plain objects whose exit the test decides (no processes).
 */
import type { Backend, DiscoveredKernel, KernelExit, KernelWatchListener, LaunchedKernel, LaunchRequest, StopNote } from '../../../../server/src/backends/types.js';
import type { KernelChannels, KernelChannelsOptions } from '../../../../server/src/channels/types.js';
import type { GatewayConfig, Profile, Sizing, TenantConfig } from '../../../../server/src/config/types.js';
import type { KernelClient } from '../../../../server/src/kernels/types.js';
import { makeMessage } from '../../../../server/src/protocol/make.js';
import type { RawMessage } from '../../../../server/src/protocol/messages.js';
import { parseHeader } from '../../../../server/src/protocol/wire.js';

export const KERNEL_SESSION = 'kernel-session';

/** A message from the kernel, answering `parent` when given. */
export function fromKernel(channel: RawMessage['channel'], msgType: string, content: Record<string, unknown>, parent?: RawMessage): RawMessage {
  return makeMessage({ channel, msgType, content, session: KERNEL_SESSION, username: 'kernel', ...(parent ? { parentHeader: parent.header } : {}) });
}

/** An iopub status message. */
export function status(state: 'busy' | 'idle' | 'starting', parent?: RawMessage): RawMessage {
  return fromKernel('iopub', 'status', { execution_state: state }, parent);
}

/** One kernel's fake channels: records what is sent; `answer` decides what the kernel says back. */
export class FakeChannels implements KernelChannels {
  constructor(options: KernelChannelsOptions, answer: Answer) {
    this.options = options;
    this._answer = answer;
  }

  readonly options: KernelChannelsOptions;
  readonly sent: RawMessage[] = [];
  isClosed = false;

  /** msg_types sent, in order. */
  get sentTypes(): string[] {
    return this.sent.map(m => parseHeader(m).msg_type);
  }

  async send(message: RawMessage): Promise<void> {
    if (this.isClosed) {
      throw new Error('channels closed');
    }
    this.sent.push(message);
    for (const reply of this._answer(message)) {
      // As zmq would: later, not inside send.
      queueMicrotask(() => this.receive(reply));
    }
  }

  /** The kernel says `message`. */
  receive(message: RawMessage): void {
    if (!this.isClosed) {
      this.options.onMessage(message);
    }
  }

  close(): void {
    this.isClosed = true;
  }

  private readonly _answer: Answer;
}

/** What the fake kernel answers to one request. */
export type Answer = (request: RawMessage) => RawMessage[];

/** Like ipykernel: busy, the reply, idle, for every request. */
export const ANSWER_ALL: Answer = request => {
  const type = parseHeader(request).msg_type.replace(/_request$/, '_reply');
  return [status('busy', request), fromKernel(request.channel, type, { status: 'ok' }, request), status('idle', request)];
};

/** A kernel that never answers. */
export const ANSWER_NOTHING: Answer = () => [];

/** Channels factory that keeps every instance; `answer` may be changed between launches. */
export class FakeChannelsFactory {
  readonly made: FakeChannels[] = [];
  answer: Answer = ANSWER_ALL;
  readonly create = (options: KernelChannelsOptions): FakeChannels => {
    const channels = new FakeChannels(options, this.answer);
    this.made.push(channels);
    return channels;
  };
  get last(): FakeChannels {
    const last = this.made.at(-1);
    if (!last) {
      throw new Error('no channels made yet');
    }
    return last;
  }
}

/** A launched kernel whose exit the test triggers. */
export class FakeLaunched implements LaunchedKernel {
  constructor(options: { interruptMode?: 'signal' | 'message'; sparkUi?: string | null } = {}) {
    this.interruptMode = options.interruptMode ?? 'signal';
    this.sparkUi = options.sparkUi ?? null;
    this.exited = new Promise(resolve => (this._exit = resolve));
  }

  readonly connection = {
    ip: '127.0.0.1',
    transport: 'tcp' as const,
    shell_port: 1,
    iopub_port: 2,
    stdin_port: 3,
    control_port: 4,
    hb_port: 5,
    key: 'k',
    signature_scheme: 'hmac-sha256' as const
  };
  readonly exited: Promise<KernelExit>;
  readonly sparkUi: string | null;
  readonly interruptMode: 'signal' | 'message';
  interrupts = 0;
  terminated: number[] = [];
  /** What each terminate told other gateways (replicas). */
  notes: Array<StopNote | undefined> = [];
  /** Activity noted for other gateways; `recorded` is what they would read back. */
  noted: Date[] = [];
  recorded: Date | null = null;

  async interrupt(): Promise<void> {
    this.interrupts++;
  }

  noteActivity(at: Date): void {
    this.noted.push(at);
  }

  recordedActivity(): Date | null {
    return this.recorded;
  }

  async terminate(graceMs: number, note?: StopNote): Promise<void> {
    this.terminated.push(graceMs);
    this.notes.push(note);
    this.exit({ code: 0, signal: null, reason: 'terminated' });
  }

  async logTail(): Promise<string> {
    return '';
  }

  /** The process ends (by itself, or terminated). */
  exit(exit: KernelExit): void {
    this._exit(exit);
  }

  private _exit: (exit: KernelExit) => void = () => undefined;
}

/** A backend that hands out FakeLaunched kernels; `launchWith` may make a launch fail or hang. */
export class FakeBackend implements Backend {
  readonly name = 'local' as const;
  kernelsOutliveGateway = false;
  readonly launches: LaunchRequest[] = [];
  readonly launched: FakeLaunched[] = [];
  discovered: DiscoveredKernel[] | undefined;
  launchWith: (request: LaunchRequest) => Promise<FakeLaunched> = async () => new FakeLaunched();

  async launch(request: LaunchRequest): Promise<LaunchedKernel> {
    this.launches.push(request);
    request.onPhase?.('starting');
    const launched = await this.launchWith(request);
    this.launched.push(launched);
    return launched;
  }

  /** Set: the backend has `watchKernels`, and this is its listener while watched. */
  watching: KernelWatchListener | null | undefined;

  get watchKernels(): Backend['watchKernels'] {
    if (this.watching === undefined) {
      return undefined;
    }
    return (_namespaces, listener) => {
      this.watching = listener;
      return () => {
        this.watching = null;
      };
    };
  }

  get discover(): Backend['discover'] {
    const found = this.discovered;
    return found ? async () => found : undefined;
  }

  async dispose(): Promise<void> {}
}

export const SIZING: Sizing = { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 } };
export const PROFILES: Record<string, Profile> = {
  python3: { id: 'python3', displayName: 'Python 3', spark: false, sizing: SIZING },
  pyspark: { id: 'pyspark', displayName: 'PySpark', spark: true, sizing: SIZING }
};

/** Culling off (the default). */
export const CULL_OFF = Object.freeze({ idleMs: 0, intervalMs: 60_000, connected: false, busy: false, warnMs: 0 });

/** The config slice the manager reads. */
export type ManagerConfig = Pick<GatewayConfig, 'profiles' | 'tenants' | 'defaultProfile' | 'kernels' | 'input'>;

/** Tenant `t` may use both profiles and 4 cores (unless `cores` says otherwise); 3 kernels per user. */
export function managerConfig(overrides: { maxKernelsPerUser?: number; cores?: number | null; pools?: TenantConfig['pools'] } = {}): ManagerConfig {
  return {
    profiles: PROFILES,
    tenants: {
      t: {
        name: 't',
        namespace: 'ns-t',
        cull: CULL_OFF,
        profiles: ['python3', 'pyspark'],
        limits: { gpus: null, cores: overrides.cores === undefined ? 4 : overrides.cores, memoryMiB: null },
        pools: overrides.pools ?? {}
      }
    },
    defaultProfile: 'python3',
    kernels: { startTimeoutMs: 5000, shutdownGraceMs: 100, cull: CULL_OFF },
    input: { maxBodyBytes: 1e6, maxWsMessageBytes: 1e6, maxWsBacklogBytes: 1e6, maxKernelsPerUser: overrides.maxKernelsPerUser ?? 3, requestTimeoutMs: 1e4 }
  };
}

/** A websocket client that records the frames it gets. */
export class FakeClient implements KernelClient {
  constructor(sessionId: string | null = null, protocol: KernelClient['protocol'] = '') {
    this.sessionId = sessionId;
    this.protocol = protocol;
  }
  readonly sessionId: string | null;
  readonly protocol: KernelClient['protocol'];
  readonly frames: (string | Buffer)[] = [];
  closed: [number, string] | null = null;
  deliver(data: string | Buffer): void {
    this.frames.push(data);
  }
  close(code: number, reason: string): void {
    this.closed = [code, reason];
  }
  /** msg_types of the legacy-JSON frames received. */
  get types(): string[] {
    return this.frames.map(f => (JSON.parse(String(f)) as { header: { msg_type: string } }).header.msg_type);
  }
  /** execution_state of every status frame received. */
  get states(): string[] {
    return this.frames
      .map(f => JSON.parse(String(f)) as { header: { msg_type: string }; content: { execution_state?: string } })
      .filter(m => m.header.msg_type === 'status')
      .map(m => String(m.content.execution_state));
  }
}
