import { describe, expect, it } from '@jest/globals';
import type { KubernetesListObject, V1Pod, Watch } from '@kubernetes/client-node';
import { listWatchInformers } from '../../../../../server/src/backends/kubernetes/informers.js';
import { PodWatch } from '../../../../../server/src/backends/kubernetes/podWatch.js';
import { waitUntil } from '../../../../support/waitFor.js';
import { capturingLogger, FakeDelays, forbidden, FORBIDDEN_MESSAGE } from './fixtures.js';

/** The watch requests the informer opens; the test plays the API server's events and ends. */
class FakeWatch implements Pick<Watch, 'watch'> {
  readonly requests: Array<{
    path: string;
    query: Record<string, unknown>;
    event: (phase: string, pod: V1Pod) => void;
    end: (error: unknown) => void;
    controller: AbortController;
  }> = [];

  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown) => void,
    done: (err: unknown) => void
  ): Promise<AbortController> {
    const controller = new AbortController();
    this.requests.push({ path, query, event: callback, end: done, controller });
    return controller;
  }
}

const pod = (name: string, resourceVersion: string): V1Pod => ({
  metadata: { name, namespace: 'team-a', uid: `uid-${name}`, resourceVersion, labels: { 'app.kubernetes.io/component': 'driver', 'sparkgate.io/kernel-id': name } }
});

function setup(lists: Array<KubernetesListObject<V1Pod> | Error>) {
  const listed: Array<[string, string]> = [];
  const watch = new FakeWatch();
  const delays = new FakeDelays();
  const { logger, lines } = capturingLogger();
  const pods = new PodWatch({
    informerFactory: listWatchInformers({
      listFn: async (namespace, labelSelector) => {
        listed.push([namespace, labelSelector]);
        const next = lists.shift();
        if (!next || next instanceof Error) {
          throw next ?? new Error('no list scripted');
        }
        return next;
      },
      watch
    }),
    logger,
    backoff: { random: () => 0, delay: delays.delay }
  });
  return { pods, watch, listed, delays, lines };
}

describe('listWatchInformers', () => {
  it("should list and then watch sparkgate's pods of the namespace from the list's version, feeding the pod watch", async () => {
    const { pods, watch, listed } = setup([{ metadata: { resourceVersion: '10' }, items: [pod('d1', '9')] }]);
    const seen: Array<[string | undefined, boolean]> = [];
    pods.on('pod', (p, deleted) => seen.push([p.metadata?.name, deleted]));
    await pods.watch('team-a');
    expect(listed).toEqual([['team-a', 'app.kubernetes.io/managed-by=sparkgate']]);
    expect(watch.requests.map(r => [r.path, r.query])).toEqual([
      ['/api/v1/namespaces/team-a/pods', { resourceVersion: '10', labelSelector: 'app.kubernetes.io/managed-by=sparkgate' }]
    ]);
    watch.requests[0]!.event('ADDED', pod('d2', '11'));
    watch.requests[0]!.event('DELETED', pod('d1', '12'));
    expect(seen).toEqual([
      ['d1', false],
      ['d2', false],
      ['d1', true]
    ]);
    expect(pods.list('team-a', 'driver').map(p => p.metadata?.name)).toEqual(['d2']);
    expect(pods.pod('team-a', 'd2')?.metadata?.uid).toBe('uid-d2');
    await pods.dispose();
  });

  it('should reject with the namespace and reason when the list is refused', async () => {
    const { pods, watch } = setup([forbidden()]);
    await expect(pods.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    expect(watch.requests).toEqual([]);
    await pods.dispose();
  });

  it('should restart a watch that ended with an error after the back-off, from the last version seen', async () => {
    const { pods, watch, delays, lines } = setup([{ metadata: { resourceVersion: '10' }, items: [] }]);
    await pods.watch('team-a');
    watch.requests[0]!.event('ADDED', pod('d1', '15'));
    watch.requests[0]!.end(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await waitUntil(() => delays.pending.length === 1, { timeoutMs: 5000, what: 'the restart delay', intervalMs: 1 });
    expect(lines.at(-1)).toMatchObject({ level: 'warn', message: 'pod watch broke; restarting', namespace: 'team-a', error: 'read ECONNRESET', retryInMs: 1000 });
    delays.releaseNext();
    await waitUntil(() => watch.requests.length === 2, { timeoutMs: 5000, what: 'the new watch request', intervalMs: 1 });
    expect(watch.requests[1]!.query).toEqual({ resourceVersion: '15', labelSelector: 'app.kubernetes.io/managed-by=sparkgate' });
    expect(pods.list('team-a', 'driver').map(p => p.metadata?.name)).toEqual(['d1']);
    await pods.dispose();
    expect(watch.requests[1]!.controller.signal.aborted).toBe(true);
  });
});
