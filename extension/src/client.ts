/**
 * REST client for the sparkgate API, through the Jupyter server (jupyter-server-proxy).
 */

import { ServerConnection } from '@jupyterlab/services';

import type { IClusterModel, IMe, ILaunchRequest } from './api';
import { apiUrl } from './urls';
import { assertClusterModel, assertMe, isClusterModel } from './validate';

/**
 * A failed sparkgate call. `message` is the gateway's own (it says what to change), or a plain
 * explanation when the gateway could not be reached.
 */
export class SparkgateError extends Error {
  constructor(
    message: string,
    options: { status: number; reason: string }
  ) {
    super(message);
    this.name = 'SparkgateError';
    this.status = options.status;
    this.reason = options.reason;
  }

  /** HTTP status; 0 when no response arrived. */
  readonly status: number;

  /** Short machine-readable reason from the gateway, e.g. `LimitExceededError`. */
  readonly reason: string;
}

/**
 * Calls the sparkgate API with the Jupyter server's settings, so requests carry Jupyter's
 * XSRF/auth and go to `<baseUrl>sparkgate/api/...`.
 */
export class SparkgateClient {
  constructor(options: SparkgateClient.IOptions = {}) {
    this.serverSettings = options.serverSettings ?? ServerConnection.makeSettings();
  }

  /** Where requests go and how they authenticate. */
  readonly serverSettings: ServerConnection.ISettings;

  /** The user, their tenant's limits and usage, and the profiles they may launch. */
  async me(): Promise<IMe> {
    const body = await this._request('GET', ['me'], 200);
    assertMe(body);
    return body;
  }

  /** The user's clusters. Malformed entries are dropped (and logged), not fatal. */
  async listClusters(): Promise<IClusterModel[]> {
    const body = (await this._request('GET', ['clusters'], 200)) as { clusters?: unknown } | null;
    const list = Array.isArray(body?.clusters) ? body.clusters : [];
    const ok = list.filter(isClusterModel);
    if (ok.length !== list.length) {
      console.warn(`sparkgate: dropped ${list.length - ok.length} malformed cluster(s) from GET api/clusters`);
    }
    return ok;
  }

  /** One cluster. */
  async getCluster(id: string): Promise<IClusterModel> {
    const body = await this._request('GET', ['clusters', id], 200);
    assertClusterModel(body);
    return body;
  }

  /**
   * Starts a cluster with a sizing: the gateway answers at once and launches the driver in the
   * background (its phases arrive as `cluster` events). A notebook attaches to the cluster by
   * starting a kernel of the returned `kernelName`.
   */
  async launch(request: ILaunchRequest): Promise<IClusterModel> {
    const body = await this._request('POST', ['clusters'], 201, request);
    assertClusterModel(body);
    return body;
  }

  /** Keeps an idle cluster whose cull is announced: its idle time starts over. */
  async keep(id: string): Promise<IClusterModel> {
    const body = await this._request('POST', ['clusters', id, 'keep'], 200);
    assertClusterModel(body);
    return body;
  }

  /** Shuts a cluster down (driver, then its executors). */
  async shutdown(id: string): Promise<void> {
    await this._request('DELETE', ['clusters', id], 204);
  }

  private async _request(method: string, path: string[], expected: number, body?: unknown): Promise<unknown> {
    const url = apiUrl(this.serverSettings.baseUrl, ...path);
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.serverSettings);
    } catch (err) {
      throw new SparkgateError(`sparkgate gateway unreachable (${Private.describe(err)})`, {
        status: 0,
        reason: 'NetworkError'
      });
    }
    if (response.status !== expected) {
      throw await Private.toError(response);
    }
    if (response.status === 204) {
      return null;
    }
    return response.json();
  }
}

/** A namespace for SparkgateClient statics. */
export namespace SparkgateClient {
  /** Options of a SparkgateClient. */
  export interface IOptions {
    /** Defaults to `ServerConnection.makeSettings()`. */
    serverSettings?: ServerConnection.ISettings;
  }
}

namespace Private {
  export function describe(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
  }

  /**
   * Turns an error response into a SparkgateError. The gateway answers `{ reason, message }`;
   * the proxy answers HTML or text when the gateway is down, so fall back to the status.
   */
  export async function toError(response: Response): Promise<SparkgateError> {
    let text = '';
    try {
      text = await response.text();
    } catch {
      // The body is only a nicety; the status is enough.
    }
    let reason = response.statusText || 'Error';
    let message = '';
    try {
      const data = JSON.parse(text) as { reason?: unknown; message?: unknown; error?: { name?: unknown; message?: unknown } };
      const m = data.message ?? data.error?.message;
      const r = data.reason ?? data.error?.name;
      message = typeof m === 'string' ? m : '';
      reason = typeof r === 'string' && r ? r : reason;
    } catch {
      // Not JSON: a proxy page, not the gateway.
    }
    if (!message) {
      message =
        response.status >= 500
          ? `sparkgate gateway unreachable or failing (HTTP ${response.status})`
          : `sparkgate request failed (HTTP ${response.status})`;
    }
    return new SparkgateError(message, { status: response.status, reason });
  }
}
