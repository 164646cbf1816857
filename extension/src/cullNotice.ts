/**
 * The idle-cull notice of the notebook status widget: "shutting down in 5 min — idle since 14:02"
 * and a Keep button. Plain DOM, so it renders (and is tested) without a notebook.
 */

import type { IClusterModel } from './api';
import { h } from './dom';
import { plainTrans } from './trans';
import type { ITrans } from './trans';
import { cullNotice } from './status';

/** Options of {@link renderCullNotice}. */
export interface ICullNoticeOptions {
  /** Milliseconds clock reading for the countdown. */
  now: number;
  /** Asks the gateway to keep the cluster (`POST sparkgate/api/clusters/{id}/keep`). */
  onKeep: (id: string) => void;
  /** While a keep request is on its way: the button is disabled. */
  keeping?: boolean;
  /** Formats `idleSince`; default local `HH:MM`. */
  clock?: (date: Date) => string;
  /** The `sparkgate_lab` translation bundle; default untranslated. */
  trans?: ITrans;
}

/** The notice for `cluster`, or null when no cull is announced. */
export function renderCullNotice(cluster: IClusterModel, options: ICullNoticeOptions): HTMLElement | null {
  const trans = options.trans ?? plainTrans;
  const notice = cullNotice(cluster, options.now, options.clock, trans);
  if (!notice) {
    return null;
  }
  const button = h('button', {
    className: 'jp-ToolbarButtonComponent sg-SparkStatus-keep',
    text: trans.__('Keep'),
    title: trans.__('Keep this cluster: start its idle time over')
  });
  button.disabled = options.keeping === true;
  button.addEventListener('click', () => options.onKeep(cluster.id));
  return h(
    'span',
    { className: 'sg-SparkStatus-cull', attrs: { role: 'status' } },
    h('span', { className: 'sg-Chip sg-mod-pending sg-SparkStatus-cullText', text: notice.text, title: notice.title }),
    button
  );
}
