/**
 * sparkgate-lab: a Spark sidebar panel to size and launch clusters, a notebook toolbar item with
 * the live status of the notebook's cluster, per-cell Spark progress, and the Spark commands
 * (palette category "Spark"; Kernel and View menu items from schema/plugin.json).
 */

import { ILayoutRestorer } from '@jupyterlab/application';
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, IToolbarWidgetRegistry, Notification, showDialog } from '@jupyterlab/apputils';
import { INotebookTracker, INotebookWidgetFactory } from '@jupyterlab/notebook';
import type { NotebookPanel, NotebookWidgetFactory } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { ISharedShape } from './api';
import { attachCellProgress } from './cells';
import { SparkgateClient } from './client';
import { CommandIDs, canShutDown, enablementKey, launchLabel, launchProfileOf, sparkUiTarget } from './commands';
import { openExecutorsPopup } from './executors/popup';
import { sparkIcon } from './icon';
import { SparkPanel } from './panel/panel';
import { DEFAULT_SETTINGS, parseSettings } from './settings';
import type { ISparkgateSettings } from './settings';
import { cellSources, holdsKernelStart, isBlankNotebook, readShape, saveShapeOnly } from './sharing';
import { isClusterKernelName } from './status';
import { SparkStatus } from './statusWidget';
import { ClusterStore } from './store';
import { ISparkgate } from './tokens';

/** Sidebar rank: in the band JupyterLab leaves to third-party extensions (501–899). */
const PANEL_RANK = 600;

/** Toolbar item name; its placement is in schema/status.json (`jupyter.lab.toolbars`). */
const STATUS_ITEM = 'sparkgateStatus';

/** The core plugin's id; its settings are schema/plugin.json. */
const CORE_ID = 'sparkgate-lab:plugin';

/** The translation domain of every sparkgate string. */
const DOMAIN = 'sparkgate_lab';

/**
 * Core plugin: API client, live status connection, settings, the Spark sidebar panel and its
 * commands (open the panel, launch a profile).
 */
const corePlugin: JupyterFrontEndPlugin<ISparkgate> = {
  id: CORE_ID,
  description: 'Spark sidebar panel: size and launch Spark clusters, list and shut them down.',
  autoStart: true,
  provides: ISparkgate,
  optional: [ILayoutRestorer, ISettingRegistry, ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): ISparkgate => {
    const trans = (translator ?? nullTranslator).load(DOMAIN);
    const serverSettings = app.serviceManager.serverSettings;
    const client = new SparkgateClient({ serverSettings });
    const store = new ClusterStore({ serverSettings });
    store.start();

    let settings: Readonly<ISparkgateSettings> = DEFAULT_SETTINGS;
    const panel = new SparkPanel({ app, client, store, icon: sparkIcon, trans, defaultProfile: () => settings.defaultProfile });
    app.shell.add(panel, 'left', { rank: PANEL_RANK });
    restorer?.add(panel, panel.id);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Spark Panel'),
      caption: trans.__('Open the Spark panel: launch and size Spark clusters, see yours'),
      icon: args => (args.isPalette ? undefined : sparkIcon),
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.launch, {
      label: args => launchLabel(args, trans),
      caption: trans.__('Launch a Spark cluster at its profile’s default sizing and open a notebook on it'),
      describedBy: {
        args: { type: 'object', properties: { profile: { type: 'string', description: trans.__('The profile id; default: the defaultProfile setting') } } }
      },
      execute: async args => {
        let profile = launchProfileOf(args, settings.defaultProfile);
        if (profile === null) {
          try {
            profile = (await client.me()).profiles[0]?.id ?? null;
          } catch (err) {
            Notification.error(trans.__('Could not read your Spark profiles: %1', Private.message(err)), { autoClose: 10000 });
            return;
          }
        }
        if (profile === null) {
          Notification.warning(trans.__('You have no Spark profile to launch.'), { autoClose: 10000 });
          return;
        }
        await panel.launchProfile(profile);
      }
    });
    const category = trans.__('Spark');
    palette?.addItem({ command: CommandIDs.openPanel, category });
    palette?.addItem({ command: CommandIDs.launch, category });

    const sparkgate: ISparkgate = {
      client,
      store,
      trans,
      get settings() {
        return settings;
      },
      relaunch: (shape, target) => panel.relaunch(shape, target)
    };
    if (settingRegistry) {
      void settingRegistry.load(CORE_ID).then(
        loaded => {
          // Read on use (the panel's default profile, each cell's progress): no one to notify.
          settings = parseSettings(loaded.composite);
          loaded.changed.connect(() => {
            settings = parseSettings(loaded.composite);
          });
        },
        (err: unknown) => console.warn(`sparkgate-lab: could not read the settings; using the defaults: ${Private.message(err)}`)
      );
    }
    console.debug('sparkgate-lab: panel added');
    return sparkgate;
  }
};

