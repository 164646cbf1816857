/**
 * The objects of one kernel on Kubernetes, pure builders; codec.ts is their inverse (codec.test.ts
 * decodes what these build). Over 250 lines: `buildDriverObjects` is one piece,
 * the pod, its Secret, Service and NetworkPolicy sharing names, labels, ports and the mounted
 * keys; cut apart, each part would take the others' names as arguments.
 */
import { createHmac } from 'node:crypto';
import type { V1EnvVar, V1Pod, V1Toleration, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { podMemoryOverheadMiB, type JvmSizing } from '@sparkgate/contract';
import { GPU_PRODUCT_LABEL, type PodPlacement, type ProfileSecret } from '../../config/types.js';
import { executorBootstrapJavaOptions } from '../../spark/auth.js';
import { buildKubernetesSparkConf, DRIVER_PORTS, DRIVER_WORK_DIR, driverPodSparkMaster } from '../../spark/kubernetesConf.js';
import { buildUserClaim, resolveVolumes } from './claims.js';
import { ANNOTATIONS, LABELS, MANAGER, POOL_SPARK_USER, POOL_WARM, SECRET_FILES, SPARK_CONF_ARG } from './labels.js';
import type { DriverObjects, DriverObjectsInput, KernelConnection } from './types.js';

/** Jupyter ports of a kernel pod (fixed: every pod has its own IP). */
export const KERNEL_PORTS = {
  shell: 52700,
  iopub: 52701,
  stdin: 52702,
  control: 52703,
  hb: 52704
} as const;

/** Where the kernel's Secret (connection file, Spark conf, executor template) is mounted. */
export const KERNEL_FILES_DIR = '/etc/sparkgate/kernel';
/** Where executors get the one key of that Secret they need, Spark's secret (`SECRET_FILES.sparkAuth`). */
export const EXECUTOR_SECRET_DIR = '/etc/sparkgate/spark';
const WORK_DIR = DRIVER_WORK_DIR;

/**
 * Everything a kernel is on Kubernetes: the driver pod, its Secret (the connection key never goes
 * into env, args or annotations), a headless Service and a NetworkPolicy letting only the kernel's
 * own pods reach its Spark ports. The Secret, Service and policy are owned by the pod, so deleting
 * the pod removes them; executors are owned by it too (`spark.kubernetes.driver.pod.name`).
 * Pure: names, key and config come in as arguments.
 */
export function buildDriverObjects(input: DriverObjectsInput): DriverObjects {
  const c = input.config;
  const labels = {
    [LABELS.name]: MANAGER,
    [LABELS.managedBy]: MANAGER,
    [LABELS.kernelId]: input.kernelId
  };
  const driverLabels = { ...labels, [LABELS.component]: 'driver' };
  const connection: KernelConnection = {
    transport: 'tcp',
    shell_port: KERNEL_PORTS.shell,
    iopub_port: KERNEL_PORTS.iopub,
    stdin_port: KERNEL_PORTS.stdin,
    control_port: KERNEL_PORTS.control,
    hb_port: KERNEL_PORTS.hb,
    key: input.key,
    signature_scheme: 'hmac-sha256',
    kernel_name: input.profile
  };
  const runtime = input.runtime;
  // The gateway's GPU placement for pods that ask for GPUs, then the profile's (issue 18): its
  // selector and tolerations always, its gpuType only on a pod with GPUs. No profile: as before.
  // The GPU type is the launch's (sizing, a user may choose it), else the profile's.
  const gpuPlacement = (jvm: JvmSizing, profile?: PodPlacement) => {
    const gpu = jvm.gpus > 0;
    const gpuType = jvm.gpuType ?? profile?.gpuType;
    const nodeSelector = { ...(gpu ? c.gpuNodeSelector : {}), ...profile?.nodeSelector, ...(gpu && gpuType ? { [GPU_PRODUCT_LABEL]: gpuType } : {}) };
    const tolerations = [...(gpu ? c.gpuTolerations : []), ...(profile?.tolerations ?? [])].map(t => ({ ...t }));
    return {
      ...(gpu || Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
      ...(gpu || tolerations.length > 0 ? { tolerations } : {})
    };
  };
  const volumes = resolveVolumes(runtime?.volumes ?? [], input.user);
  const mountOf = (v: (typeof volumes)[number]) => ({ name: v.name, mountPath: v.mountPath, ...(v.readOnly ? { readOnly: true } : {}) });
  const podSecurity = {
    runAsNonRoot: true,
    runAsUser: c.runAsUser,
    runAsGroup: c.runAsUser,
    fsGroup: c.runAsUser,
    seccompProfile: { type: 'RuntimeDefault' }
  };
  const containerSecurity = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

  const master = driverPodSparkMaster(input.sizing, c.sparkMaster);
  const args = ['kernel', '--connection-file', `${KERNEL_FILES_DIR}/${SECRET_FILES.connection}`, '--ip', '$(SPARKGATE_POD_IP)'];
  if (input.spark) {
    args.push(
      SPARK_CONF_ARG,
      `${KERNEL_FILES_DIR}/${SECRET_FILES.sparkConf}`,
      '--conf',
      `spark.master=${master}`,
      '--conf',
      'spark.driver.host=$(SPARKGATE_POD_IP)',
      '--conf',
      'spark.driver.bindAddress=$(SPARKGATE_POD_IP)'
    );
  }
  const d = input.sizing.driver;
  const memory = `${d.memoryMiB + podMemoryOverheadMiB('driver', d)}Mi`;
  const resources = {
    requests: { cpu: String(d.cores), memory, ...(d.gpus > 0 ? { 'nvidia.com/gpu': String(d.gpus) } : {}) },
    limits: { memory, ...(d.gpus > 0 ? { 'nvidia.com/gpu': String(d.gpus) } : {}) }
  };
  const kernelEnv = Object.entries({ ...runtime?.env, ...input.env }).map(([name, value]) => ({ name, value }));
  const secrets = driverSecrets(runtime?.secrets ?? []);
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: input.podName,
      namespace: input.namespace,
      labels: driverLabels,
      annotations: {
        // A pool driver has no user until its claim (a gateway adopts only pods with one).
        ...(input.pool ? { [ANNOTATIONS.pool]: POOL_WARM, [ANNOTATIONS.poolUntil]: input.pool.until.toISOString() } : { [ANNOTATIONS.user]: input.user }),
        [ANNOTATIONS.tenant]: input.tenant,
        [ANNOTATIONS.profile]: input.profile,
        [ANNOTATIONS.kernelName]: input.kernelName,
        [ANNOTATIONS.sizing]: JSON.stringify(input.sizing)
      }
    },
    spec: {
      serviceAccountName: c.kernelServiceAccount,
      automountServiceAccountToken: input.spark,
      // The gateway restarts kernels itself (same id, new pod); a crashed kernel stays dead.
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 20,
      enableServiceLinks: false,
      securityContext: podSecurity,
      ...driverPlacement(gpuPlacement(d, runtime?.driver), c.nodeLostSeconds ?? null),
      containers: [
        {
          name: 'kernel',
          image: runtime?.image.driver ?? c.driverImage,
          imagePullPolicy: c.imagePullPolicy,
          args,
          workingDir: WORK_DIR,
          env: [
            ...kernelEnv,
            ...secrets.env,
            { name: 'SPARKGATE_KERNEL_ID', value: input.kernelId },
            { name: 'SPARKGATE_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            // Spark binds its UI and block manager to this address instead of all interfaces.
            { name: 'SPARK_LOCAL_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'HOME', value: WORK_DIR }
          ],
          ports: [
            ...Object.entries(KERNEL_PORTS).map(([name, port]) => ({ name: `k-${name}`, containerPort: port })),
            { name: 'spark-driver', containerPort: DRIVER_PORTS.driver },
            { name: 'spark-bm', containerPort: DRIVER_PORTS.blockManager },
            { name: 'spark-ui', containerPort: DRIVER_PORTS.ui }
          ],
          // Ready once the kernel listens; Spark waits for this before creating executors.
          readinessProbe: { tcpSocket: { port: KERNEL_PORTS.shell }, periodSeconds: 2 },
          resources,
          securityContext: containerSecurity,
          volumeMounts: [
            { name: 'kernel', mountPath: KERNEL_FILES_DIR, readOnly: true },
            { name: 'work', mountPath: WORK_DIR },
            ...volumes.map(mountOf),
            ...secrets.mounts
          ]
        }
      ],
      volumes: [
        { name: 'kernel', secret: { secretName: input.podName, defaultMode: 0o440 } },
        { name: 'work', emptyDir: {} },
        ...volumes.map(v => ({ name: v.name, persistentVolumeClaim: { claimName: v.claimName, ...(v.readOnly ? { readOnly: true } : {}) } })),
        ...secrets.volumes
      ]
    }
  };

  const ownedBy = (owner: V1Pod) => ({
    name: input.podName,
    namespace: input.namespace,
    labels: { ...labels, [LABELS.component]: 'kernel' },
    ownerReferences: [
      { apiVersion: 'v1', kind: 'Pod', name: owner.metadata?.name ?? input.podName, uid: owner.metadata?.uid ?? '', blockOwnerDeletion: true }
    ]
  });
  const executorLabels = { ...labels, [LABELS.component]: 'executor' };
  const secretFiles = { driver: `${KERNEL_FILES_DIR}/${SECRET_FILES.sparkAuth}`, executor: `${EXECUTOR_SECRET_DIR}/${SECRET_FILES.sparkAuth}` };
  const bootstrap = executorBootstrapJavaOptions(master, secretFiles);
  const executorTemplate = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { labels: executorLabels },
    spec: {
      serviceAccountName: c.executorServiceAccount,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: podSecurity,
      ...gpuPlacement(input.sizing.executors, runtime?.executors),
      containers: [
        {
          name: 'spark-kubernetes-executor',
          securityContext: containerSecurity,
          ...(bootstrap ? { env: [{ name: 'JAVA_TOOL_OPTIONS', value: bootstrap }] } : {}),
          volumeMounts: [{ name: 'spark-auth', mountPath: EXECUTOR_SECRET_DIR, readOnly: true }]
        }
      ],
      // Spark keeps the template's volumes and mounts. Only Spark's secret: the rest of the Secret
      // (the connection key) is the driver's alone.
      volumes: [
        {
          name: 'spark-auth',
          secret: { secretName: input.podName, items: [{ key: SECRET_FILES.sparkAuth, path: SECRET_FILES.sparkAuth }], defaultMode: 0o440 }
        }
      ]
    }
  };
  const sparkConf = input.spark
    ? buildKubernetesSparkConf({
        master,
        secretFiles,
        kernelId: input.kernelId,
        // Spark's app name is fixed when the session starts, before a pool driver has a user.
        user: input.pool ? POOL_SPARK_USER : input.user,
        namespace: input.namespace,
        podName: input.podName,
        sizing: input.sizing,
        executorImage: runtime?.image.executor ?? c.executorImage,
        imagePullPolicy: c.imagePullPolicy,
        executorServiceAccount: c.executorServiceAccount,
        gpuDiscoveryScript: c.gpuDiscoveryScript,
        executorTemplateFile: `${KERNEL_FILES_DIR}/${SECRET_FILES.executorTemplate}`,
        executorLabels,
        ...(c.executorIdleTimeoutSeconds !== undefined ? { executorIdleTimeoutSeconds: c.executorIdleTimeoutSeconds } : {}),
        ...(input.pool ? { warm: true } : {}),
        ...(runtime
          ? {
              profile: {
                sparkConf: runtime.sparkConf,
                env: runtime.env,
                packages: runtime.packages,
                // Under the volume, as ~/.ivy2 is under a home: the volume may be the user's home.
                ivyDir: volumes.find(v => v.name === runtime.ivyCacheVolume)?.mountPath.concat('/.ivy2') ?? null,
                executorVolumes: volumes.filter(v => v.executors).map(({ name, claimName, mountPath, readOnly }) => ({ name, claimName, mountPath, readOnly })),
                executorSecrets: runtime.secrets.filter(s => s.executors).map(({ name, mountPath, env }) => ({ name, mountPath, env }))
              }
            }
          : {})
      })
    : null;

  return {
    pod,
    claims: volumes.flatMap(volume => buildUserClaim({ namespace: input.namespace, user: input.user, volume }) ?? []),
    connection,
    secret: owner => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: ownedBy(owner),
      type: 'Opaque',
      stringData: {
        [SECRET_FILES.connection]: JSON.stringify({ ...connection, ip: '0.0.0.0' }),
        ...(sparkConf
          ? {
              [SECRET_FILES.sparkConf]: JSON.stringify(sparkConf),
              [SECRET_FILES.executorTemplate]: JSON.stringify(executorTemplate),
              [SECRET_FILES.sparkAuth]: sparkSecret(input.key)
            }
          : {})
      }
    }),
    service: owner => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: ownedBy(owner),
      spec: {
        clusterIP: 'None',
        // Executors may dial the driver before it is Ready.
        publishNotReadyAddresses: true,
        selector: driverLabels,
        ports: [
          { name: 'spark-driver', port: DRIVER_PORTS.driver },
          { name: 'spark-bm', port: DRIVER_PORTS.blockManager },
          { name: 'spark-ui', port: DRIVER_PORTS.ui }
        ]
      }
    }),
    networkPolicy: owner => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { ...ownedBy(owner), name: `${input.podName}-own` },
      spec: {
        // The driver and its executors accept Spark traffic only from pods of the same kernel;
        // the tenant's namespace policy admits the gateway to the kernel ports.
        podSelector: { matchLabels: { [LABELS.kernelId]: input.kernelId } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            // The client's model names this field `_from` (`from` is a keyword in its generator)
            // and serializes only known names: a plain `from` was dropped, which left the ports
            // open to every pod (issue 10).
            _from: [{ podSelector: { matchLabels: { [LABELS.kernelId]: input.kernelId } } }],
            ports: [
              { protocol: 'TCP', port: DRIVER_PORTS.driver },
              { protocol: 'TCP', port: DRIVER_PORTS.blockManager }
            ]
          }
        ]
      }
    })
  };
}

