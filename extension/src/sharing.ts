/**
 * What a shared notebook carries: its cluster shape (`metadata.sparkgate`) and the profile's plain
 * kernelspec, never the cluster it ran on. The next user (or the same one, once that cluster is
 * gone) relaunches the shape within their own limits; nothing starts a cluster without a click.
 */

import type { ISessionContext } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { DisposableDelegate } from '@lumino/disposable';
import type { IDisposable } from '@lumino/disposable';

import type { ISharedShape } from './api';
import { isClusterKernelName } from './status';
import { parseSharedShape, toSharedSizing } from './validate';

/** The notebook metadata key. */
export const METADATA_KEY = 'sparkgate';

/**
 * Stores `{ profile, sizing }` and nothing else: no cluster id, tenant, namespace, pod name or
 * token, since the notebook may be shared across tenants.
 */
export function writeShape(panel: NotebookPanel, shape: ISharedShape): void {
  const model = panel.context.model;
  const value = { profile: shape.profile, sizing: toSharedSizing(shape.sizing) };
  if (JSON.stringify(model.getMetadata(METADATA_KEY)) !== JSON.stringify(value)) {
    model.setMetadata(METADATA_KEY, value);
  }
}

/** The shape stored in a notebook, or `null` if none (or unreadable). */
export function readShape(panel: NotebookPanel): ISharedShape | null {
  const model = panel.context.model;
  return parseSharedShape(model.getMetadata(METADATA_KEY));
}

/** `metadata.kernelspec` of a notebook, as far as sparkgate reads it. */
export interface IKernelspecMetadata {
  name?: unknown;
  display_name?: unknown;
  [key: string]: unknown;
}

/**
 * The profile's kernelspec name of a cluster's kernel name: `pyspark-gpu--a1b2c3` →
 * `pyspark-gpu`; any other name as it is. Cluster ids (UUIDs included) have no `--`, so the last
 * one separates them.
 */
export function plainKernelName(name: string): string {
  return isClusterKernelName(name) ? name.slice(0, name.lastIndexOf('--')) : name;
}

/**
 * `metadata.kernelspec` with the cluster taken out: the profile's kernelspec name, and the display
 * name without the gateway's ` · <first 6 of the id>` suffix. `null` when there is nothing to take
 * out (not a cluster's kernel).
 */
export function plainKernelspec(spec: IKernelspecMetadata | null | undefined): IKernelspecMetadata | null {
  if (!spec || typeof spec.name !== 'string' || !isClusterKernelName(spec.name)) {
    return null;
  }
  const id = spec.name.slice(spec.name.lastIndexOf('--') + 2);
  const suffix = ` · ${id.slice(0, 6)}`;
  const display = typeof spec.display_name === 'string' && spec.display_name.endsWith(suffix) ? spec.display_name.slice(0, -suffix.length) : spec.display_name;
  return { ...spec, name: plainKernelName(spec.name), ...(display === undefined ? {} : { display_name: display }) };
}

/** A notebook file's JSON, as far as sparkgate rewrites it. */
export interface INotebookJSON {
  metadata?: { kernelspec?: IKernelspecMetadata; [key: string]: unknown };
  [key: string]: unknown;
}

/** `content` with `metadata.kernelspec` plain ({@link plainKernelspec}); the same object when already plain. */
export function withPlainKernelspec<T extends INotebookJSON>(content: T): T {
  const plain = plainKernelspec(content.metadata?.kernelspec);
  return plain ? ({ ...content, metadata: { ...content.metadata, kernelspec: plain } } as T) : content;
}

/** Facts for {@link holdsKernelStart}. */
export interface IStartFacts {
  /** The kernel JupyterLab is about to start for the notebook (from its `metadata.kernelspec`). */
  kernelName: string | null | undefined;
  /** The notebook's stored shape. */
  shape: ISharedShape | null;
  /** Whether that kernel name is a cluster of this user's (the launch puts it in the store first). */
  ownCluster: boolean;
}

/**
 * Whether JupyterLab must not start the notebook's kernel on its own: a notebook made on a
 * sparkgate cluster names a profile kernelspec, and starting it would start a cluster (GPUs) for
 * whoever opens it. Its user relaunches the stored shape with a click instead; a notebook whose
 * server session still runs reattaches to it regardless (JupyterLab connects to a running session
 * before it considers starting one).
 */
export function holdsKernelStart(f: IStartFacts): boolean {
  return f.shape !== null && !f.ownCluster && (!f.kernelName || plainKernelName(f.kernelName) === f.shape.profile);
}

/** Whether every cell is blank (a new notebook): nothing to rerun, so no relaunch offer. */
export function isBlankNotebook(sources: Iterable<string>): boolean {
  for (const source of sources) {
    if (source.trim() !== '') {
      return false;
    }
  }
  return true;
}

