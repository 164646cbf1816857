/**
 * Jupyter messaging vocabulary shared by the codec, the zmq channels and the websocket bridge.
 *
 * Messages travel as `RawMessage`: header, parent header, metadata and content are kept as the
 * JSON *text* that arrived, so relaying kernel output to websocket clients never re-serializes
 * content (the hot path for throughput).
 */

/** Kernel channels a client may use over the websocket, plus iopub (kernel → clients only). */
export type Channel = 'shell' | 'control' | 'stdin' | 'iopub';

/** Channels a websocket client may send on. */
export const CLIENT_CHANNELS: readonly Channel[] = ['shell', 'control', 'stdin'];

/** Websocket subprotocols the gateway speaks. '' is the legacy JSON framing. */
export type WsProtocol = '' | 'v1.kernel.websocket.jupyter.org';
export const V1_PROTOCOL = 'v1.kernel.websocket.jupyter.org';

/** The parsed header of a Jupyter message (protocol 5.x). */
export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  subshell_id?: string | null;
}

/** A Jupyter message with its four dict parts as JSON text and its binary buffers. */
export interface RawMessage {
  channel: Channel;
  /** JSON text of the header object. */
  header: string;
  /** JSON text of the parent header object ('{}' when none). */
  parentHeader: string;
  /** JSON text of the metadata object. */
  metadata: string;
  /** JSON text of the content object. */
  content: string;
  buffers: Buffer[];
}

/** Connection info as in a Jupyter connection file (hmac-sha256 only). */
export interface ConnectionInfo {
  ip: string;
  transport: 'tcp';
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: 'hmac-sha256';
  kernel_name?: string;
}

/** Execution states a kernel reports on iopub, plus the gateway's own lifecycle states. */
export type ExecutionState =
  | 'starting'
  | 'idle'
  | 'busy'
  | 'restarting'
  | 'autorestarting'
  | 'terminating'
  | 'dead'
  | 'unknown';