/**
 * The kernel's Spark secret (`spark.authenticate`): HMAC-SHA256 of its connection key, so it is as
 * random and as new per launch as the key (256 bits), while executors, which get only this value,
 * cannot work the key out of it.
 */
export function sparkSecret(key: string): string {
  return createHmac('sha256', key).update('sparkgate spark.authenticate').digest('hex');
}

/** A DNS-1123 pod name for a kernel's driver: `sg-<first 8 of the id>-<suffix>` (new suffix per restart). */
export function driverPodName(kernelId: string, suffix: string): string {
  return `sg-${kernelId.slice(0, 8)}-${suffix}`;
}

/** Prefix of the driver's volumes for a profile's Secrets: profile volumes may not start with `spark-`, and Spark adds none to this pod. */
const SECRET_VOLUME = 'spark-secret-';

/**
 * A profile's Secrets in the driver pod (issue 18 item 3): each with a mountPath a read-only
 * volume (0440, readable through the pod's fsGroup), each variable a `secretKeyRef`. The kubelet
 * reads the values; the pod spec, and so the gateway, holds only names and keys.
 */
export function driverSecrets(secrets: readonly ProfileSecret[]): { volumes: V1Volume[]; mounts: V1VolumeMount[]; env: V1EnvVar[] } {
  const mounted = secrets.flatMap((s, i) => (s.mountPath === null ? [] : [{ volume: `${SECRET_VOLUME}${i}`, name: s.name, mountPath: s.mountPath }]));
  return {
    volumes: mounted.map(m => ({ name: m.volume, secret: { secretName: m.name, defaultMode: 0o440 } })),
    mounts: mounted.map(m => ({ name: m.volume, mountPath: m.mountPath, readOnly: true })),
    env: secrets.flatMap(s => Object.entries(s.env).map(([name, key]) => ({ name, valueFrom: { secretKeyRef: { name: s.name, key } } })))
  };
}

/** Taints the node controller puts on a node that stops reporting or is not ready. */
const NODE_LOST_TAINTS = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'];

/**
 * The driver's placement plus, with `nodeLostSeconds`, how long it stays on a lost node: Kubernetes
 * then evicts it (DisruptionTarget `DeletionByTaintManager`) and the kernel is reported dead with
 * "node <name> lost" instead of after the default 300 s. Executors keep the default: Spark replaces them.
 */
function driverPlacement(
  placement: { nodeSelector?: Record<string, string>; tolerations?: V1Toleration[] },
  nodeLostSeconds: number | null
): { nodeSelector?: Record<string, string>; tolerations?: V1Toleration[] } {
  if (nodeLostSeconds === null) {
    return placement;
  }
  const lost = NODE_LOST_TAINTS.map(key => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: nodeLostSeconds }));
  return { ...placement, tolerations: [...(placement.tolerations ?? []), ...lost] };
}