/** The cell sources of a notebook. */
export function cellSources(panel: NotebookPanel): string[] {
  const cells = panel.context.model.cells;
  const sources: string[] = [];
  for (let i = 0; i < cells.length; i++) {
    sources.push(cells.get(i).sharedModel.getSource());
  }
  return sources;
}

/**
 * Makes every save of `panel` write only the notebook's shape: the file gets the profile's plain
 * kernelspec while the notebook in memory keeps its cluster's kernel name.
 *
 * #### Notes
 * The serialization is what changes (the context saves `model.toJSON()`), not the model: changing
 * the model's metadata around a save would mark the notebook dirty, emit metadata changes to
 * every listener, and race "Save As", which serializes after an await. A kernelspec change in
 * memory that only adds the cluster back (JupyterLab writes the running kernel's spec into the
 * metadata when it attaches) does not mark a clean notebook dirty either: the file already says it.
 */
export function saveShapeOnly(panel: NotebookPanel): IDisposable {
  const model = panel.context.model;
  const toJSON = model.toJSON.bind(model);
  model.toJSON = () => {
    const content = toJSON();
    return content && typeof content === 'object' && !Array.isArray(content) ? (withPlainKernelspec(content as INotebookJSON) as typeof content) : content;
  };
  const onMetadata = (_: unknown, change: { key: string; oldValue?: unknown; newValue?: unknown }): void => {
    if (change.key !== 'kernelspec' || model.dirty) {
      return;
    }
    const name = (v: unknown): string | null => (v && typeof (v as IKernelspecMetadata).name === 'string' ? plainKernelName((v as IKernelspecMetadata).name as string) : null);
    const before = name(change.oldValue);
    if (before !== null && before === name(change.newValue)) {
      // The model marks itself dirty right after this signal, in the same call.
      queueMicrotask(() => {
        if (!model.isDisposed) {
          model.dirty = false;
        }
      });
    }
  };
  model.metadataChanged.connect(onMetadata);
  return new DisposableDelegate(() => {
    model.metadataChanged.disconnect(onMetadata);
    model.toJSON = toJSON;
  });
}

/**
 * Makes a session context start (or change) its kernel one at a time, and makes a cell run while
 * a start is under way wait for that kernel instead of being lost.
 *
 * #### Notes
 * JupyterLab creates a notebook's session once the notebook shows (in gateway mode
 * `POST api/sessions` asks the gateway for the cluster's kernel and connects to it: a second or
 * so on a busy machine). A cell run in that window (JupyterLab 4.5 `runCell`) was lost:
 * - before the start began, the run started a kernel of its own: a second session on the same
 *   cluster (the gateway answers a `<profile>--<id>` name with the running cluster), and
 *   JupyterLab shuts down the session it preempts — so the cluster was shut down;
 * - once it began, `CodeCell.execute` found no kernel yet and cleared the cell (`[ ]`) silently.
 *
 * Here the start (or change) under way is the only one: `hasNoKernel` (read by `runCell` and the
 * kernel dialog only) holds while it lasts, so a run asks `startKernel`, which waits for it; the
 * run then goes to its kernel (queued by the kernel connection until the socket is up).
 */
export function startsOneKernel(ctx: ISessionContext): IDisposable {
  const startKernel = ctx.startKernel.bind(ctx);
  const changeKernel = ctx.changeKernel.bind(ctx);
  const hasNoKernel = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(ctx) as object, 'hasNoKernel')?.get;
  let underWay: Promise<unknown> | null = null;
  const track = <T>(start: () => Promise<T>): Promise<T> => {
    const before = underWay?.catch(() => undefined) ?? Promise.resolve();
    const tracked: Promise<T> = before.then(start).finally(() => {
      if (underWay === tracked) {
        underWay = null;
      }
    });
    underWay = tracked;
    return tracked;
  };
  ctx.startKernel = async () => {
    if (underWay) {
      await underWay.catch(() => undefined);
      // Whether to ask for a kernel: only if that start gave none.
      return !ctx.session?.kernel;
    }
    return track(startKernel);
  };
  ctx.changeKernel = options => track(() => changeKernel(options));
  if (hasNoKernel) {
    Object.defineProperty(ctx, 'hasNoKernel', { configurable: true, get: () => underWay !== null || (hasNoKernel.call(ctx) as boolean) });
  }
  return new DisposableDelegate(() => {
    // The prototype's methods and getter show through again.
    const own = ctx as unknown as Record<string, unknown>;
    delete own.startKernel;
    delete own.changeKernel;
    delete own.hasNoKernel;
  });
}
