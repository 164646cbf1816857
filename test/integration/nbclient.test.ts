/**
 * Compatibility: a third-party client runs the example notebooks the way a scheduled-notebook job
 * does. nbclient (pinned in images/jupyterlab/requirements.txt) executes each notebook that runs on
 * the local backend with jupyter_server's gateway kernel manager and client (REST to start and
 * delete the kernel, the gateway's websocket for messages; support/nbclient_gateway.py), and the
 * executed notebook must hold exactly the outputs the notebook says it shows.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { api, python, repoRoot, startGateway, type TestGateway } from './support/gateway.js';

jest.setTimeout(420_000);

const DRIVER = path.join(repoRoot, 'test', 'integration', 'support', 'nbclient_gateway.py');

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  execution_count?: number | null;
}
interface Notebook {
  metadata: { kernelspec?: { name: string } };
  cells: { cell_type: string; source: string | string[]; outputs?: Output[]; execution_count?: number | null }[];
}

let gw: TestGateway;
let tmp: string;
beforeAll(async () => {
  gw = await startGateway();
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-nbclient-'));
});
afterAll(async () => {
  await gw?.stop();
  await rm(tmp, { recursive: true, force: true });
});

/** Runs the driver on a notebook file; the executed notebook, its exit code and its stderr. */
function nbclient(file: string, env: Record<string, string> = {}): Promise<{ code: number | null; nb: Notebook | undefined; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [DRIVER, file], {
      env: { ...process.env, SPARKGATE_URL: gw.url, SPARKGATE_TOKEN: gw.token, NBCLIENT_TIMEOUT: '300', ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', code => {
      let nb: Notebook | undefined;
      try {
        nb = JSON.parse(stdout) as Notebook;
      } catch {
        nb = undefined;
      }
      resolve({ code, nb, stderr });
    });
  });
}

const joined = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join('') : (t ?? ''));

/**
 * A cell's outputs as a notebook shows them: adjacent stream chunks of one stream merged (how the
 * kernel splits prints into messages depends on timing), `data` reduced to text/plain plus the keys.
 */
function shown(outputs: Output[]): unknown[] {
  const out: Record<string, unknown>[] = [];
  for (const o of outputs) {
    const last = out[out.length - 1];
    if (o.output_type === 'stream' && last?.output_type === 'stream' && last.name === o.name) {
      last.text = String(last.text) + joined(o.text);
    } else if (o.output_type === 'stream') {
      out.push({ output_type: 'stream', name: o.name, text: joined(o.text) });
    } else {
      out.push({
        output_type: o.output_type,
        ...(o.output_type === 'execute_result' ? { execution_count: o.execution_count } : {}),
        mimetypes: Object.keys(o.data ?? {}).sort(),
        text: joined(o.data?.['text/plain'])
      });
    }
  }
  return out;
}

const stdout = (text: string) => ({ output_type: 'stream', name: 'stdout', text });
const sparkVersion = async () => /^pyspark==(\S+)$/m.exec(await readFile(path.join(repoRoot, 'images/kernel/requirements.txt'), 'utf8'))?.[1];

/** What each local notebook shows, cell by cell (code cells only). */
const EXPECTED: Record<string, () => Promise<unknown[][]>> = {
  'quickstart.ipynb': async () => {
    const groups = [0, 1, 2, 3, 4].map(g => `group ${g}: rows=200 total=${2 * Array.from({ length: 200 }, (_, i) => 5 * i + g).reduce((a, b) => a + b, 0)}\n`);
    return [
      [stdout(`spark ready: True\nSpark version: ${await sparkVersion()}\n`)],
      [stdout("rows: 1000\ncolumns: ['id', 'group', 'value']\n")],
      [stdout('even ids: 500\n')],
      [stdout(groups.join(''))],
      [
        stdout(`pandas shape: (5, 3)\ntotal of totals: ${999 * 1000}\n`),
        {
          output_type: 'execute_result',
          execution_count: 5,
          mimetypes: ['text/html', 'text/plain'],
          text: [
            '   group  rows   total',
            '0      0   200  199000',
            '1      1   200  199400',
            '2      2   200  199800',
            '3      3   200  200200',
            '4      4   200  200600'
          ].join('\n')
        }
      ],
      [
        { output_type: 'display_data', mimetypes: ['image/png', 'text/plain'], text: '<Figure size 600x350 with 1 Axes>' },
        stdout('plotted groups: 5\n')
      ]
    ];
  }
};

