import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { RbacAuthorizationV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { useCluster } from './support/useCluster.js';
import { createPod, readLog, shellPod } from './harness/pods.js';
import { waitFor, waitForPod, waitForPodDone, waitForPodReady } from './harness/wait.js';

const entrypoint = fileURLToPath(new URL('./fixtures/entrypoint.sh', import.meta.url));
const NS = 'default';

describe('cluster/agent pods', () => {
  const k8s = useCluster({ imageEntrypoints: { 'sparkgate/test-executor': [entrypoint] } });

  it('should run a plain command and report its exit code like a kubelet', async () => {
    await createPod(k8s.cluster, shellPod('exit-three', 'echo hello from pod; exit 3'));
    const pod = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'exit-three');
    expect(pod.status?.phase).toBe('Failed');
    const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
    expect(term?.exitCode).toBe(3);
    expect(term?.reason).toBe('Error');
    expect(pod.spec?.nodeName).toBe('cpu-1');
    expect(pod.status?.podIP).toMatch(/^127\.\d+\.1\.\d+$/);
    expect(pod.status?.podIPs?.[0]?.ip).toBe(pod.status?.podIP);
    expect(pod.status?.hostIP).toBe('127.0.0.1');
    expect(pod.status?.startTime).toBeDefined();
    const conds = Object.fromEntries((pod.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conds).toMatchObject({ PodScheduled: 'True', Initialized: 'True', ContainersReady: 'False', Ready: 'False' });
    expect(readLog(k8s.cluster, NS, 'exit-three')).toBe('hello from pod\n');

    await createPod(k8s.cluster, shellPod('exit-zero', 'exit 0'));
    const ok = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'exit-zero');
    expect(ok.status?.phase).toBe('Succeeded');
    expect(ok.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  }, 60_000);

  it('should report a running pod as Ready with all conditions', async () => {
    await createPod(k8s.cluster, shellPod('sleeper', 'exec sleep 600'));
    const pod = await waitForPodReady(k8s.cluster.kubeConfig, NS, 'sleeper');
    const conds = Object.fromEntries((pod.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conds).toMatchObject({ PodScheduled: 'True', Initialized: 'True', ContainersReady: 'True', Ready: 'True' });
    expect(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeDefined();
    expect(pod.status?.containerStatuses?.[0]?.ready).toBe(true);
  }, 60_000);

  it('should give containers downward-API, Secret, ConfigMap and API-server env', async () => {
    await k8s.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'env-secret' }, stringData: { password: 's3cret' } } });
    await k8s.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'env-config' }, data: { mode: 'fast' } } });
    const field = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
    await createPod(
      k8s.cluster,
      shellPod('env-pod', 'env | sort', {
        container: {
          env: [
            { name: 'POD_IP', ...field('status.podIP') },
            { name: 'POD_NAME', ...field('metadata.name') },
            { name: 'POD_NAMESPACE', ...field('metadata.namespace') },
            { name: 'POD_UID', ...field('metadata.uid') },
            { name: 'NODE_NAME', ...field('spec.nodeName') },
            { name: 'HOST_IP', ...field('status.hostIP') },
            { name: 'SA_NAME', ...field('spec.serviceAccountName') },
            { name: 'APP_LABEL', ...field("metadata.labels['app']") },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'password' } } },
            { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'env-config', key: 'mode' } } },
            { name: 'COMBINED', value: '$(POD_NAME)@$(POD_IP)' }
          ]
        },
        metadata: { labels: { app: 'envtest' } }
      })
    );
    const pod = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'env-pod');
    expect(pod.status?.phase).toBe('Succeeded');
    const env = Object.fromEntries(
      readLog(k8s.cluster, NS, 'env-pod')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])
    );
    expect(env).toMatchObject({
      POD_IP: pod.status?.podIP,
      POD_NAME: 'env-pod',
      POD_NAMESPACE: NS,
      POD_UID: pod.metadata?.uid,
      NODE_NAME: 'cpu-1',
      HOST_IP: '127.0.0.1',
      SA_NAME: 'default',
      APP_LABEL: 'envtest',
      PASSWORD: 's3cret',
      MODE: 'fast',
      COMBINED: `env-pod@${pod.status?.podIP}`,
      HOSTNAME: 'env-pod',
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(k8s.cluster.apiPort)
    });
  }, 60_000);

  it('should show ConfigMap and Secret volumes at their mount paths', async () => {
    await k8s.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'vol-secret' }, stringData: { token: 'abc123' } } });
    await k8s.core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'vol-config' }, data: { 'spark-defaults.conf': 'spark.executor.cores 2\n' } }
    });
    // Absolute paths that do not exist on the host (unique per run, so other runs cannot interfere).
    const conf = `/opt/sparkgate-test-${process.pid}/conf`;
    const secret = `/etc/sparkgate-test-${process.pid}/secret`;
    await createPod(
      k8s.cluster,
      shellPod('volume-pod', `cat ${conf}/spark-defaults.conf ${secret}/token; echo; ls ${conf}; touch ${secret}/x 2>/dev/null || echo read-only`, {
        container: {
          volumeMounts: [
            { name: 'conf', mountPath: conf },
            { name: 'secret', mountPath: secret, readOnly: true }
          ]
        },
        spec: {
          volumes: [
            { name: 'conf', configMap: { name: 'vol-config' } },
            { name: 'secret', secret: { secretName: 'vol-secret' } }
          ]
        }
      })
    );
    const pod = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'volume-pod');
    expect(pod.status?.phase).toBe('Succeeded');
    expect(readLog(k8s.cluster, NS, 'volume-pod')).toBe('spark.executor.cores 2\nabc123\nspark-defaults.conf\nread-only\n');
    // Mounts lived in the pod's own mount namespace; the mount points the agent made are gone again.
    expect(existsSync(path.dirname(conf))).toBe(false);
    expect(existsSync(path.dirname(secret))).toBe(false);
  }, 60_000);

  it("should authenticate a pod's projected token as its ServiceAccount, limited by RBAC", async () => {
    const rbac = k8s.cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await k8s.core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'pod-reader' } } });
    await rbac.createNamespacedRole({
      namespace: NS,
      body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] }
    });
    await rbac.createNamespacedRoleBinding({
      namespace: NS,
      body: {
        metadata: { name: 'pod-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'pod-reader', namespace: NS }]
      }
    });
    // Uses only what a pod gets: the projected token, ca.crt and namespace files, KUBERNETES_SERVICE_*.
    const script = `
      const fs = require('fs'); const https = require('https');
      const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
      const token = fs.readFileSync(dir + '/token', 'utf8'); const ca = fs.readFileSync(dir + '/ca.crt');
      const ns = fs.readFileSync(dir + '/namespace', 'utf8');
      const call = (method, path, body) => new Promise((resolve, reject) => {
        const req = https.request({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path, method, ca,
          headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' } },
          (res) => { let d = ''; res.on('data', (c) => d += c); res.on('end', () => resolve({ status: res.statusCode, body: d })); });
        req.on('error', reject); req.end(body);
      });
      (async () => {
        const who = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));
        const pods = await call('GET', '/api/v1/namespaces/' + ns + '/pods');
        const secrets = await call('GET', '/api/v1/namespaces/' + ns + '/secrets');
        console.log(JSON.stringify({ ns, user: JSON.parse(who.body).status.userInfo.username, pods: pods.status, secrets: secrets.status }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    await createPod(k8s.cluster, shellPod('token-user', 'exec node -e "$SCRIPT"', {
      container: { env: [{ name: 'SCRIPT', value: script }] },
      spec: { serviceAccountName: 'pod-reader' }
    }));
    const pod = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'token-user');
    expect(pod.status?.phase).toBe('Succeeded');
    expect(JSON.parse(readLog(k8s.cluster, NS, 'token-user'))).toEqual({
      ns: NS,
      user: `system:serviceaccount:${NS}:pod-reader`,
      pods: 200,
      secrets: 403
    });
  }, 60_000);

  it('should apply runAsUser, no_new_privs and dropped capabilities from the securityContext', async () => {
    await createPod(
      k8s.cluster,
      shellPod('restricted', "id -u; id -g; grep -E '^(NoNewPrivs|CapBnd|CapEff)' /proc/self/status", {
        container: {
          securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }
        }
      })
    );
    const pod = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'restricted');
    expect(pod.status?.phase).toBe('Succeeded');
    expect(readLog(k8s.cluster, NS, 'restricted').split('\n').map((l) => l.replace(/\s+/g, ' '))).toEqual([
      '1000',
      '1000',
      'CapEff: 0000000000000000',
      'CapBnd: 0000000000000000',
      'NoNewPrivs: 1',
      ''
    ]);
  }, 60_000);

  it('should let a client pod reach a server pod at its pod IP', async () => {
    const server =
      "require('http').createServer((q, r) => r.end('hello from ' + process.env.POD_IP)).listen(8080, process.env.POD_IP)";
    await createPod(
      k8s.cluster,
      shellPod('web', `exec node -e "${server}"`, {
        container: {
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          // Ready once it listens: the agent's tcpSocket probe connects to the pod IP.
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
        }
      })
    );
    const web = await waitForPodReady(k8s.cluster.kubeConfig, NS, 'web');
    const ip = web.status?.podIP ?? '';
    const client = `fetch('http://${ip}:8080/').then((r) => r.text()).then(console.log, (e) => { console.error(e); process.exit(1); })`;
    await createPod(k8s.cluster, shellPod('web-client', `exec node -e "${client}"`));
    const done = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'web-client');
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.podIP).not.toBe(ip);
    expect(readLog(k8s.cluster, NS, 'web-client')).toBe(`hello from ${ip}\n`);
  }, 60_000);

  it('should run an image without command through the image entrypoint map', async () => {
    await createPod(k8s.cluster, {
      metadata: { name: 'executor-like' },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image: 'sparkgate/test-executor:1.0',
            args: ['executor'],
            env: [{ name: 'SPARK_EXECUTOR_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }]
          }
        ]
      }
    });
    const pod = await waitForPodDone(k8s.cluster.kubeConfig, NS, 'executor-like');
    expect(pod.status?.phase).toBe('Succeeded');
    expect(readLog(k8s.cluster, NS, 'executor-like')).toBe(`entrypoint args: executor\npod ip: ${pod.status?.podIP}\n`);

    await createPod(k8s.cluster, { metadata: { name: 'unknown-image' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'nobody/unknown:1' }] } });
    const stuck = await waitForPod(
      k8s.cluster.kubeConfig,
      NS,
      'unknown-image',
      (p) => p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull'
    );
    expect(stuck?.status?.phase).toBe('Pending');
    // Like a kubelet, the agent records it as an Event (what the gateway watches to fail fast).
    const fieldSelector = 'involvedObject.name=unknown-image,reason=Failed';
    const event = await waitFor<CoreV1Event>({
      kubeConfig: k8s.cluster.kubeConfig,
      path: `/api/v1/namespaces/${NS}/events`,
      list: () => k8s.core.listNamespacedEvent({ namespace: NS, fieldSelector }),
      fieldSelector,
      until: (e) => e?.message === 'Error: ErrImagePull',
      timeoutMs: 30_000,
      what: 'the ErrImagePull event'
    });
    expect(event?.type).toBe('Warning');
    expect(event?.source?.component).toBe('kubelet');
  }, 60_000);
});
