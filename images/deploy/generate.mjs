#!/usr/bin/env node
// images/deploy/gateway.yaml and tenant.yaml are generated from the Helm chart (charts/sparkgate),
// so there is one source: `helm template` with envsubst placeholders as values. Run after changing
// the chart: `node images/deploy/generate.mjs` (builds Helm into the cache if needed). The cluster
// test test/cluster/helmChart.test.ts checks the committed files equal this output.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureHelmBinary } from '../../test/cluster/helmbin/build.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CHART_DIR = path.join(root, 'charts', 'sparkgate');
export const DEPLOY_DIR = path.join(root, 'images', 'deploy');

const GATEWAY_HEADER = `# GENERATED from charts/sparkgate by images/deploy/generate.mjs: edit the chart, not this file.
# sparkgate gateway without Helm: Namespace, ServiceAccount, least-privilege ClusterRole (granted per
# tenant namespace by tenant.yaml's RoleBinding; there is no ClusterRoleBinding), the leader Lease's
# Role, config Secret, Deployment (2 replicas), Service and PodDisruptionBudget. Render with envsubst
# semantics and apply server-side:
#   GATEWAY_IMAGE=registry.example.com/sparkgate/gateway:0.1.0 \\
#     envsubst < images/deploy/gateway.yaml | kubectl apply --server-side -f -
# Variables: GATEWAY_IMAGE. Then replace the config Secret (images/deploy/config.example.yaml):
#   kubectl -n sparkgate create secret generic sparkgate-config --from-file=config.yaml \\
#     --dry-run=client -o yaml | kubectl apply --server-side --force-conflicts -f -
# With Helm, install the chart instead (README "Deploy with Helm").
apiVersion: v1
kind: Namespace
metadata:
  name: sparkgate
  labels:
    app.kubernetes.io/part-of: sparkgate
`;

const TENANT_HEADER = `# GENERATED from charts/sparkgate by images/deploy/generate.mjs: edit the chart, not this file.
# sparkgate tenant namespace without Helm: one per tenant (the \`namespace\` of a tenant in the gateway
# config), with Pod Security "restricted" enforced. Render with envsubst semantics and apply server-side:
#   NAMESPACE=team-a GATEWAY_NAMESPACE=sparkgate GPU_QUOTA=8 CPU_QUOTA=64 MEMORY_QUOTA=256Gi \\
#     envsubst < images/deploy/tenant.yaml | kubectl apply --server-side -f -
# Variables: NAMESPACE, GATEWAY_NAMESPACE (where gateway.yaml runs, usually sparkgate),
#            GPU_QUOTA (nvidia.com/gpu), CPU_QUOTA (cores), MEMORY_QUOTA (e.g. 256Gi).
# The ResourceQuota is the backstop; the gateway refuses over-limit launches before creating anything.
`;

function run(file, args) {
  return new Promise((resolve, reject) =>
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${stderr || error.message}`)) : resolve(stdout)
    )
  );
}

/**
 * The two files' text as `helm template` renders them now.
 * @param {string} [helm] path of the helm binary (default: the cached build)
 * @returns {Promise<{ 'gateway.yaml': string, 'tenant.yaml': string }>}
 */
export async function renderDeployManifests(helm) {
  const bin = helm ?? (await ensureHelmBinary());
  const dir = await mkdtemp(path.join(tmpdir(), 'sparkgate-deploy-'));
  try {
    const gatewayValues = path.join(dir, 'gateway.json');
    // The plain manifests carry the scrape annotations (README "Metrics"); the chart asks for them (metrics.scrapeAnnotations).
    await writeFile(gatewayValues, JSON.stringify({ gateway: { image: { name: '${GATEWAY_IMAGE}', tag: '' } }, metrics: { scrapeAnnotations: true } }));
    const gateway = await run(bin, ['template', 'sparkgate', CHART_DIR, '--namespace', 'sparkgate', '--values', gatewayValues]);
    // Placeholders are not valid names or quantities, so this one rendering skips the schema.
    const tenantValues = path.join(dir, 'tenant.json');
    await writeFile(
      tenantValues,
      JSON.stringify({ tenants: { '${NAMESPACE}': { quota: { gpus: '${GPU_QUOTA}', cpu: '${CPU_QUOTA}', memory: '${MEMORY_QUOTA}' } } } })
    );
    const tenant = await run(bin, [
      'template', 'sparkgate', CHART_DIR, '--namespace', '${GATEWAY_NAMESPACE}', '--values', tenantValues,
      '--show-only', 'templates/tenants.yaml', '--skip-schema-validation'
    ]);
    return { 'gateway.yaml': `${GATEWAY_HEADER}${gateway}`, 'tenant.yaml': `${TENANT_HEADER}${tenant}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await renderDeployManifests();
  for (const [name, text] of Object.entries(files)) {
    await writeFile(path.join(DEPLOY_DIR, name), text);
    console.log(`wrote images/deploy/${name}`);
  }
}
