/**
 * The jupyter_server config that makes a JupyterLab in gateway mode use sparkgate's gateway relay
 * (`sparkgate_lab.gateway_connection`, issue 11 item 3), the way server/scripts/start.mjs writes it.
 * Every Lab config of the e2e tier should include these lines.
 */
import path from 'node:path';
import { repoRoot } from '../../integration/support/gateway.js';

/** What `c.ServerApp.kernel_websocket_connection_class` names to use sparkgate's relay. */
export const SPARKGATE_CONNECTION_CLASS = 'sparkgate_lab.gateway_connection.SparkgateGatewayConnection';

/**
 * jupyter_server config lines (Python): the relay class, plus tornado's browser-side frame limit raised
 * from 10 MiB to the relay's 1 GiB. The dev .venv links the labextension instead of pip-installing
 * sparkgate_lab, hence the sys.path line (a no-op where the package is installed).
 */
export function gatewayConnectionConfig(): string[] {
  return [
    `import sys; sys.path.insert(0, ${JSON.stringify(path.join(repoRoot, 'extension'))})`,
    `c.ServerApp.kernel_websocket_connection_class = ${JSON.stringify(SPARKGATE_CONNECTION_CLASS)}`,
    `c.ServerApp.tornado_settings = {'websocket_max_message_size': 1024 ** 3}`
  ];
}
