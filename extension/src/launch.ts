/**
 * Launch = start a cluster with a sizing, wait until it is up, then open a notebook on it (or
 * switch an existing notebook to it).
 *
 * #### Notes
 * jupyter_server in gateway mode attaches notebooks only to kernels it started itself, so a
 * notebook cannot simply join the kernel the gateway runs. `POST api/clusters` starts the cluster
 * at once (its driver launches in the background; phases arrive as `cluster` events) and answers
 * its `kernelName` (`<kernelspec>--<cluster id>`); the extension refreshes kernelspecs so Jupyter
 * knows that name and opens a notebook with it. When jupyter_server then starts a kernel of that
 * name, the gateway hands it the running cluster instead of starting another.
 *
 * The notebook is opened only once the cluster is up (state `ready` or `busy`): opening it
 * earlier made jupyter_server wait on the launch, and a launch that failed (e.g. no node can hold
 * the size) then showed JupyterLab's "Error Starting Kernel" dialog over an empty notebook left
 * behind. Until then the panel shows the launch's progress; a failure is a
 * {@link LaunchFailedError} carrying the gateway's reason, and no notebook is opened.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import { NotebookPanel } from '@jupyterlab/notebook';

import type { IClusterModel, ISizing } from './api';
import type { SparkgateClient } from './client';
import { whenUp } from './panel/whenUp';
import { startsOneKernel, writeShape } from './sharing';
import type { ClusterStore } from './store';

export { LaunchFailedError } from './panel/whenUp';

/** How often a launch re-reads its cluster over REST while live status is down. */
export const LAUNCH_POLL_MS = 2_000;

/** Inputs of {@link launchCluster}. */
export interface ILaunchOptions {
  app: JupyterFrontEnd;
  client: SparkgateClient;
  store: ClusterStore;
  profile: string;
  sizing: ISizing;
  /**
   * A notebook to switch to the new cluster (its kernel changes, the shape is written into its
   * metadata) instead of opening a new one; ignored once disposed.
   */
  target?: NotebookPanel | null;
  /** Called as soon as the gateway accepted the launch, before the cluster is up (to show progress). */
  onStarted?: (cluster: IClusterModel) => void;
  /** Re-read interval over REST while live status is down; default {@link LAUNCH_POLL_MS}. */
  pollIntervalMs?: number;
}

/** What a launch produced. */
export interface ILaunchResult {
  /** The cluster, as it was when it came up. */
  cluster: IClusterModel;
  /** The notebook attached to it; `null` if Jupyter did not open one. */
  notebook: NotebookPanel | null;
}

/**
 * Starts a cluster, waits until it is up, then opens a new notebook on it, or switches `target`
 * to it, recording the shape in the notebook's metadata so whoever opens it later can relaunch
 * the same shape.
 *
 * @throws SparkgateError when the gateway refuses the sizing (400/403/404) or is unreachable;
 *   no cluster was started.
 * @throws LaunchFailedError when the cluster fails, dies or is shut down before it is up; no
 *   notebook was opened or changed.
 */
export async function launchCluster(options: ILaunchOptions): Promise<ILaunchResult> {
  const { app, client, store, profile, sizing } = options;
  const started = await client.launch({ profile, sizing });
  console.debug(`sparkgate: launched cluster ${started.id} as kernelspec ${started.kernelName}`);
  store.upsert([started]);
  options.onStarted?.(started);

  // The launch adds a kernelspec on the gateway at once; Jupyter must see it before opening with
  // it. Read while the cluster comes up, so a notebook attaches in the same task as the event
  // that says it is up (the toolbar says "Ready" then: no round trip left for a run to fall in).
  const specs = app.serviceManager.kernelspecs.refreshSpecs().then(
    () => true,
    () => false
  );
  const cluster = await whenUp({ client, store, id: started.id, pollIntervalMs: options.pollIntervalMs ?? LAUNCH_POLL_MS });
  if (!(await specs)) {
    await app.serviceManager.kernelspecs.refreshSpecs();
  }

  const target = options.target && !options.target.isDisposed ? options.target : null;
  if (target) {
    oneKernelStart(target);
    await target.context.ready;
    await target.sessionContext.changeKernel({ name: cluster.kernelName });
    // The user's notebook: the shape is written (and marks it changed); saving stays theirs.
    writeShape(target, { profile, sizing });
    return { cluster, notebook: target };
  }

  const widget: unknown = await app.commands.execute('notebook:create-new', { kernelName: cluster.kernelName });
  if (!(widget instanceof NotebookPanel)) {
    console.warn(`sparkgate: notebook:create-new did not return a notebook for ${cluster.kernelName}`);
    return { cluster, notebook: null };
  }
  // Before its context reads the file (a round trip away), hence before its kernel starts.
  oneKernelStart(widget);
  await widget.context.ready;
  writeShape(widget, { profile, sizing });
  try {
    // The notebook is new and empty, so saving now only persists the shape with it.
    await widget.context.save();
  } catch (err) {
    console.warn(`sparkgate: could not save ${widget.context.path} with its cluster shape`, err);
  }
  return { cluster, notebook: widget };
}

/** Notebooks already given {@link startsOneKernel}. */
const startingOnce = new WeakSet<NotebookPanel>();

/** {@link startsOneKernel} on a notebook's session context, once per notebook, undone when it closes. */
function oneKernelStart(panel: NotebookPanel): void {
  if (startingOnce.has(panel)) {
    return;
  }
  startingOnce.add(panel);
  const undo = startsOneKernel(panel.sessionContext);
  panel.disposed.connect(() => undo.dispose());
}

