/** charts/sparkgate of this checkout. */
export declare const CHART_DIR: string;
/** images/deploy of this checkout. */
export declare const DEPLOY_DIR: string;
/** images/deploy/gateway.yaml and tenant.yaml as the chart renders them now. */
export declare function renderDeployManifests(helm?: string): Promise<{ 'gateway.yaml': string; 'tenant.yaml': string }>;
