// Types of demoConfig.mjs (plain ESM so that start.mjs and the e2e tests share it); keep in step.

export const DEMO_NAMESPACE: string;
export const DEMO_GPU_QUOTA: number;
/** Prometheus' scrape interval of the fake DCGM exporter, and the gateway's gpuMetrics.intervalSeconds. */
export const DEMO_SCRAPE_INTERVAL_SECONDS: number;
export const DEMO_GPU_METRICS_INTERVAL_SECONDS: number;

export interface DemoNode {
  name: string;
  cpu: string;
  memory: string;
  gpus?: number;
}

export function demoNodes(gpus?: number): DemoNode[];

export function demoGatewayYaml(options: { kubernetesSection: string; kubeconfig?: string; users?: string[]; prometheusUrl?: string }): string;
