/**
 * Progress of the latest launch: requested → scheduling → pulling/starting → kernel ready →
 * Spark ready, and the reason if it failed.
 */

import { Widget } from '@lumino/widgets';

import type { IClusterModel } from '../api';
import { h, replaceChildren } from '../dom';
import { launchSteps } from '../status';

/** Step list for one launch; hidden until a launch starts. */
export class LaunchProgressView extends Widget {
  constructor() {
    super();
    this.addClass('sg-LaunchProgress');
    this.hide();
  }

  /** Shows a cluster's launch; `null` hides the view. */
  render(cluster: IClusterModel | null): void {
    if (!cluster) {
      this.hide();
      return;
    }
    this.show();
    const steps = launchSteps(cluster.phase, cluster.state);
    const failed = cluster.state === 'failed' || cluster.state === 'dead';
    replaceChildren(
      this.node,
      h('div', { className: 'sg-LaunchProgress-title', text: `Launch of ${cluster.displayName}` }),
      h(
        'ol',
        { className: 'sg-LaunchProgress-steps' },
        ...steps.map(s => h('li', { className: `sg-LaunchProgress-step sg-mod-${s.status}`, text: s.label }))
      ),
      failed
        ? h('div', {
            className: 'sg-LaunchProgress-reason',
            text: `Launch failed: ${cluster.reason ?? cluster.driver.reason ?? 'no reason given'}`,
            attrs: { role: 'alert' }
          })
        : null
    );
  }
}