/**
 * Notebook side: the toolbar status item, per-cell Spark progress, the notebook's cluster
 * commands (shut down, Spark UI), and shared notebooks — saved with only their shape, never
 * starting a cluster on their own, offering to relaunch the shape instead.
 */
const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: 'sparkgate-lab:status',
  description: 'Live Spark cluster status in the notebook toolbar, per-cell Spark progress, and shared notebook handling.',
  autoStart: true,
  requires: [ISparkgate],
  optional: [IToolbarWidgetRegistry, INotebookTracker, INotebookWidgetFactory, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    sparkgate: ISparkgate,
    toolbarRegistry: IToolbarWidgetRegistry | null,
    tracker: INotebookTracker | null,
    widgetFactory: NotebookWidgetFactoryLike | null,
    palette: ICommandPalette | null
  ): void => {
    const { store, client, trans } = sparkgate;
    const baseUrl = app.serviceManager.serverSettings.baseUrl;
    // The relaunch offer's toast per notebook: answered from the toolbar, it goes too.
    const offers = new WeakMap<NotebookPanel, string>();
    const relaunch = (panel: NotebookPanel, shape: ISharedShape): void => {
      const offer = offers.get(panel);
      if (offer !== undefined) {
        Notification.dismiss(offer);
        offers.delete(panel);
      }
      SparkStatus.noteRelaunch(panel, store, shape.profile);
      void sparkgate.relaunch(shape, panel);
    };

    // Created (synchronously) before the notebook file is read: early enough to keep JupyterLab
    // from starting a shared notebook's kernel on its own.
    const guarded = new WeakSet<NotebookPanel>();
    const guard = (panel: NotebookPanel): void => {
      if (!guarded.has(panel)) {
        guarded.add(panel);
        Private.guardNotebook(panel, sparkgate);
      }
    };
    widgetFactory?.widgetCreated.connect((_, panel) => guard(panel));

    if (toolbarRegistry) {
      toolbarRegistry.addFactory<NotebookPanel>(
        'Notebook',
        STATUS_ITEM,
        panel =>
          new SparkStatus({
            panel,
            store,
            baseUrl,
            trans,
            onRelaunch: shape => relaunch(panel, shape),
            onExecutors: (anchor, clusterId) => void openExecutorsPopup({ anchor, store, clusterId, trans }),
            onKeep: async id => {
              try {
                store.upsert([await client.keep(id)]);
              } catch (err) {
                Notification.error(trans.__('Could not keep the Spark cluster: %1', Private.message(err)), { autoClose: 10000 });
                throw err;
              }
            }
          })
      );
    } else {
      console.warn('sparkgate-lab: no toolbar registry; the notebook status item is unavailable');
    }
    if (!tracker) {
      return;
    }
    tracker.widgetAdded.connect((_, panel) => {
      // Without the widget factory token (another notebook factory), later than ideal but still
      // before the file is read in practice.
      guard(panel);
      void Private.offerRelaunch(panel, sparkgate, shape => relaunch(panel, shape)).then(id => {
        if (id !== null) {
          offers.set(panel, id);
        }
      });
    });

    attachCellProgress({ tracker, store, baseUrl, trans, enabled: () => sparkgate.settings.showCellProgress });

    // --- this notebook's cluster: shut down, Spark UI ---------------------------------------
    const currentCluster = () => {
      const panel = tracker.currentWidget;
      return panel ? SparkStatus.clusterOf(panel, store) : undefined;
    };
    app.commands.addCommand(CommandIDs.shutdownCluster, {
      label: trans.__('Shut Down the Spark Cluster…'),
      caption: trans.__('Shut down the Spark cluster of this notebook: its driver and executors stop'),
      isEnabled: () => canShutDown(currentCluster()),
      execute: async () => {
        const cluster = currentCluster();
        if (!cluster || !canShutDown(cluster)) {
          return;
        }
        const result = await showDialog({
          title: trans.__('Shut down Spark cluster?'),
          body: trans.__('%1: its driver and executors stop and unsaved Spark state is lost.', cluster.displayName),
          buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.warnButton({ label: trans.__('Shut down') })]
        });
        if (!result.button.accept) {
          return;
        }
        try {
          await client.shutdown(cluster.id);
          store.remove(cluster.id);
        } catch (err) {
          Notification.error(trans.__('Could not shut down the Spark cluster: %1', Private.message(err)), { autoClose: 10000 });
        }
      }
    });
    app.commands.addCommand(CommandIDs.openSparkUi, {
      label: trans.__('Open Spark UI'),
      caption: trans.__('Open the Spark UI of this notebook’s cluster in a new browser tab'),
      isEnabled: () => sparkUiTarget(baseUrl, currentCluster()) !== null,
      execute: () => {
        const url = sparkUiTarget(baseUrl, currentCluster());
        if (url) {
          window.open(url, '_blank', 'noopener');
        }
      }
    });
    const category = trans.__('Spark');
    palette?.addItem({ command: CommandIDs.shutdownCluster, category });
    palette?.addItem({ command: CommandIDs.openSparkUi, category });

    // Menus and palette re-read enablement when told; tell them only when it changes.
    let key = '';
    const notify = (): void => {
      const next = enablementKey(baseUrl, currentCluster());
      if (next !== key) {
        key = next;
        app.commands.notifyCommandChanged(CommandIDs.shutdownCluster);
        app.commands.notifyCommandChanged(CommandIDs.openSparkUi);
      }
    };
    store.changed.connect(notify);
    tracker.currentChanged.connect(notify);
    const kernelWatch = new WeakSet<NotebookPanel>();
    tracker.widgetAdded.connect((_, panel) => {
      if (!kernelWatch.has(panel)) {
        kernelWatch.add(panel);
        panel.sessionContext.kernelChanged.connect(notify);
      }
    });
  }
};

