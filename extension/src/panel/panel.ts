/**
 * The left-sidebar "Spark" panel: who you are and what your tenant allows, the sizing form,
 * launch progress, and your clusters.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { LabIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import type { IClusterModel, IMe, ISharedShape } from '../api';
import type { SparkgateClient } from '../client';
import { h, replaceChildren } from '../dom';
import { launchCluster } from '../launch';
import { formatAmount, RESOURCE_KEYS } from '../sizing';
import type { ClusterStore } from '../store';
import { ClusterList } from './clusters';
import { SizingForm } from './form';
import { LaunchProgressView } from './progress';

/** How often uptimes re-render while the panel is visible. */
const UPTIME_REFRESH_MS = 30_000;

/** Least time between re-reads of usage after cluster changes (changes come in bursts). */
const USAGE_REFRESH_DELAY_MS = 1_000;

/**
 * The Spark sidebar panel.
 */
export class SparkPanel extends Panel {
  constructor(options: SparkPanel.IOptions) {
    super();
    this.id = 'sparkgate-panel';
    this.addClass('sg-SparkPanel');
    this.title.icon = options.icon;
    this.title.caption = 'Spark clusters';
    this._app = options.app;
    this._client = options.client;
    this._store = options.store;

    this._list = new ClusterList({ baseUrl: this._client.serverSettings.baseUrl });
    this.addWidget(this._header);
    this.addWidget(Private.section('Launch a Spark cluster'));
    this.addWidget(this._form);
    this.addWidget(this._progress);
    this.addWidget(Private.section('Your clusters'));
    this.addWidget(this._list);

    this._form.launchRequested.connect((_, shape) => void this._launch(shape), this);
    this._list.shutdownRequested.connect((_, c) => void this._shutdown(c), this);
    this._store.changed.connect(this._onClustersChanged, this);
    this._store.connectionChanged.connect(this._renderHeader, this);
    this._renderHeader();
  }

  /** Re-reads profiles, limits and usage (and clusters over REST when live status is down). */
  async refresh(): Promise<void> {
    try {
      this._me = await this._client.me();
      this._meError = null;
    } catch (err) {
      this._meError = err instanceof Error ? err.message : String(err);
      console.error(`sparkgate: could not load profiles and limits: ${this._meError}`);
    }
    this._form.setMe(this._me);
    if (this._store.connection !== 'connected') {
      try {
        this._store.upsert(await this._client.listClusters());
      } catch (err) {
        console.warn('sparkgate: could not list clusters over REST', err);
      }
    }
    this._renderHeader();
  }

  /**
   * Opens the panel with a shared shape in the form, validated against this user's limits.
   */
  async relaunch(shape: ISharedShape): Promise<void> {
    this._app.shell.activateById(this.id);
    if (!this._me) {
      await this.refresh();
    }
    const problem = this._form.fill(shape);
    if (problem) {
      this._form.setMessage(problem);
    } else {
      this._form.setMessage('Filled in from the notebook; checked against your limits. Launch when ready.', 'info');
    }
  }

