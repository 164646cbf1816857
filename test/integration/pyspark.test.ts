/** PySpark kernels (local backend): a real SparkSession in the kernel, interrupt cancels Spark jobs. */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { api, startGateway, type TestGateway } from './support/gateway.js';
import { KernelSocket } from './support/kernelSocket.js';
import { waitForNoProcesses } from './support/processes.js';
import { holdsWithin } from '../support/waitFor.js';

// A JVM per kernel on 2 cores: SparkSession start takes ~10–20 s.
jest.setTimeout(420_000);

let gw: TestGateway;
let id: string;
let ws: KernelSocket;

beforeAll(async () => {
  gw = await startGateway();
  const { status, body } = await api(gw, 'POST', '/api/kernels', { name: 'pyspark' });
  expect(status).toBe(201);
  id = (body as { id: string }).id;
  ws = await KernelSocket.open(gw.wsUrl, id, gw.token);
});
afterAll(async () => {
  ws?.close();
  await gw?.stop();
});

describe('integration/pyspark', () => {
  it('should answer at once while the SparkSession starts in the background', async () => {
    const run = await ws.execute('1+1', 10_000);
    expect(run.result).toBe('2');
  });

  it('should count spark.range(1000) → 1000', async () => {
    const run = await ws.execute('spark.range(1000).count()', 180_000);
    expect(run.reply.content.status).toBe('ok');
    expect(run.result).toBe('1000');
  });

  it('should bind Spark to loopback and name the app after the user and kernel', async () => {
    const run = await ws.execute(
      'c = spark.sparkContext.getConf()\nprint(c.get("spark.driver.host"), c.get("spark.master"), c.get("spark.app.name"))'
    );
    expect(run.stdout).toBe(`127.0.0.1 local[*] sparkgate-local-${id.slice(0, 8)}\n`);
  });

  it('should cancel a long Spark job on interrupt and run the next cell', async () => {
    // Long enough to be interrupted mid-job; no arithmetic that Spark's ANSI mode would fail fast on.
    const long = 'spark.range(0, 10**12, numPartitions=4).selectExpr("sum(id % 7)").collect()';
    const running = ws.execute(long, 240_000);
    // Interrupt once the job is really running in the JVM.
    await ws.waitFor(() => ws.received.some(m => m.header.msg_type === 'execute_input' && String(m.content.code).includes('10**12')), 10_000);
    const probe = await waitUntilJobRuns();
    expect(probe).toBe(true);
    const asked = Date.now();
    expect((await api(gw, 'POST', `/api/kernels/${id}/interrupt`, {})).status).toBe(204);
    const run = await running;
    expect(Date.now() - asked).toBeLessThan(15_000);
    expect(run.reply.content.status).toBe('error');
    expect(['KeyboardInterrupt', 'Py4JJavaError', 'SparkException', 'IllegalStateException']).toContain(run.reply.content.ename);
    const next = await ws.execute('spark.range(10).count()', 60_000);
    expect(next.result).toBe('10');
    const active = await ws.execute('len(spark.sparkContext.statusTracker().getActiveJobsIds())');
    expect(active.result).toBe('0');
  });

  it('should serve the Spark UI of the kernel under ui/{id}/ with links under the proxy prefix', async () => {
    const headers = { Authorization: `token ${gw.token}`, 'X-Forwarded-Context': '/user/alice/sparkgate' };
    const apps = await fetch(`${gw.url}/ui/${id}/api/v1/applications`, { headers });
    expect(apps.status).toBe(200);
    expect(((await apps.json()) as { name: string }[])[0]?.name).toBe(`sparkgate-local-${id.slice(0, 8)}`);
    const jobsPage = await fetch(`${gw.url}/ui/${id}/jobs/`, { headers });
    expect(jobsPage.status).toBe(200);
    expect(await jobsPage.text()).toContain(`/user/alice/sparkgate/ui/${id}/stages/`);
    const root = await fetch(`${gw.url}/ui/${id}/`, { headers, redirect: 'manual' });
    expect([301, 302, 303, 307, 308]).toContain(root.status);
    // Relative, so it stays under whatever prefix the browser used (jupyter-server-proxy, JupyterHub).
    expect(root.headers.get('location')).toBe('jobs/');
    const bare = await fetch(`${gw.url}/ui/${id}`, { headers, redirect: 'manual' });
    expect(new URL(bare.headers.get('location') ?? '', `${gw.url}/ui/${id}`).pathname).toMatch(new RegExp(`^/ui/${id}/(jobs/)?$`));
    // Without the token: 401, like every route.
    expect((await fetch(`${gw.url}/ui/${id}/jobs/`)).status).toBe(401);
  });

  it('should leave no JVM behind after shutdown', async () => {
    expect((await api(gw, 'DELETE', `/api/kernels/${id}`)).status).toBe(204);
    expect(await waitForNoProcesses(id, 10_000)).toEqual([]);
  });
});

/** Polls the Spark UI REST API of this kernel (bounded: each call and the whole wait) until a job is running. */
async function waitUntilJobRuns(): Promise<boolean> {
  const ui = gw.gateway.kernels.get({ user: 'local', tenant: 'default' }, id).launched?.sparkUi;
  const get = async (path: string): Promise<unknown> =>
    (await fetch(`http://${ui}/api/v1${path}`, { signal: AbortSignal.timeout(5000) })).json();
  const running = async (): Promise<boolean> => {
    const jobs = await get('/applications')
      .then(apps => get(`/applications/${(apps as { id: string }[])[0]?.id}/jobs?status=running`))
      .catch(() => []);
    return Array.isArray(jobs) && jobs.length > 0;
  };
  return holdsWithin(running, { timeoutMs: 120_000, intervalMs: 250 });
}
