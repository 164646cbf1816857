/**
 * sparkgate-lab: a Spark sidebar panel to size and launch clusters, and a notebook toolbar
 * item with the live status of the notebook's cluster.
 */

import { ILayoutRestorer } from '@jupyterlab/application';
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IToolbarWidgetRegistry, Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { NotebookPanel } from '@jupyterlab/notebook';

import { SparkgateClient } from './client';
import { sparkIcon } from './icon';
import { SparkPanel } from './panel/panel';
import { readShape } from './sharing';
import { isClusterKernelName } from './status';
import { SparkStatus } from './statusWidget';
import { ClusterStore } from './store';
import { ISparkgate } from './tokens';

/** Sidebar rank: in the band JupyterLab leaves to third-party extensions (501–899). */
const PANEL_RANK = 600;

/** Toolbar item name; its placement is in schema/status.json (`jupyter.lab.toolbars`). */
const STATUS_ITEM = 'sparkgateStatus';

/**
 * Core plugin: API client, live status connection and the Spark sidebar panel.
 */
const corePlugin: JupyterFrontEndPlugin<ISparkgate> = {
  id: 'sparkgate-lab:plugin',
  description: 'Spark sidebar panel: size and launch Spark clusters, list and shut them down.',
  autoStart: true,
  provides: ISparkgate,
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null): ISparkgate => {
    const serverSettings = app.serviceManager.serverSettings;
    const client = new SparkgateClient({ serverSettings });
    const store = new ClusterStore({ serverSettings });
    store.start();

    const panel = new SparkPanel({ app, client, store, icon: sparkIcon });
    app.shell.add(panel, 'left', { rank: PANEL_RANK });
    restorer?.add(panel, panel.id);
    console.debug('sparkgate-lab: panel added');
    return { client, store, relaunch: shape => panel.relaunch(shape) };
  }
};

/**
 * Notebook toolbar item with the cluster's live status, and the relaunch offer for notebooks
 * that carry a cluster shape.
 */
const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: 'sparkgate-lab:status',
  description: 'Live Spark cluster status in the notebook toolbar.',
  autoStart: true,
  requires: [ISparkgate],
  optional: [IToolbarWidgetRegistry, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    sparkgate: ISparkgate,
    toolbarRegistry: IToolbarWidgetRegistry | null,
    tracker: INotebookTracker | null
  ): void => {
    const baseUrl = app.serviceManager.serverSettings.baseUrl;
    const relaunch = (shape: Parameters<ISparkgate['relaunch']>[0]): void => void sparkgate.relaunch(shape);
    if (toolbarRegistry) {
      toolbarRegistry.addFactory<NotebookPanel>(
        'Notebook',
        STATUS_ITEM,
        panel =>
          new SparkStatus({
            panel,
            store: sparkgate.store,
            baseUrl,
            onRelaunch: relaunch,
            onKeep: async id => {
              try {
                sparkgate.store.upsert([await sparkgate.client.keep(id)]);
              } catch (err) {
                Notification.error(`Could not keep the Spark cluster: ${err instanceof Error ? err.message : String(err)}`, { autoClose: 10000 });
                throw err;
              }
            }
          })
      );
    } else {
      console.warn('sparkgate-lab: no toolbar registry; the notebook status item is unavailable');
    }
    tracker?.widgetAdded.connect((_, panel) => void Private.offerRelaunch(panel, sparkgate));
  }
};

namespace Private {
  /**
   * Once a notebook with a stored shape has its kernel, offers (without blocking) to relaunch
   * that shape if the kernel is not a sparkgate cluster.
   */
  export async function offerRelaunch(panel: NotebookPanel, sparkgate: ISparkgate): Promise<void> {
    await panel.context.ready;
    const shape = readShape(panel);
    if (!shape) {
      return;
    }
    await panel.sessionContext.ready;
    await snapshot(sparkgate);
    const kernel = panel.sessionContext.session?.kernel;
    const store = sparkgate.store;
    if (panel.isDisposed || !store.hasSnapshot || store.forKernel(kernel?.id) ||
      store.forKernelName(kernel?.name) ||
      isClusterKernelName(kernel?.name)) {
      return;
    }
    Notification.info(`${panel.context.localPath} was made on a '${shape.profile}' Spark cluster, which is not running for you.`, {
      autoClose: 15000,
      actions: [{ label: 'Relaunch this Spark cluster shape', callback: () => void sparkgate.relaunch(shape) }]
    });
  }

  /** Resolves when the store has its first cluster list, or after a short wait. */
  function snapshot(sparkgate: ISparkgate): Promise<void> {
    const store = sparkgate.store;
    if (store.hasSnapshot) {
      return Promise.resolve();
    }
    return new Promise(resolve => {
      const done = (): void => {
        store.changed.disconnect(done);
        window.clearTimeout(timer);
        resolve();
      };
      // Without live status we cannot tell whether a cluster runs it; stay quiet then.
      const timer = window.setTimeout(done, 10_000);
      store.changed.connect(done);
    });
  }
}

export default [corePlugin, statusPlugin];
export { ISparkgate } from './tokens';