/** The notebooks under notebooks/ whose kernelspec the local gateway serves, i.e. that run on the local backend. */
async function localNotebooks(): Promise<string[]> {
  const specs = ((await api(gw, 'GET', '/api/kernelspecs')).body as { kernelspecs: Record<string, unknown> }).kernelspecs;
  const files = (await readdir(path.join(repoRoot, 'notebooks'))).filter(f => f.endsWith('.ipynb')).sort();
  const local: string[] = [];
  for (const f of files) {
    const nb = JSON.parse(await readFile(path.join(repoRoot, 'notebooks', f), 'utf8')) as Notebook;
    if (nb.metadata.kernelspec && nb.metadata.kernelspec.name in specs) {
      local.push(f);
    }
  }
  return local;
}

describe('integration/nbclient through the gateway', () => {
  it('should find the local notebooks (quickstart; gpu-executors needs the Kubernetes backend)', async () => {
    const local = await localNotebooks();
    expect(local).toContain('quickstart.ipynb');
    expect(local).not.toContain('gpu-executors.ipynb');
    // A new local notebook needs its expected outputs here.
    expect(local.filter(f => !(f in EXPECTED))).toEqual([]);
  });

  it.each(Object.keys(EXPECTED))('should execute %s with nbclient and produce exactly its outputs', async file => {
    const { code, nb, stderr } = await nbclient(path.join(repoRoot, 'notebooks', file));
    expect({ code, tail: code === 0 ? '' : stderr.slice(-3000) }).toEqual({ code: 0, tail: '' });
    const cells = (nb as Notebook).cells.filter(c => c.cell_type === 'code');
    expect(cells.map(c => c.execution_count)).toEqual(cells.map((_, i) => i + 1));
    expect(cells.map(c => shown(c.outputs ?? []))).toEqual(await (EXPECTED[file] as () => Promise<unknown[][]>)());
    // The plot is a real PNG.
    const png = cells.flatMap(c => c.outputs ?? []).find(o => o.data?.['image/png'])?.data?.['image/png'];
    expect(Buffer.from(joined(png), 'base64').subarray(1, 4).toString()).toBe('PNG');
    // nbclient shut the kernel down through the gateway.
    expect((await api(gw, 'GET', '/api/kernels')).body).toEqual([]);
  });

  // Found with this test: jupyter_server 2.21's GatewayKernelClient sends header.date as a number
  // (datetime.timestamp()), not the ISO 8601 string of the messaging spec; the gateway used to close
  // its websocket (1007, "header.date must be a string"). It now turns such dates into strings.
  it('should execute a notebook with jupyter_server\u2019s stock numeric header.date', async () => {
    const file = path.join(tmp, 'stock-dates.ipynb');
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [{ cell_type: 'code', id: 'c1', metadata: {}, execution_count: null, outputs: [], source: 'print(6 * 7)' }]
    };
    await writeFile(file, JSON.stringify(nb));
    try {
      const run = await nbclient(file, { NBCLIENT_GATEWAY_DATES: 'stock' });
      expect(run.code).toBe(0);
      expect(shown(run.nb?.cells[0]?.outputs ?? [])).toEqual([stdout('42\n')]);
    } finally {
      // A client that failed half-way may leave its kernel behind.
      for (const k of (await api(gw, 'GET', '/api/kernels')).body as { id: string }[]) {
        await api(gw, 'DELETE', `/api/kernels/${k.id}`);
      }
    }
  });
});
