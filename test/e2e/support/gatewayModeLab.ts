/**
 * A JupyterLab in gateway mode for test/e2e/gatewayMode.test.ts: with or without sparkgate's gateway
 * relay (`gatewayConnectionConfig()`), plus extra config lines. Free 127.0.0.1 port, own process group.
 */
import { startLab } from './lab.js';

export interface GatewayModeLab {
  /** http://127.0.0.1:<port> */
  url: string;
  token: string;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface GatewayModeLabOptions {
  /** The gateway JupyterLab forwards kernels to. */
  gateway: { url: string; token: string };
  /** A private directory for config, settings, runtime files and the notebooks. */
  dir: string;
  token: string;
  /** Use sparkgate's relay; false = stock jupyter_server's GatewayWebSocketConnection. */
  sparkgateRelay: boolean;
  /** More config lines (Python). */
  extraConfig?: string[];
}

/** Starts `python -m jupyterlab` (the shared `startLab`); resolves once it answers. */
export function startGatewayModeLab(options: GatewayModeLabOptions): Promise<GatewayModeLab> {
  return startLab(options.gateway, options.dir, options.token, {
    sparkgateRelay: options.sparkgateRelay,
    ...(options.extraConfig ? { extraConfig: options.extraConfig } : {})
  });
}
