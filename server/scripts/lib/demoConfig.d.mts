// Types of demoConfig.mjs (plain ESM so that start.mjs and the e2e tests share it); keep in step.

export const DEMO_NAMESPACE: string;
export const DEMO_GPU_QUOTA: number;

export interface DemoNode {
  name: string;
  cpu: string;
  memory: string;
  gpus?: number;
}

export function demoNodes(gpus?: number): DemoNode[];

export function demoGatewayYaml(options: { kubernetesSection: string; kubeconfig?: string; users?: string[] }): string;
