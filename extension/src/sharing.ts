/**
 * Cluster shapes in notebook metadata (`metadata.sparkgate`), so a shared notebook carries what
 * it ran on and the next user can relaunch it within their own limits.
 */

import type { NotebookPanel } from '@jupyterlab/notebook';

import type { ISharedShape } from './api';
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
