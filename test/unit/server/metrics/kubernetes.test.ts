import { describe, expect, it } from '@jest/globals';
import { type HttpLibrary, KubeConfig, Observable, RequestContext, ResponseContext, CoreV1Api } from '@kubernetes/client-node';
import { countedApiClient, countedWatch, countingHttpApi, resourceOf, verbOf } from '../../../../server/src/metrics/kubernetes.js';

function recorder() {
  const counted: string[] = [];
  return { counted, metrics: { kubernetesRequest: (verb: string, resource: string, code: string) => counted.push(`${verb} ${resource} ${code}`) } };
}

const answering = (status: number): HttpLibrary => ({
  send: () => new Observable(Promise.resolve(new ResponseContext(status, {}, { text: async () => '{}', binary: async () => Buffer.from('{}'), stream: () => null })))
});

describe('metrics/kubernetes', () => {
  describe('resourceOf() and verbOf()', () => {
    it('should name the resource of core, group, namespaced and cluster-scoped paths, never the object', () => {
      expect(resourceOf('/api/v1/namespaces/team-a/pods')).toEqual({ resource: 'pods', collection: true });
      expect(resourceOf('/api/v1/namespaces/team-a/pods/sparkgate-k1-abcde')).toEqual({ resource: 'pods', collection: false });
      expect(resourceOf('/api/v1/namespaces/team-a/pods/sparkgate-k1-abcde/log')).toEqual({ resource: 'pods/log', collection: false });
      expect(resourceOf('/apis/coordination.k8s.io/v1/namespaces/sparkgate/leases/sparkgate-gateway')).toEqual({ resource: 'leases', collection: false });
      expect(resourceOf('/api/v1/nodes')).toEqual({ resource: 'nodes', collection: true });
      expect(resourceOf('/api/v1/namespaces/team-a')).toEqual({ resource: 'namespaces', collection: false });
      expect(resourceOf('/version')).toEqual({ resource: 'other', collection: false });
    });

    it('should use the API server verbs', () => {
      const pods = 'https://k8s:6443/api/v1/namespaces/team-a/pods';
      expect(verbOf('GET', `${pods}?labelSelector=a%3Db`)).toBe('list');
      expect(verbOf('GET', `${pods}?watch=true&resourceVersion=12`)).toBe('watch');
      expect(verbOf('GET', `${pods}/p1`)).toBe('get');
      expect(verbOf('POST', pods)).toBe('create');
      expect(verbOf('PUT', `${pods}/p1`)).toBe('update');
      expect(verbOf('PATCH', `${pods}/p1`)).toBe('patch');
      expect(verbOf('DELETE', `${pods}/p1`)).toBe('delete');
      expect(verbOf('DELETE', pods)).toBe('deletecollection');
    });
  });

  describe('countingHttpApi()', () => {
    it('should count each request once answered, by verb, resource and status code', async () => {
      const { counted, metrics } = recorder();
      const api = countingHttpApi(answering(201), metrics);
      const request = new RequestContext('https://k8s:6443/api/v1/namespaces/team-a/secrets', 'POST' as never);
      const response = await api.send(request).toPromise();
      expect(response.httpStatusCode).toBe(201);
      expect(counted).toEqual(['create secrets 201']);
    });

    it("should count a request that got no answer as code 'error' and still reject", async () => {
      const { counted, metrics } = recorder();
      const api = countingHttpApi({ send: () => new Observable(Promise.reject(new Error('ECONNREFUSED'))) }, metrics);
      await expect(api.send(new RequestContext('https://k8s:6443/api/v1/nodes', 'GET' as never)).toPromise()).rejects.toThrow('ECONNREFUSED');
      expect(counted).toEqual(['list nodes error']);
    });

    it('should count the calls of an API client made with countedApiClient, 404s included', async () => {
      const { counted, metrics } = recorder();
      const server = await import('node:http').then(http =>
        http.createServer((req, res) => {
          res.writeHead(req.url?.includes('missing') ? 404 : 200, { 'content-type': 'application/json' });
          res.end(req.url?.includes('missing') ? '{"kind":"Status","code":404}' : '{"kind":"PodList","items":[]}');
        })
      );
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
      try {
        const kc = new KubeConfig();
        const { port } = server.address() as { port: number };
        kc.loadFromClusterAndUser({ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }, { name: 'u', token: 't' });
        const core = countedApiClient(kc, CoreV1Api, metrics);
        await core.listNamespacedPod({ namespace: 'team-a' });
        await expect(core.readNamespacedPod({ namespace: 'team-a', name: 'missing' })).rejects.toMatchObject({ code: 404 });
        expect(counted).toEqual(['list pods 200', 'get pods 404']);
      } finally {
        server.close();
      }
    });
  });

  describe('countedWatch()', () => {
    it('should count a watch when it opens, and a refused one with its status', async () => {
      const { counted, metrics } = recorder();
      const controller = new AbortController();
      const ok = countedWatch({ watch: async () => controller }, metrics);
      await expect(ok.watch('/api/v1/namespaces/team-a/pods', {}, () => undefined, () => undefined)).resolves.toBe(controller);
      const refused = countedWatch({ watch: async () => Promise.reject(Object.assign(new Error('Forbidden'), { statusCode: 403 })) }, metrics);
      await expect(refused.watch('/api/v1/nodes', {}, () => undefined, () => undefined)).rejects.toThrow('Forbidden');
      expect(counted).toEqual(['watch pods 200', 'watch nodes 403']);
    });
  });
});
