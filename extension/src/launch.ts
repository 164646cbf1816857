/**
 * Launch = start a cluster with a sizing, then open a notebook on its kernelspec.
 *
 * #### Notes
 * jupyter_server in gateway mode attaches notebooks only to kernels it started itself, so a
 * notebook cannot simply join the kernel the gateway runs. `POST api/clusters` starts the cluster
 * at once (its driver launches in the background; phases arrive as `cluster` events) and answers
 * its `kernelName` (`<kernelspec>--<cluster id>`); the extension refreshes kernelspecs so Jupyter
 * knows that name and opens a notebook with it. When jupyter_server then starts a kernel of that
 * name, the gateway hands it the running cluster instead of starting another.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import { NotebookPanel } from '@jupyterlab/notebook';

import type { IClusterModel, ISizing } from './api';
import type { SparkgateClient } from './client';
import { writeShape } from './sharing';
import type { ClusterStore } from './store';

/** Inputs of {@link launchCluster}. */
export interface ILaunchOptions {
  app: JupyterFrontEnd;
  client: SparkgateClient;
  store: ClusterStore;
  profile: string;
  sizing: ISizing;
}

/** What a launch produced. */
export interface ILaunchResult {
  cluster: IClusterModel;
  /** The notebook attached to it; `null` if Jupyter did not open one. */
  notebook: NotebookPanel | null;
}

/**
 * Starts a cluster and opens a new notebook on it, recording the shape in the notebook's
 * metadata so whoever opens it later can relaunch the same shape.
 *
 * @throws SparkgateError when the gateway refuses the sizing (400/403/404) or is unreachable.
 */
export async function launchCluster(options: ILaunchOptions): Promise<ILaunchResult> {
  const { app, client, store, profile, sizing } = options;
  const cluster = await client.launch({ profile, sizing });
  console.debug(`sparkgate: launched cluster ${cluster.id} as kernelspec ${cluster.kernelName}`);
  store.upsert([cluster]);

  // The launch adds a kernelspec on the gateway; Jupyter must see it before opening with it.
  await app.serviceManager.kernelspecs.refreshSpecs();
  const widget: unknown = await app.commands.execute('notebook:create-new', { kernelName: cluster.kernelName });
  if (!(widget instanceof NotebookPanel)) {
    console.warn(`sparkgate: notebook:create-new did not return a notebook for ${cluster.kernelName}`);
    return { cluster, notebook: null };
  }
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
