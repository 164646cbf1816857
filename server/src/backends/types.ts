import type { Identity } from '../auth/types.js';
import type { Profile, Sizing } from '../config/types.js';
import type { ConnectionInfo } from '../kernels/protocol/messages.js';

/** Launch phases shown to users while a kernel comes up. */
export type LaunchPhase = 'requested' | 'scheduling' | 'pulling' | 'starting' | 'kernel-ready' | 'spark-ready';

/** What the kernel manager asks a backend to start. */
export interface LaunchRequest {
  kernelId: string;
  owner: Identity;
  profile: Profile;
  sizing: Sizing;
  /** HMAC key for the kernel's messages; backends hand it to the kernel as a secret, never in env or args. */
  key: string;
  /** Validated `KERNEL_*` variables from the client. */
  env: Readonly<Record<string, string>>;
  /** Aborted when the launch is cancelled (shutdown during start, timeout). */
  signal: AbortSignal;
  onPhase?: (phase: LaunchPhase, detail?: string) => void;
}

/** Why a kernel's process or pod ended. */
export interface KernelExit {
  code: number | null;
  signal: string | null;
  /** A short human reason, e.g. the last lines of the kernel log or the pod's termination reason. */
  reason: string;
}

/** A running kernel as a backend sees it. */
export interface LaunchedKernel {
  connection: ConnectionInfo;
  /** Settles once, when the kernel's process or pod is gone. */
  readonly exited: Promise<KernelExit>;
  /** Where Spark's UI of this kernel listens (host:port), when Spark is on. */
  readonly sparkUi: string | null;
  /** Delivers an interrupt (SIGINT locally). */
  interrupt(): Promise<void>;
  /** Stops the kernel and everything it started: graceful first, forced after `graceMs`. Idempotent. */
  terminate(graceMs: number): Promise<void>;
  /** The tail of the kernel's log, for error messages. */
  logTail(lines: number): Promise<string>;
}

/** Where kernels run: local processes or Kubernetes pods. */
export interface Backend {
  readonly name: 'local' | 'kubernetes';
  launch(request: LaunchRequest): Promise<LaunchedKernel>;
  /** Stops watching/allocating; does not stop kernels (the manager does). */
  dispose(): Promise<void>;
}
