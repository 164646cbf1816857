import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

/**
 * Placeholder plugin so the prebuilt extension builds; replaced by the panel and status plugins.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'sparkgate-lab:plugin',
  description: 'Spark clusters on Kubernetes from JupyterLab.',
  autoStart: true,
  activate: (_app: JupyterFrontEnd) => {
    console.debug('sparkgate-lab: activated');
  }
};

export default plugin;
