/**
 * The left-sidebar "Spark" panel: who you are and what your tenant allows, the sizing form,
 * launch progress, and your clusters.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { nullTranslator } from '@jupyterlab/translation';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { LabIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import type { IClusterModel, IMe, ISharedShape } from '../api';
import { SparkgateError } from '../client';
import type { SparkgateClient } from '../client';
import { h, replaceChildren } from '../dom';
import { launchCluster, LaunchFailedError } from '../launch';
import { isActive } from '../status';
import type { ClusterStore } from '../store';
import { ClusterList } from './clusters';
import { SizingForm } from './form';
import { clusterGpuLine, freeLine, simulatedNotice, usageLine } from './labels';
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
    const trans = (this._trans = options.trans ?? nullTranslator.load('sparkgate_lab'));
    this.id = 'sparkgate-panel';
    this.addClass('sg-SparkPanel');
    this.title.icon = options.icon;
    this.title.caption = trans.__('Spark clusters');
    this._app = options.app;
    this._client = options.client;
    this._store = options.store;

    this._form = new SizingForm({ trans, defaultProfile: options.defaultProfile });
    this._progress = new LaunchProgressView({ trans });
    this._list = new ClusterList({ baseUrl: this._client.serverSettings.baseUrl, trans });
    this.addWidget(this._header);
    this.addWidget(Private.section(trans.__('Launch a Spark cluster')));
    this.addWidget(this._form);
    this.addWidget(this._progress);
    this.addWidget(Private.section(trans.__('Your clusters')));
    this.addWidget(this._list);

    this._form.launchRequested.connect((_, shape) => void this._launch(shape), this);
    this._progress.closeRequested.connect((_, c) => this._closeProgress(c), this);
    this._list.shutdownRequested.connect((_, c) => void this._shutdown(c), this);
    this._list.dismissRequested.connect((_, c) => void this._dismiss(c), this);
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
   * Opens the panel with a shared shape in the form, validated against this user's limits. With
   * `target`, Launch switches that notebook's kernel to the new cluster instead of opening a new
   * notebook.
   */
  async relaunch(shape: ISharedShape, target?: NotebookPanel): Promise<void> {
    const t = this._trans;
    this._app.shell.activateById(this.id);
    if (!this._me) {
      await this.refresh();
    }
    this._setTarget(target && !target.isDisposed ? target : null);
    const { error, notes } = this._form.fill(shape);
    if (error) {
      this._form.setMessage(error);
    } else {
      // What the profile fixes otherwise than the notebook asked is said, not changed silently.
      this._form.setMessage([t.__('Filled in from the notebook; checked against your limits. Launch when ready.'), ...notes.map(n => `${n}.`)].join(' '), 'info');
    }
  }

  /**
   * Launches `profileId` at its defaults (e.g. from the command palette), showing its progress in
   * the panel. If the profile is unknown or its defaults do not fit the limits, the panel says so
   * and nothing is launched. Resolves when the launch is over (notebook open, or failed).
   */
  async launchProfile(profileId: string): Promise<void> {
    const t = this._trans;
    this._app.shell.activateById(this.id);
    if (!this._me) {
      await this.refresh();
    }
    this._setTarget(null);
    if (!this._form.selectProfile(profileId)) {
      this._form.setMessage(t.__("Profile '%1' is not available to you.", profileId));
      return;
    }
    const shape = this._form.shape;
    if (!shape) {
      this._form.setMessage(t.__("Profile '%1' at its defaults does not fit your limits; change the sizing below.", profileId));
      return;
    }
    await this._launch(shape);
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

  private _setTarget(target: NotebookPanel | null): void {
    this._target?.disposed.disconnect(this._onTargetDisposed, this);
    this._target = target;
    target?.disposed.connect(this._onTargetDisposed, this);
    this._form.setTarget(target ? target.context.localPath : null, () => this._setTarget(null));
  }

  private _onTargetDisposed(): void {
    this._setTarget(null);
  }

  private _onClustersChanged(): void {
    this._noteEnds();
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

  /** Records when clusters seen alive failed or ended, for "failed after 24s". */
  private _noteEnds(): void {
    const now = Date.now();
    const ids = new Set<string>();
    for (const c of this._store.clusters) {
      ids.add(c.id);
      if (isActive(c.state)) {
        this._seenAlive.add(c.id);
      } else if (this._seenAlive.has(c.id) && !this._endedAt.has(c.id)) {
        this._endedAt.set(c.id, now);
      }
    }
    for (const id of [...this._seenAlive]) {
      if (!ids.has(id)) {
        this._seenAlive.delete(id);
        this._endedAt.delete(id);
      }
    }
  }

  private _renderClusters(): void {
    const launching = this._launchingId ? (this._store.get(this._launchingId) ?? null) : null;
    this._list.render({
      clusters: this._store.clusters,
      now: Date.now(),
      endedAt: this._endedAt,
      launching: launching?.id ?? null
    });
    this._progress.render(launching);
  }

  private _renderHeader(): void {
    const t = this._trans;
    const me = this._me;
    const who = me ? t.__('%1 · tenant %2 · %3', me.user, me.tenant, me.backend) : 'sparkgate';
    const unreachable = this._store.connection === 'unreachable';
    const simulated = me ? simulatedNotice(me, t) : null;
    const gpus = me ? clusterGpuLine(me.nodes, t) : null;
    replaceChildren(
      this._header.node,
      h('h2', { className: 'sg-SparkPanel-title', text: t.__('Spark') }),
      // Said in words right under the title, not only on hover: demo GPUs compute nothing.
      simulated ? h('div', { className: 'sg-SparkPanel-simulated', text: simulated, attrs: { role: 'note' } }) : null,
      h('div', { className: 'sg-SparkPanel-who', text: who }),
      me ? h('div', { className: 'sg-SparkPanel-usage', text: usageLine(me.limits, me.usage, t), title: t.__('In use / tenant limit') }) : null,
      me ? h('div', { className: 'sg-SparkPanel-free', text: freeLine(me.limits, me.usage, t) }) : null,
      gpus
        ? h('div', {
            className: 'sg-SparkPanel-free sg-SparkPanel-clusterGpus',
            text: gpus,
            title: t.__("Allocatable GPUs on the cluster's schedulable nodes; what other pods hold now is not subtracted.")
          })
        : null,
      unreachable
        ? h('div', {
            className: 'sg-SparkPanel-error',
            text: t.__('sparkgate gateway unreachable: live status paused, retrying.'),
            title: this._store.connectionError ?? '',
            attrs: { role: 'status' }
          })
        : null,
      this._meError ? h('div', { className: 'sg-SparkPanel-error', text: this._meError, attrs: { role: 'alert' } }) : null
    );
  }

  private async _launch(shape: ISharedShape): Promise<void> {
    const t = this._trans;
    const target = this._target;
    this._setTarget(null);
    this._form.setBusy(true);
    this._form.setMessage(null);
    try {
      const { cluster, notebook } = await launchCluster({
        app: this._app,
        client: this._client,
        store: this._store,
        profile: shape.profile,
        sizing: shape.sizing,
        target,
        onStarted: c => {
          // The request is accepted: the form is free again; progress follows the cluster.
          this._launchingId = c.id;
          this._form.setBusy(false);
          this._renderClusters();
          // The progress sits below the form; bring it into view (focus stays on Launch).
          this._progress.node.scrollIntoView({ block: 'nearest' });
        }
      });
      if (!notebook) {
        this._form.setMessage(
          t.__("Cluster launched as kernel '%1', but no notebook opened; pick that kernel in a notebook.", cluster.kernelName),
          'info'
        );
      }
    } catch (err) {
      if (target && !target.isDisposed) {
        // A retry should still go to the notebook being relaunched.
        this._setTarget(target);
      }
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof LaunchFailedError) {
        // The launch progress already tells why, once; no notebook was opened.
        console.warn(`sparkgate: launch of ${err.cluster.id} failed: ${message}`);
      } else {
        console.error(`sparkgate: launch failed: ${message}`);
        this._form.setMessage(err instanceof SparkgateError ? message : t.__('Launch failed: %1', message));
      }
    } finally {
      this._form.setBusy(false);
      void this.refresh();
    }
  }

  private _closeProgress(cluster: IClusterModel): void {
    if (!isActive(cluster.state)) {
      void this._dismiss(cluster);
      return;
    }
    this._launchingId = null;
    this._renderClusters();
  }

  /** Removes a failed or ended cluster from the gateway's list (and so from every view). */
  private async _dismiss(cluster: IClusterModel): Promise<void> {
    if (this._launchingId === cluster.id) {
      this._launchingId = null;
    }
    try {
      await this._client.shutdown(cluster.id);
    } catch (err) {
      if (!(err instanceof SparkgateError && err.status === 404)) {
        const message = err instanceof Error ? err.message : String(err);
        console.error(`sparkgate: dismissing ${cluster.id} failed: ${message}`);
        Notification.error(this._trans.__('Could not remove %1: %2', cluster.displayName, message), { autoClose: 8000 });
        this._renderClusters();
        return;
      }
    }
    this._store.remove(cluster.id);
    this._renderClusters();
  }

  private async _shutdown(cluster: IClusterModel): Promise<void> {
    const t = this._trans;
    const result = await showDialog({
      title: t.__('Shut down Spark cluster?'),
      body: t.__('%1: its driver and executors stop and unsaved Spark state is lost.', cluster.displayName),
      buttons: [Dialog.cancelButton({ label: t.__('Cancel') }), Dialog.warnButton({ label: t.__('Shut down') })]
    });
    if (!result.button.accept) {
      return;
    }
    try {
      await this._client.shutdown(cluster.id);
      this._store.remove(cluster.id);
      if (this._launchingId === cluster.id) {
        this._launchingId = null;
      }
      // jupyter_server should notice the kernel is gone before the user runs a cell in it.
      await this._app.serviceManager.kernels.refreshRunning();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      console.error(`sparkgate: shutdown of ${cluster.id} failed: ${message}`);
      Notification.error(t.__('Could not shut down %1: %2', cluster.displayName, message), { autoClose: 8000 });
    }
  }

  private _app: JupyterFrontEnd;
  private _client: SparkgateClient;
  private _store: ClusterStore;
  private _trans: TranslationBundle;
  private _me: IMe | null = null;
  private _meError: string | null = null;
  private _launchingId: string | null = null;
  private _target: NotebookPanel | null = null;
  private _seenAlive = new Set<string>();
  private _endedAt = new Map<string, number>();
  private _uptimeTimer: number | undefined = undefined;
  private _usageTimer: number | undefined = undefined;
  private _header = new Widget({ node: h('div', { className: 'sg-SparkPanel-header' }) });
  private _form: SizingForm;
  private _progress: LaunchProgressView;
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
    /** Strings of domain `sparkgate_lab`; untranslated when absent. */
    trans?: TranslationBundle;
    /** The profile the form selects first (the `defaultProfile` setting); `null` for the first. */
    defaultProfile?: () => string | null;
  }
}

namespace Private {
  export function section(title: string): Widget {
    return new Widget({ node: h('h2', { className: 'sg-SparkPanel-section', text: title }) });
  }
}