/** The part of the notebook widget factory the status plugin uses. */
type NotebookWidgetFactoryLike = Pick<NotebookWidgetFactory.IFactory, 'widgetCreated'>;

namespace Private {
  export function message(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
  }

  /**
   * A notebook saves only its shape (the profile's kernelspec, not its cluster's), and one that
   * carries a shape does not start its kernel on its own when it is opened without a session
   * (see sharing.ts `holdsKernelStart`).
   *
   * #### Notes
   * JupyterLab sets the kernel preference from the file's `metadata.kernelspec` and, in the same
   * call, initializes the session context, which starts that kernel unless `shouldStart` is off —
   * or, with no kernelspec of that name, shows the "Select Kernel" dialog. So the preference is
   * adjusted on its change signal, synchronously, before the context reads it. A running session
   * on the notebook's path is reattached regardless (JupyterLab connects before it considers
   * starting one).
   */
  export function guardNotebook(panel: NotebookPanel, sparkgate: ISparkgate): void {
    const saving = saveShapeOnly(panel);
    panel.disposed.connect(() => saving.dispose());
    const ctx = panel.sessionContext;
    const hold = (): void => {
      const pref = ctx.kernelPreference;
      if (ctx.isDisposed || ctx.session || pref.shouldStart === false) {
        return;
      }
      const facts = { kernelName: pref.name, shape: readShape(panel), ownCluster: !!sparkgate.store.forKernelName(pref.name) };
      if (holdsKernelStart(facts)) {
        console.debug(`sparkgate: ${panel.context.path} carries a '${facts.shape?.profile}' cluster shape; its kernel waits for a relaunch`);
        ctx.kernelPreference = { ...pref, shouldStart: false };
      }
    };
    ctx.kernelPreferenceChanged.connect(hold);
    hold();
  }

  /**
   * Once a notebook with a stored shape has its kernel (or none), offers (without blocking) to
   * relaunch that shape if no cluster of its own runs or launches and it has something to rerun.
   * Resolves with the offer's notification id, or null when there is none.
   */
  export async function offerRelaunch(panel: NotebookPanel, sparkgate: ISparkgate, relaunch: (shape: ISharedShape) => void): Promise<string | null> {
    await panel.context.ready;
    const shape = readShape(panel);
    if (!shape) {
      return null;
    }
    await panel.sessionContext.ready;
    await snapshot(sparkgate);
    const kernel = panel.sessionContext.session?.kernel;
    const store = sparkgate.store;
    if (panel.isDisposed || !store.hasSnapshot || SparkStatus.clusterOf(panel, store) || isClusterKernelName(kernel?.name) || isBlankNotebook(cellSources(panel))) {
      return null;
    }
    const trans: TranslationBundle = sparkgate.trans;
    return Notification.info(trans.__("%1 was made on a '%2' Spark cluster, which is not running for you.", panel.context.localPath, shape.profile), {
      autoClose: 15000,
      actions: [{ label: trans.__('Relaunch this Spark cluster shape'), callback: () => relaunch(shape) }]
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
