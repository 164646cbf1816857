/**
 * Live table of the user's clusters, fed by the gateway's socket.io `/status` namespace.
 * One per application; the panel and every notebook status widget read it.
 */

import type { ServerConnection } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';

import type { ClientToServerEvents, IClusterModel, ServerToClientEvents } from './api';
import type { ICellProgress } from './cells/types';
import { GpuMetricsTable } from './gpu/table';
import { clusterForKernel } from './status';
import { statusSocketTarget } from './urls';
import { isCellProgress, isClusterModel } from './validate';

/** Whether live status is flowing. */
export type ConnectionState = 'connecting' | 'connected' | 'unreachable';

/** The socket the store uses; a seam for tests. */
export type StatusSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The user's clusters, kept current from socket.io events.
 *
 * #### Notes
 * socket.io reconnects by itself with a randomized, capped backoff (jitter keeps many browser
 * tabs from reconnecting in lockstep after a gateway restart), and the gateway re-sends the full
 * `clusters` list on every connect, so no state has to be repaired after a reconnect.
 */
export class ClusterStore implements IDisposable {
  constructor(options: ClusterStore.IOptions) {
    this._settings = options.serverSettings;
    this._socketFactory = options.socketFactory ?? Private.defaultSocket;
  }

  /** Emitted when any cluster is added, changed or removed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when the connection state changes. */
  get connectionChanged(): ISignal<this, ConnectionState> {
    return this._connectionChanged;
  }

  /**
   * Emitted for each valid `cell:progress` event: the Spark jobs of one running cell, or its
   * final summary (`running: false`). Malformed payloads are dropped with a warning.
   */
  get cellProgress(): ISignal<this, ICellProgress> {
    return this._cellProgress;
  }

  /** The clusters' live GPU numbers (`gpu:metrics`), or why none come. */
  readonly gpu = new GpuMetricsTable();

  /** Current connection state. */
  get connection(): ConnectionState {
    return this._connection;
  }

  /** Why the last connection attempt failed, if it did. */
  get connectionError(): string | null {
    return this._connectionError;
  }

  /** Whether a `clusters` snapshot has arrived since start (cluster absence is meaningful). */
  get hasSnapshot(): boolean {
    return this._hasSnapshot;
  }

  /** The clusters, newest first. */
  get clusters(): IClusterModel[] {
    return [...this._clusters.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** A cluster by id. */
  get(id: string): IClusterModel | undefined {
    return this._clusters.get(id);
  }

  /** The cluster running as Jupyter kernel `kernelId`. */
  forKernel(kernelId: string | null | undefined): IClusterModel | undefined {
    return clusterForKernel(this._clusters.values(), kernelId);
  }

  /** The cluster a notebook attaches to with kernelspec `kernelName`. */
  forKernelName(kernelName: string | null | undefined): IClusterModel | undefined {
    if (!kernelName) {
      return undefined;
    }
    for (const c of this._clusters.values()) {
      if (c.kernelName === kernelName) {
        return c;
      }
    }
    return undefined;
  }

  /**
   * Puts clusters fetched over REST into the table (e.g. right after a launch, before the socket
   * reports it, or while the socket is down).
   */
  upsert(clusters: IClusterModel[]): void {
    for (const c of clusters) {
      this._clusters.set(c.id, c);
    }
    this._changed.emit();
  }

  /** Forgets a cluster (e.g. after a successful shutdown call). */
  remove(id: string): void {
    if (this._clusters.delete(id)) {
      this._changed.emit();
    }
  }

  /** Connects; idempotent. */
  start(): void {
    if (this._socket || this.isDisposed) {
      return;
    }
    const socket = this._socketFactory(this._settings);
    this._socket = socket;
    socket.on('connect', () => {
      console.debug('sparkgate: status connected');
      this._connectionError = null;
      this._setConnection('connected');
    });
    socket.on('connect_error', err => {
      this._connectionError = err.message;
      if (this._connection !== 'unreachable') {
        console.warn(`sparkgate: status connection failed, retrying: ${err.message}`);
      }
      this._setConnection('unreachable');
    });
    socket.on('disconnect', reason => {
      console.warn(`sparkgate: status disconnected (${reason})`);
      // The server closing us is not retried by socket.io; a gateway restart should be.
      if (reason === 'io server disconnect') {
        socket.connect();
      }
      this.gpu.clear();
      this._setConnection('connecting');
    });
    socket.on('clusters', list => {
      this._clusters.clear();
      for (const c of Array.isArray(list) ? list : []) {
        if (isClusterModel(c)) {
          this._clusters.set(c.id, c);
        } else {
          console.warn('sparkgate: ignored a malformed cluster in the clusters event');
        }
      }
      this._hasSnapshot = true;
      this._changed.emit();
    });
    socket.on('cluster', c => {
      if (!isClusterModel(c)) {
        console.warn('sparkgate: ignored a malformed cluster event');
        return;
      }
      this._clusters.set(c.id, c);
      this._changed.emit();
    });
    socket.on('cell:progress', progress => {
      if (!isCellProgress(progress)) {
        console.warn('sparkgate: ignored a malformed cell:progress event');
        return;
      }
      this._cellProgress.emit(progress);
    });
    socket.on('gpu:metrics', metrics => this.gpu.update(metrics));
    socket.on('cluster:removed', payload => {
      if (payload && typeof payload.id === 'string') {
        this.remove(payload.id);
      }
    });
  }

  /** Whether the store is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Closes the socket and clears signals. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._socket?.disconnect();
    this._socket = null;
    this.gpu.dispose();
    Signal.clearData(this);
  }

  private _setConnection(state: ConnectionState): void {
    if (this._connection === state) {
      return;
    }
    this._connection = state;
    this._connectionChanged.emit(state);
  }

  private _settings: ServerConnection.ISettings;
  private _socketFactory: (settings: ServerConnection.ISettings) => StatusSocket;
  private _socket: StatusSocket | null = null;
  private _clusters = new Map<string, IClusterModel>();
  private _connection: ConnectionState = 'connecting';
  private _connectionError: string | null = null;
  private _hasSnapshot = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _connectionChanged = new Signal<this, ConnectionState>(this);
  private _cellProgress = new Signal<this, ICellProgress>(this);
}

/** A namespace for ClusterStore statics. */
export namespace ClusterStore {
  /** Options of a ClusterStore. */
  export interface IOptions {
    serverSettings: ServerConnection.ISettings;
    /** Makes the socket; defaults to socket.io-client against `<baseUrl>sparkgate/socket.io`. */
    socketFactory?: (settings: ServerConnection.ISettings) => StatusSocket;
  }
}

namespace Private {
  export function defaultSocket(settings: ServerConnection.ISettings): StatusSocket {
    const target = statusSocketTarget(settings.baseUrl);
    return io(target.url, {
      path: target.path,
      transports: ['websocket', 'polling'],
      // Same-origin: the Jupyter login cookie authenticates us to jupyter-server-proxy.
      withCredentials: true,
      // Only the polling fallback can send headers; it POSTs, which Jupyter guards with XSRF.
      extraHeaders: xsrfHeaders()
    });
  }

  function xsrfHeaders(): Record<string, string> {
    const match = typeof document === 'undefined' ? null : document.cookie.match('\\b_xsrf=([^;]*)\\b');
    return match?.[1] ? { 'X-XSRFToken': match[1] } : {};
  }
}
