/** The example notebooks run top to bottom through the gateway, and show what they say they show. */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { api, repoRoot, startGateway, type TestGateway } from './support/gateway.js';
import { KernelSocket, type WsMessage } from './support/kernelSocket.js';

jest.setTimeout(300_000);

interface Notebook {
  metadata: { kernelspec: { name: string } };
  cells: { cell_type: string; source: string | string[] }[];
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.stop();
});

/** Runs every code cell in order; returns each cell's iopub output messages. */
async function runNotebook(file: string): Promise<{ source: string; outputs: WsMessage[] }[]> {
  const nb = JSON.parse(readFileSync(path.join(repoRoot, 'notebooks', file), 'utf8')) as Notebook;
  const { status, body } = await api(gw, 'POST', '/api/kernels', { name: nb.metadata.kernelspec.name });
  expect(status).toBe(201);
  const id = (body as { id: string }).id;
  const ws = await KernelSocket.open(gw.wsUrl, id, gw.token);
  const results = [];
  try {
    for (const cell of nb.cells.filter(c => c.cell_type === 'code')) {
      const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      const run = await ws.execute(source, 240_000);
      const error = run.iopub.find(m => m.header.msg_type === 'error');
      expect([source.slice(0, 80), run.reply.content.status, error?.content.evalue]).toEqual([source.slice(0, 80), 'ok', undefined]);
      results.push({ source, outputs: run.iopub.filter(m => ['stream', 'execute_result', 'display_data'].includes(m.header.msg_type)) });
    }
  } finally {
    ws.close();
    await api(gw, 'DELETE', `/api/kernels/${id}`);
  }
  return results;
}

function text(outputs: WsMessage[]): string {
  return outputs
    .map(m => (m.header.msg_type === 'stream' ? String(m.content.text) : String((m.content.data as Record<string, unknown>)?.['text/plain'] ?? '')))
    .join('');
}

describe('integration/notebooks', () => {
  it('should run quickstart.ipynb: SparkSession, DataFrame, SQL, plot', async () => {
    const cells = await runNotebook('quickstart.ipynb');
    const all = text(cells.flatMap(c => c.outputs));
    expect(all).toContain('spark ready: True');
    expect(all).toMatch(/rows: 1000\b/);
    expect(all).toContain('even ids: 500');
    // ids 0..999 in 5 groups of 200; value = 2·id, so group g totals 2·Σ(ids ≡ g mod 5).
    for (let g = 0; g < 5; g++) {
      const total = 2 * Array.from({ length: 200 }, (_, i) => 5 * i + g).reduce((a, b) => a + b, 0);
      expect(all).toContain(`group ${g}: rows=200 total=${total}`);
    }
    expect(all).toContain('pandas shape: (5, 3)');
    expect(all).toContain(`total of totals: ${999 * 1000}`);
    expect(all).toContain('plotted groups: 5');
    const images = cells.flatMap(c => c.outputs).filter(m => m.header.msg_type === 'display_data' && 'image/png' in (m.content.data as object));
    expect(images.length).toBeGreaterThanOrEqual(1);
    const png = Buffer.from(String((images[0]?.content.data as Record<string, string>)['image/png']), 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
