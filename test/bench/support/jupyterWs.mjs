/** A minimal Jupyter websocket client (legacy JSON framing, as jupyter_server's GatewayClient speaks). */
import WebSocket from 'ws';
import { executeContent, Tracker } from './tracker.mjs';

export class JupyterWs {
  constructor(ws) {
    this.tracker = new Tracker();
    this._ws = ws;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.tracker.handle(JSON.parse(data.toString('utf8')));
      }
    });
    ws.on('close', code => this.tracker.fail(new Error(`websocket closed (${code})`)));
  }

  /** Opens `{base}/api/kernels/{id}/channels`; the first `idle` may be awaited with `firstIdle`. */
  static open(wsBase, kernelId, token) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsBase}/api/kernels/${kernelId}/channels?session_id=${crypto.randomUUID()}`, [], {
        headers: token ? { Authorization: `token ${token}` } : {},
        perMessageDeflate: false,
        maxPayload: 256 * 1024 * 1024
      });
      const client = new JupyterWs(ws);
      // Armed before the upgrade completes so a status sent right after it is not missed.
      client.firstIdle = client.tracker.nextIdle();
      client.firstIdle.catch(() => undefined);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`websocket upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Sends an execute_request; resolves with its tracker entry once reply and idle arrived. */
  execute(code, options = {}) {
    return this.request('shell', 'execute_request', executeContent(code), options);
  }

  request(channel, msgType, content, options = {}) {
    const { header, done } = this.tracker.request(msgType, options);
    this._ws.send(JSON.stringify({ channel, header, parent_header: {}, metadata: {}, content, buffers: [] }));
    return done;
  }

  close() {
    this._ws.close();
    return new Promise(resolve => {
      if (this._ws.readyState === WebSocket.CLOSED) {
        resolve();
      } else {
        this._ws.once('close', () => resolve());
        setTimeout(resolve, 2000).unref();
      }
    });
  }
}
