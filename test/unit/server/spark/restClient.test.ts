// The Spark UI client: `uiUp` asks the UI's root (a Jetty redirect), never the Jersey REST API,
// whose first request costs the driver ~2 s of CPU (issue 15, item 5).
import { describe, expect, it } from '@jest/globals';
import { sparkRestClient, type FetchLike } from '../../../../server/src/spark/restClient.js';

function fakeFetch(answer: (url: string) => { status: number; body: unknown } | Error) {
  const asked: { url: string; redirect?: string }[] = [];
  const fetch: FetchLike = async (url, init) => {
    asked.push({ url, redirect: init?.redirect });
    const a = answer(url);
    if (a instanceof Error) {
      throw a;
    }
    return { ok: a.status < 300, json: async () => a.body, text: async () => JSON.stringify(a.body) };
  };
  return { fetch, asked };
}

describe('spark/restClient', () => {
  describe('#uiUp()', () => {
    it('should be true once the UI answers its root, redirect not followed, and ask nothing under /api/v1', async () => {
      const { fetch, asked } = fakeFetch(() => ({ status: 302, body: '' }));
      expect(await sparkRestClient('127.0.0.1:4040', { fetch }).uiUp!()).toBe(true);
      expect(asked).toEqual([{ url: 'http://127.0.0.1:4040/', redirect: 'manual' }]);
    });

    it('should be false while nothing listens', async () => {
      const { fetch } = fakeFetch(() => new TypeError('fetch failed'));
      expect(await sparkRestClient('127.0.0.1:4040', { fetch }).uiUp!()).toBe(false);
    });
  });

  describe('#applicationId() / #runningJob()', () => {
    it('should read the application id and the newest running job from /api/v1', async () => {
      const { fetch, asked } = fakeFetch(url =>
        url.endsWith('/applications')
          ? { status: 200, body: [{ id: 'local-1' }] }
          : {
              status: 200,
              body: [
                { jobId: 1, name: 'a', status: 'RUNNING', numTasks: 4, numActiveTasks: 1, numCompletedTasks: 3, numSkippedTasks: 0, numCompletedStages: 0, numSkippedStages: 0, stageIds: [1] },
                { jobId: 2, name: 'b', status: 'RUNNING', numTasks: 8, numActiveTasks: 2, numCompletedTasks: 1, numSkippedTasks: 0, numCompletedStages: 1, numSkippedStages: 0, stageIds: [2, 3] }
              ]
            }
      );
      const client = sparkRestClient('127.0.0.1:4040', { fetch });
      expect(await client.applicationId()).toBe('local-1');
      expect(await client.runningJob('local-1')).toEqual({ id: 2, name: 'b', stages: { done: 1, total: 2 }, tasks: { done: 1, running: 2, total: 8 } });
      expect(asked.map(a => a.url)).toEqual(['http://127.0.0.1:4040/api/v1/applications', 'http://127.0.0.1:4040/api/v1/applications/local-1/jobs?status=running']);
    });
  });

  // Issue 16: what the per-cell progress and the executor rows are made of.
  describe('#jobs() / #job() / #stages() / #stage() / #executors()', () => {
    it('should ask each resource under /api/v1 without task details and keep only well-formed entries', async () => {
      const job = { jobId: 1, name: 'count', status: 'RUNNING', stageIds: [1], jobTags: ['t'] };
      const stageAttempt = { stageId: 1, attemptId: 0, status: 'ACTIVE', name: 's' };
      const { fetch, asked } = fakeFetch(url => {
        if (url.includes('/executors')) {
          return {
            status: 200,
            body: [{ id: '1', hostPort: '10.0.0.5:4041', isActive: true, totalCores: 4, activeTasks: 2, completedTasks: 7, failedTasks: 1, resources: { gpu: { name: 'gpu', addresses: ['0', '1'] } } }, { id: 'driver' }, 'odd']
          };
        }
        if (url.includes('/stages')) {
          return { status: 200, body: url.includes('/stages/') ? [stageAttempt] : [stageAttempt, { stageId: 'x' }] };
        }
        return { status: url.includes('/jobs/9') ? 404 : 200, body: url.includes('/jobs/') ? job : [job, { jobId: 2 }] };
      });
      const client = sparkRestClient('127.0.0.1:4040', { fetch });
      expect(await client.jobs!('app 1')).toEqual([job]);
      expect(await client.jobs!('app-1', 'running')).toEqual([job]);
      expect([await client.job!('app-1', 1), await client.job!('app-1', 9)]).toEqual([job, null]);
      expect(await client.stages!('app-1', 'pending')).toEqual([stageAttempt]);
      expect(await client.stage!('app-1', 1)).toEqual([stageAttempt]);
      expect(await client.executors!('app-1')).toEqual([
        { id: '1', hostPort: '10.0.0.5:4041', isActive: true, cores: 4, gpuAddresses: ['0', '1'], activeTasks: 2, completedTasks: 7, failedTasks: 1 },
        { id: 'driver', hostPort: '', isActive: true, cores: 0, gpuAddresses: [], activeTasks: 0, completedTasks: 0, failedTasks: 0 }
      ]);
      expect(asked.map(a => a.url.replace('http://127.0.0.1:4040/api/v1/applications/', ''))).toEqual([
        'app%201/jobs',
        'app-1/jobs?status=running',
        'app-1/jobs/1',
        'app-1/jobs/9',
        'app-1/stages?status=pending&details=false',
        'app-1/stages/1?details=false',
        'app-1/executors'
      ]);
    });

    it('should answer null while Spark does not answer', async () => {
      const { fetch } = fakeFetch(() => new TypeError('fetch failed'));
      const client = sparkRestClient('127.0.0.1:4040', { fetch });
      expect([await client.jobs!('a'), await client.job!('a', 1), await client.stages!('a', 'active'), await client.stage!('a', 1), await client.executors!('a')]).toEqual([
        null,
        null,
        null,
        null,
        null
      ]);
    });
  });
});
