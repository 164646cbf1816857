import type { Identity } from '../../auth/types.js';
import type { Sizing } from '../../config/types.js';
import type { ConnectionInfo } from '../../protocol/messages.js';

/** Which gateway process holds a kernel: its pid and start time (processProbe.ts). */
export interface GatewayProcessRef {
  pid: number;
  start: string | null;
}

/**
 * What the local backend keeps of one kernel in the runtime directory (runtimeDir.ts), enough for
 * a later gateway process to take it over: the kernel launcher reads `gateway` too.
 */
export interface LocalKernelRecord {
  version: 1;
  kernelId: string;
  /** As clients see it (`<profile>` or `<profile>--<id>`). */
  kernelName: string;
  profileId: string;
  owner: Identity;
  sizing: Sizing;
  spark: boolean;
  /** host:port of Spark's UI, when Spark is on. */
  sparkUi: string | null;
  /** Ports and the HMAC key: the folder and file are the gateway user's alone. */
  connection: ConnectionInfo;
  /** The launcher's pid (also its process group); null until it is spawned. */
  pid: number | null;
  processStart: string | null;
  /** The gateway process that holds the kernel now; a re-adopting gateway rewrites it. */
  gateway: GatewayProcessRef;
  /** ISO 8601. */
  createdAt: string;
}
