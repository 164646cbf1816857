/**
 * The sidebar icon: a spark inside a cluster ring. `jp-icon3` lets themes recolor it.
 */

import { LabIcon } from '@jupyterlab/ui-components';

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 1.5l2.2 6.3 6.3 2.2-6.3 2.2L12 18.5l-2.2-6.3L3.5 10l6.3-2.2z"/>
    <circle cx="4" cy="20" r="2"/><circle cx="12" cy="22" r="1.6"/><circle cx="20" cy="20" r="2"/>
  </g>
</svg>`;

/** Spark panel icon. */
export const sparkIcon = new LabIcon({ name: 'sparkgate-lab:spark', svgstr: SVG });
