/**
 * sparkgate on the test cluster as a child process (the built server/dist/main.js) with the
 * Kubernetes backend, so a test can SIGKILL it: its identity and tenants applied, a kubeconfig
 * file of its own service account, and a fixed port so that clients (jupyter_server's
 * --gateway-url) find the next gateway where the killed one was.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnGateway, type GatewayProcess } from '../../support/gatewayProcess.js';
import { applyTenant, type Cluster } from '../harness/index.js';
import { applyGatewayIdentity, gatewayKubeConfig } from './sparkgate.js';

/** Applies the gateway's identity and tenants, writes its kubeconfig into `dir`; returns the file. */
export async function prepareK8sGatewayProcess(cluster: Cluster, tenants: Record<string, { gpuQuota?: number }>, dir: string): Promise<string> {
  await applyGatewayIdentity(cluster);
  for (const [namespace, quota] of Object.entries(tenants)) {
    await applyTenant(cluster, { namespace, withGatewayRole: false, ...quota });
  }
  const file = path.join(dir, 'gateway.kubeconfig');
  // JSON is YAML: KubeConfig.loadFromFile reads it.
  await writeFile(file, (await gatewayKubeConfig(cluster)).exportConfig(), { mode: 0o600 });
  return file;
}

/** Starts `--backend kubernetes` on 127.0.0.1:`port`; `yaml` must end inside its `kubernetes:` section (KUBERNETES_SECTION). */
export function spawnK8sGatewayProcess(options: { yaml: string; kubeconfig: string; port: number; token: string; timeoutMs?: number }): Promise<GatewayProcess> {
  return spawnGateway({
    yaml: `${options.yaml.trimEnd()}\n  kubeconfig: ${options.kubeconfig}\n`,
    token: options.token,
    args: ['--backend', 'kubernetes', '--port', String(options.port)],
    timeoutMs: options.timeoutMs ?? 120_000
  });
}
