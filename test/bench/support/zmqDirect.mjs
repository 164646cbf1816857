/**
 * The floor: a Node client speaking the Jupyter wire protocol straight to the kernel's ZeroMQ
 * sockets (DEALER shell, SUB iopub), with the same codec (HMAC verify + JSON parse) and the same
 * request bookkeeping as the websocket client. The difference to it is the gateway's cost.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Dealer, Subscriber } from 'zeromq';
import { deserializeWire, serializeWire } from '../../../server/dist/protocol/wire.js';
import { freePort, start, stop } from './procs.mjs';
import { executeContent, Tracker } from './tracker.mjs';

export class ZmqDirect {
  constructor(connection) {
    this.tracker = new Tracker();
    this._key = connection.key;
    const ep = port => `tcp://${connection.ip}:${port}`;
    this._shell = new Dealer({ linger: 0 });
    this._shell.connect(ep(connection.shell_port));
    // Unbounded receive queue: the floor must not drop output (libzmq defaults to 1000).
    this._iopub = new Subscriber({ linger: 0, receiveHighWaterMark: 0 });
    this._iopub.subscribe();
    this._iopub.connect(ep(connection.iopub_port));
    this._sending = Promise.resolve();
    void this._loop(this._shell, 'shell');
    void this._loop(this._iopub, 'iopub');
  }

  async _loop(socket, channel) {
    try {
      for await (const frames of socket) {
        const raw = deserializeWire(frames, this._key, channel);
        this.tracker.handle({
          channel,
          header: JSON.parse(raw.header),
          parent_header: JSON.parse(raw.parentHeader),
          metadata: JSON.parse(raw.metadata),
          content: JSON.parse(raw.content)
        });
      }
    } catch (error) {
      this.tracker.fail(error);
    }
  }

  execute(code, options = {}) {
    return this.request('execute_request', executeContent(code), options);
  }

  request(msgType, content, options = {}) {
    const { header, done } = this.tracker.request(msgType, options);
    const frames = serializeWire(
      { channel: 'shell', header: JSON.stringify(header), parentHeader: '{}', metadata: '{}', content: JSON.stringify(content), buffers: [] },
      this._key
    );
    // zeromq.js allows one send in flight per socket.
    this._sending = this._sending.then(() => this._shell.send(frames));
    return done;
  }

  /** kernel_info until a reply and its idle arrive (the iopub subscription is then live). */
  async nudge(timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 250; Date.now() < deadline; wait = Math.min(wait * 2, 2000)) {
      try {
        return await this.request('kernel_info_request', {}, { timeoutMs: wait });
      } catch {
        // slow joiner or kernel still starting: ask again
      }
    }
    throw new Error('kernel did not answer kernel_info');
  }

  close() {
    this._shell.close();
    this._iopub.close();
  }
}

/**
 * Starts the project's kernel launcher directly (no gateway) with a connection file, the same
 * process sparkgate's local backend starts. Resolves once it is running; `ready` times the start.
 */
export async function launchKernel({ python, launcher, sparkConf = null, name = 'kernel' }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-bench-'));
  const ports = [];
  for (let i = 0; i < 5; i++) {
    ports.push(await freePort());
  }
  const connection = {
    ip: '127.0.0.1',
    transport: 'tcp',
    shell_port: ports[0],
    iopub_port: ports[1],
    stdin_port: ports[2],
    control_port: ports[3],
    hb_port: ports[4],
    key: randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    kernel_name: 'bench'
  };
  const file = path.join(dir, 'connection.json');
  await writeFile(file, JSON.stringify(connection), { mode: 0o600 });
  const args = [launcher, '--connection-file', file];
  if (sparkConf) {
    const confFile = path.join(dir, 'spark-conf.json');
    await writeFile(confFile, JSON.stringify(sparkConf));
    args.push('--spark-conf', confFile);
  }
  const proc = start(name, python, args, { env: { ...process.env, PYSPARK_PYTHON: python, PYSPARK_DRIVER_PYTHON: python } });
  return {
    connection,
    proc,
    async stop() {
      await stop(proc, 3000); // returns once the kernel's whole process group is gone
      await rm(dir, { recursive: true, force: true });
    }
  };
}
