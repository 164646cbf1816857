/**
 * Issue 17, item 1: `GET /metrics` of the built gateway (a child process, local backend), as a
 * Prometheus scraper and an operator with curl see it — who may scrape, what a kernel's launch,
 * a cell run through its websocket and the websocket's close show, and that no kernel id or user
 * name becomes a label unless `metrics.perUserLabels` says so.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnGateway, type GatewayProcess } from '../support/gatewayProcess.js';
import { waitUntil } from '../support/waitFor.js';
import { KernelSocket } from './support/kernelSocket.js';

jest.setTimeout(120_000);

const ALICE = 'metrics-alice-token-0123456789';
const SCRAPER = 'metrics-scraper-token-0123456789';
const YAML = `
local: {usersTrustEachOther: true}
users:
  - {name: alice, tenant: team-a, token: ${ALICE}}
tenants:
  team-a: {profiles: [python3]}
metrics: {token: ${SCRAPER}}
`;

/** One sample of the exposition: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter(line => line !== '' && !line.startsWith('#'))
    .map(line => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) {
        throw new Error(`not a sample line: ${line}`);
      }
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(m => [m[1], m[2]]));
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/** The value of the sample with exactly these labels; undefined when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return samples.find(s => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value;
}

let gw: GatewayProcess;
let open: GatewayProcess | undefined;
let kernelId: string;
const sockets: KernelSocket[] = [];

async function scrape(token: string | null = SCRAPER, base = gw.url): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${base}/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

async function samples(): Promise<Sample[]> {
  const { status, text } = await scrape();
  expect(status).toBe(200);
  return parse(text);
}

beforeAll(async () => {
  gw = await spawnGateway({ yaml: YAML });
  const res = await fetch(`${gw.url}/api/kernels`, {
    method: 'POST',
    headers: { Authorization: `token ${ALICE}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'python3' })
  });
  const body = (await res.json()) as { id: string };
  expect(res.status).toBe(201);
  kernelId = body.id;
});
afterAll(async () => {
  sockets.forEach(s => s.close());
  await Promise.all([gw?.stop(), open?.stop()]);
});

describe('integration/metrics', () => {
  it('should refuse a scrape without a token or with a wrong one (401), and answer the user token and metrics.token', async () => {
    const none = await scrape(null);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toEqual({
      reason: 'AuthenticationFailed',
      message: "missing token: /metrics needs 'Authorization: Bearer <token>' with metrics.token or a gateway token (or metrics.auth: false in the config)"
    });
    const wrong = await scrape('not-a-token');
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text)).toEqual({ reason: 'AuthenticationFailed', message: 'invalid token' });
    for (const token of [ALICE, SCRAPER]) {
      const ok = await scrape(token);
      expect(ok.status).toBe(200);
      expect(ok.type).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(ok.text).toContain('# TYPE sparkgate_kernels gauge');
    }
  });

  it('should show the launched kernel idle for its tenant and one successful launch with its phases', async () => {
    const s = await samples();
    expect(value(s, 'sparkgate_kernels', { state: 'idle', tenant: 'team-a', profile: 'python3' })).toBe(1);
    expect(value(s, 'sparkgate_launches_total', { tenant: 'team-a', profile: 'python3', outcome: 'success', reason: 'new' })).toBe(1);
    expect(s.filter(x => x.name === 'sparkgate_launches_total')).toHaveLength(1);
    // A python3 kernel has no SparkSession to wait for: spark-ready is reached with the kernel.
    expect(value(s, 'sparkgate_launch_phase_seconds_count', { phase: 'spark-ready', tenant: 'team-a', profile: 'python3' })).toBe(1);
    expect(value(s, 'sparkgate_launch_phase_seconds_sum', { phase: 'spark-ready', tenant: 'team-a', profile: 'python3' })).toBeGreaterThan(0);
  });

  it('should count the websocket and the messages a cell relays per channel, and the websocket going', async () => {
    const socket = await KernelSocket.open(gw.url.replace(/^http/, 'ws'), kernelId, ALICE);
    sockets.push(socket);
    const run = await socket.execute('print(6 * 7)');
    expect(run.stdout).toBe('42\n');
    const during = await samples();
    expect(value(during, 'sparkgate_websocket_connections', { tenant: 'team-a' })).toBe(1);
    expect(value(during, 'sparkgate_relayed_messages_total', { channel: 'shell', direction: 'in' })).toBeGreaterThanOrEqual(1);
    expect(value(during, 'sparkgate_relayed_messages_total', { channel: 'shell', direction: 'out' })).toBeGreaterThanOrEqual(1);
    // busy, execute_input, stream, idle at least
    expect(value(during, 'sparkgate_relayed_messages_total', { channel: 'iopub', direction: 'out' })).toBeGreaterThanOrEqual(4);
    expect(value(during, 'sparkgate_relayed_bytes_total', { channel: 'shell', direction: 'in' })).toBeGreaterThan(100);
    expect(value(during, 'sparkgate_relayed_bytes_total', { channel: 'iopub', direction: 'out' })).toBeGreaterThan(100);
    socket.close();
    await waitUntil(async () => value(await samples(), 'sparkgate_websocket_connections', { tenant: 'team-a' }) === 0, {
      timeoutMs: 10_000,
      what: 'sparkgate_websocket_connections back to 0'
    });
  });

  it("should carry prom-client's process and Node.js metrics", async () => {
    const names = new Set((await samples()).map(s => s.name));
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect([name, names.has(name)]).toEqual([name, true]);
    }
  });

  it('should name no kernel id and no user anywhere by default', async () => {
    const { text } = await scrape();
    expect(text).not.toContain(kernelId);
    expect(text).not.toMatch(/alice/);
    expect(text).not.toMatch(/kernel_id|user=/);
  });

  it('should count refused requests by error name', async () => {
    const s = await samples();
    // The two refused scrapes of the first test.
    expect(value(s, 'sparkgate_errors_total', { name: 'AuthenticationError' })).toBeGreaterThanOrEqual(2);
  });

  it('should answer without a token when the config says metrics.auth: false', async () => {
    open = await spawnGateway({ yaml: 'metrics: {auth: false}\n' });
    const res = await scrape(null, open.url);
    expect(res.status).toBe(200);
    expect(res.text).toContain('# TYPE sparkgate_launches_total counter');
    // The rest of the API still wants its token.
    expect((await fetch(`${open.url}/api/kernels`)).status).toBe(401);
  });
});