  /** Releases timers and signal connections. */
  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopTimer();
    window.clearTimeout(this._usageTimer);
    super.dispose();
  }

  protected override onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
    this._renderClusters();
    this._uptimeTimer = window.setInterval(() => this._renderClusters(), UPTIME_REFRESH_MS);
  }

  protected override onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._stopTimer();
  }

  private _stopTimer(): void {
    window.clearInterval(this._uptimeTimer);
    this._uptimeTimer = undefined;
  }

  private _onClustersChanged(): void {
    this._renderClusters();
    // Usage lives on the gateway (other tabs and users' notebooks count too); re-read it, at
    // most once per delay: job progress alone changes a cluster every second.
    if (this._usageTimer !== undefined) {
      return;
    }
    this._usageTimer = window.setTimeout(() => {
      this._usageTimer = undefined;
      if (this.isVisible) {
        void this.refresh();
      }
    }, USAGE_REFRESH_DELAY_MS);
  }

  private _renderClusters(): void {
    this._list.render(this._store.clusters, Date.now());
    const launching = this._launchingId ? (this._store.get(this._launchingId) ?? null) : null;
    this._progress.render(launching);
  }

  private _renderHeader(): void {
    const me = this._me;
    const who = me ? `${me.user} · tenant ${me.tenant} · ${me.backend}` : 'sparkgate';
    const usage = me
      ? RESOURCE_KEYS.map(k => {
          const limit = me.limits[k];
          const label = k === 'memoryMiB' ? 'memory' : k === 'gpus' ? 'GPUs' : 'cores';
          return `${formatAmount(k, me.usage[k])}${limit === null ? '' : `/${formatAmount(k, limit)}`} ${label}`;
        }).join(' · ')
      : '';
    const unreachable = this._store.connection === 'unreachable';
    replaceChildren(
      this._header.node,
      h('div', { className: 'sg-SparkPanel-title', text: 'Spark' }),
      h('div', { className: 'sg-SparkPanel-who', text: who }),
      usage ? h('div', { className: 'sg-SparkPanel-usage', text: `In use: ${usage}`, title: 'In use / tenant limit' }) : null,
      unreachable
        ? h('div', {
            className: 'sg-SparkPanel-error',
            text: 'sparkgate gateway unreachable: live status paused, retrying.',
            title: this._store.connectionError ?? '',
            attrs: { role: 'status' }
          })
        : null,
      this._meError ? h('div', { className: 'sg-SparkPanel-error', text: this._meError, attrs: { role: 'alert' } }) : null
    );
  }

  private async _launch(shape: ISharedShape): Promise<void> {
    this._form.setBusy(true);
    this._form.setMessage(null);
    try {
      const { cluster, notebook } = await launchCluster({
        app: this._app,
        client: this._client,
        store: this._store,
        profile: shape.profile,
        sizing: shape.sizing
      });
      this._launchingId = cluster.id;
      this._renderClusters();
      if (!notebook) {
        this._form.setMessage(
          `Cluster launched as kernel '${cluster.kernelName}', but no notebook opened; pick that kernel in a notebook.`,
          'info'
        );
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      console.error(`sparkgate: launch failed: ${message}`);
      this._form.setMessage(message);
    } finally {
      this._form.setBusy(false);
      void this.refresh();
    }
  }

  private async _shutdown(cluster: IClusterModel): Promise<void> {
    const result = await showDialog({
      title: 'Shut down Spark cluster?',
      body: `${cluster.displayName}: its driver and executors stop and unsaved Spark state is lost.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Shut down' })]
    });
    if (!result.button.accept) {
      return;
    }
    try {
      await this._client.shutdown(cluster.id);
      this._store.remove(cluster.id);
      // jupyter_server should notice the kernel is gone before the user runs a cell in it.
      await this._app.serviceManager.kernels.refreshRunning();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      console.error(`sparkgate: shutdown of ${cluster.id} failed: ${message}`);
      Notification.error(`Could not shut down ${cluster.displayName}: ${message}`, { autoClose: 8000 });
    }
  }

  private _app: JupyterFrontEnd;
  private _client: SparkgateClient;
  private _store: ClusterStore;
  private _me: IMe | null = null;
  private _meError: string | null = null;
  private _launchingId: string | null = null;
  private _uptimeTimer: number | undefined = undefined;
  private _usageTimer: number | undefined = undefined;
  private _header = new Widget({ node: h('div', { className: 'sg-SparkPanel-header' }) });
  private _form = new SizingForm();
  private _progress = new LaunchProgressView();
  private _list: ClusterList;
}

/** A namespace for SparkPanel statics. */
export namespace SparkPanel {
  /** Options of a SparkPanel. */
  export interface IOptions {
    app: JupyterFrontEnd;
    client: SparkgateClient;
    store: ClusterStore;
    icon: LabIcon;
  }
}

namespace Private {
  export function section(title: string): Widget {
    return new Widget({ node: h('div', { className: 'sg-SparkPanel-section', text: title }) });
  }
}
