/**
 * JupyterLab in gateway mode against a real sparkgate, in Chromium: what jupyter_server's own gateway relay
 * cannot carry (issue 11, item 3).
 *
 * - With sparkgate's relay (`c.ServerApp.kernel_websocket_connection_class =
 *   "sparkgate_lab.gateway_connection.SparkgateGatewayConnection"`, as `npm start` sets it):
 *   an `ipywidgets.Image` (its PNG travels as a binary buffer) renders, and a comm echoes byte buffers —
 *   256 bytes of every value, then 12 MiB, over tornado's 10 MiB default — back intact; a 30 MiB print
 *   arrives complete and the next cell runs.
 * - With stock jupyter_server (no relay class): the same 30 MiB print arrives complete too, because the
 *   kernel launcher publishes it as `stream` messages of at most 8 MiB each.
 *
 * Completeness is checked at the websocket: the notebook's kernel connection counts the `stream` text it
 * received (its iopubMessage signal), and Playwright records the frame sizes. Screenshots in
 * test-artifacts/e2e-gateway-mode/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot, startGateway, type TestGateway } from '../integration/support/gateway.js';
import { startGatewayModeLab as startLab, type GatewayModeLab as Lab } from './support/gatewayModeLab.js';

jest.setTimeout(170_000);

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'e2e-gateway-mode');
const GATEWAY_TOKEN = 'e2e-gateway-mode-token-0123456789';
const MiB = 1024 * 1024;
const BIG = 30 * MiB; // characters of the big print, plus its newline

const IMAGE_CELL = `
import ipywidgets as widgets, struct, zlib
def png(width, height, rgb):
    raw = b"".join(b"\\x00" + bytes(rgb) * width for _ in range(height))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
widgets.Image(value=png(40, 30, (200, 30, 30)), format="png")
`.trim();

/** A comm target that sends back every buffer it gets, with its size and SHA-256 as the kernel saw it. */
const ECHO_CELL = `
import hashlib
def sg_echo(comm, open_msg):
    @comm.on_msg
    def echo(msg):
        bufs = [bytes(b) for b in msg["buffers"]]
        comm.send({"sizes": [len(b) for b in bufs], "sha256": [hashlib.sha256(b).hexdigest() for b in bufs]}, buffers=bufs)
get_ipython().kernel.comm_manager.register_target("sg_echo", sg_echo)
print("echo ready")
`.trim();

const BIG_CELL = `print("x" * ${BIG})`;

let gw: TestGateway;
let browser: Browser;
let stockBrowser: Browser;
let tmp: string;
const labs: Lab[] = [];
const figures: string[] = [];

/** JupyterLab's application object (`c.LabApp.expose_app_in_browser`), typed as far as the test uses it. */
declare global {
  interface Window {
    jupyterapp: {
      commands: { execute(id: string, args?: unknown): Promise<unknown> };
      shell: { currentWidget: unknown };
    };
    sg: { streams: Record<string, { count: number; chars: number; first: number; last: number }>; codeOf: Record<string, string> };
  }
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Opens Lab, creates a notebook on the gateway's plain Python kernel, and starts counting what it receives. */
async function openNotebook(lab: Lab, inBrowser: Browser = browser): Promise<{ page: Page; frames: number[]; consoleLines: string[] }> {
  const page = await inBrowser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(60_000);
  const frames = recordFrames(page);
  // What the browser console shows (the browser's own websocket handshake errors included).
  const consoleLines: string[] = [];
  page.on('console', msg => consoleLines.push(`${msg.type()}: ${msg.text()}`));
  page.on('pageerror', err => console.warn(`browser page error: ${err.message}`));
  await page.goto(`${lab.url}/lab?token=${lab.token}`);
  await page.locator('.jp-LabShell').waitFor();
  await page.waitForFunction(() => window.jupyterapp !== undefined);
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('notebook:create-new', { kernelName: 'python3' });
  });
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor();
  await page.evaluate(async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const panel = window.jupyterapp.shell.currentWidget as any;
    await panel.sessionContext.ready;
    window.sg = { streams: {}, codeOf: {} };
    // What the kernel connection received on its websocket, per request (parent msg_id).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    panel.sessionContext.iopubMessage.connect((_: unknown, msg: any) => {
      const parent = msg.parent_header?.msg_id as string | undefined;
      if (!parent) {
        return;
      }
      if (msg.header.msg_type === 'execute_input') {
        window.sg.codeOf[parent] = msg.content.code;
      } else if (msg.header.msg_type === 'stream') {
        const s = (window.sg.streams[parent] ??= { count: 0, chars: 0, first: Date.now(), last: 0 });
        s.last = Date.now();
        s.count += 1;
        s.chars += msg.content.text.length;
      }
    });
  });
  return { page, frames, consoleLines };
}

/** The subprotocol the notebook's kernel websocket runs on ('' = legacy JSON), read from JupyterLab's kernel connection. */
async function kernelWsProtocol(page: Page): Promise<string> {
  return page.evaluate(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    () => ((window.jupyterapp.shell.currentWidget as any).sessionContext.session.kernel._ws?.protocol as string | undefined) ?? '(no socket)'
  );
}

const HANDSHAKE_ERROR = /Sec-WebSocket-Protocol/;

/** Appends a code cell and runs it from the notebook (without waiting); returns the cell's index. */
async function runCell(page: Page, source: string): Promise<number> {
  return page.evaluate(async (code: string) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const notebook = (window.jupyterapp.shell.currentWidget as any).content;
    const cells = notebook.model.sharedModel;
    let index = notebook.model.cells.length;
    const last = notebook.model.cells.get(index - 1);
    if (last && last.sharedModel.getSource() === '' && last.outputs.length === 0) {
      index -= 1; // the empty cell a new notebook starts with
      last.sharedModel.setSource(code);
    } else {
      cells.insertCell(index, { cell_type: 'code', source: code });
    }
    notebook.activeCellIndex = index;
    void window.jupyterapp.commands.execute('notebook:run-cell');
    return index;
  }, source);
}

const cell = (page: Page, index: number) => page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell').nth(index);

/** Runs the 30 MiB print and then `print("done")`; returns what the websocket carried and the page shows. */
async function bigPrint(page: Page, frames: number[]): Promise<{ seconds: number; count: number; chars: number; shown: number; big: number[]; arrived: string }> {
  const first = frames.length;
  const t0 = Date.now();
  const bigCell = await runCell(page, BIG_CELL);
  const done = await runCell(page, 'print("done")');
  await cell(page, done).locator('.jp-OutputArea-output', { hasText: 'done' }).waitFor({ timeout: 150_000 });
  const seconds = (Date.now() - t0) / 1000;
  const received = await page.evaluate((code: string) => {
    const id = Object.keys(window.sg.codeOf).find(k => window.sg.codeOf[k] === code);
    return id ? window.sg.streams[id] : undefined;
  }, BIG_CELL);
  const shown = await cell(page, bigCell)
    .locator('.jp-OutputArea-output')
    .evaluateAll(nodes => nodes.reduce((n, node) => n + (node.textContent ?? '').length, 0));
  // Every frame of the print is under the 10 MiB that stock jupyter_server's upstream websocket accepts.
  const big = frames.slice(first).filter(size => size > MiB);
  expect(big.every(size => size <= 10 * MiB)).toBe(true);
  await cell(page, done).scrollIntoViewIfNeeded();
  const arrived = received ? `stream messages arrived +${((received.first - t0) / 1000).toFixed(1)}…+${((received.last - t0) / 1000).toFixed(1)} s` : 'none arrived';
  return { seconds, count: received?.count ?? 0, chars: received?.chars ?? 0, shown, big, arrived };
}

/** Sizes of the kernel websocket frames the page receives. */
function recordFrames(page: Page): number[] {
  const sizes: number[] = [];
  page.on('websocket', ws => {
    if (ws.url().includes('/channels')) {
      ws.on('framereceived', ({ payload }) => sizes.push(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length));
    }
  });
  return sizes;
}

function expectNoLostConnection(lab: Lab): void {
  expect(lab.output()).not.toMatch(/Lost connection to Gateway|UnicodeDecodeError|Exception in callback/);
}

beforeAll(async () => {
  await rm(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-e2e-gw-'));
  // No profiles configured: the gateway serves `pyspark` and `python3` (no Spark, starts fast).
  gw = await startGateway({ token: GATEWAY_TOKEN });
  const [relayLab, stockLab] = await Promise.all(
    [true, false].map(relay =>
      startLab({
        gateway: gw,
        dir: path.join(tmp, relay ? 'relay' : 'stock'),
        token: `e2e-lab-${relay ? 'relay' : 'stock'}-token-0123456789`,
        sparkgateRelay: relay,
        extraConfig: ['c.LabApp.expose_app_in_browser = True']
      })
    )
  );
  labs.push(relayLab!, stockLab!);
  const launch = () =>
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    });
  [browser, stockBrowser] = await Promise.all([launch(), launch()]);
});

afterAll(async () => {
  await Promise.all([browser, stockBrowser].map(b => b?.close().catch(() => undefined)));
  await Promise.all(labs.map(lab => lab.stop()));
  await gw?.stop();
  if (tmp) {
    await rm(tmp, { recursive: true, force: true });
  }
  console.log(`gateway-mode figures:\n${figures.map(f => `  ${f}`).join('\n')}`);
});

describe('e2e/JupyterLab in gateway mode (issue 11, item 3)', () => {
  describe('with sparkgate_lab.gateway_connection.SparkgateGatewayConnection', () => {
    let page: Page;
    let frames: number[];
    let consoleLines: string[];

    beforeAll(async () => {
      expect(labs[0]!.output()).not.toContain('Traceback');
      ({ page, frames, consoleLines } = await openNotebook(labs[0]!));
    });

    it("should run the kernel websocket on JupyterLab's v1 subprotocol, with no failed handshake in the console (issue 16)", async () => {
      expect(await kernelWsProtocol(page)).toBe('v1.kernel.websocket.jupyter.org');
      expect(consoleLines.filter(line => HANDSHAKE_ERROR.test(line))).toEqual([]);
      // A reconnect (the relay's upstream socket is re-opened) negotiates the same again.
      await page.evaluate(async () => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const kernel = (window.jupyterapp.shell.currentWidget as any).sessionContext.session.kernel;
        await kernel.reconnect();
      });
      expect(await kernelWsProtocol(page)).toBe('v1.kernel.websocket.jupyter.org');
      const index = await runCell(page, 'print("after reconnect")');
      await cell(page, index).locator('.jp-OutputArea-output', { hasText: 'after reconnect' }).waitFor();
      expect(consoleLines.filter(line => HANDSHAKE_ERROR.test(line))).toEqual([]);
      expectNoLostConnection(labs[0]!);
    });

    afterAll(async () => {
      await page?.close();
    });

    it('should render an ipywidgets.Image, whose PNG arrives as a binary buffer', async () => {
      const index = await runCell(page, IMAGE_CELL);
      const img = cell(page, index).locator('.jp-OutputArea-output img.widget-image');
      await img.waitFor();
      // The browser decodes the PNG: the bytes arrived intact.
      const size = await img.evaluate(async (node: HTMLImageElement) => {
        await node.decode();
        return [node.naturalWidth, node.naturalHeight];
      });
      expect(size).toEqual([40, 30]);
      await screenshot(page, 'relay-1-widget-image');
      expectNoLostConnection(labs[0]!);
    });

    it('should carry byte buffers both ways through a comm, 12 MiB included', async () => {
      const index = await runCell(page, ECHO_CELL);
      await cell(page, index).locator('.jp-OutputArea-output', { hasText: 'echo ready' }).waitFor();
      const results = await page.evaluate(async (sizes: number[]) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const kernel = (window.jupyterapp.shell.currentWidget as any).sessionContext.session.kernel;
        const comm = kernel.createComm('sg_echo');
        await comm.open({}).done;
        const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map(x => x.toString(16).padStart(2, '0')).join('');
        const out = [];
        for (const size of sizes) {
          const bytes = new Uint8Array(size);
          for (let i = 0; i < size; i++) {
            bytes[i] = (i * 131 + (i >> 8)) & 0xff; // every byte value, most of them not UTF-8
          }
          const digest = hex(await crypto.subtle.digest('SHA-256', bytes));
          const t0 = performance.now();
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const reply = new Promise<any>(resolve => (comm.onMsg = resolve));
          comm.send({}, {}, [bytes.buffer]);
          const msg = await reply;
          const ms = Math.round(performance.now() - t0);
          const back = msg.buffers[0];
          const view = ArrayBuffer.isView(back) ? new Uint8Array(back.buffer, back.byteOffset, back.byteLength) : new Uint8Array(back);
          const backDigest = hex(await crypto.subtle.digest('SHA-256', view));
          out.push({ size, kernelSaw: msg.content.data.sizes[0], kernelSha: msg.content.data.sha256[0], sent: digest, back: backDigest, backLength: view.length, ms });
        }
        comm.close();
        return out;
      }, [256, 12 * MiB]);
      for (const r of results) {
        expect(r).toMatchObject({ kernelSaw: r.size, kernelSha: r.sent, back: r.sent, backLength: r.size });
        figures.push(`relay: comm echo of ${r.size} bytes took ${r.ms} ms`);
      }
      expectNoLostConnection(labs[0]!);
    });

    it('should deliver a 30 MiB print complete and run the next cell; so does stock jupyter_server, by the launcher chunking alone', async () => {
      // Both at once, each Lab in its own browser process: the browser's handling of 30 MiB dominates.
      const stock = await openNotebook(labs[1]!, stockBrowser);
      // Stock jupyter_server forces the legacy framing in gateway mode: the browser's first handshake,
      // which offers v1, fails (the console line the relay above avoids) and JupyterLab retries without.
      expect(await kernelWsProtocol(stock.page)).toBe('');
      expect(stock.consoleLines.filter(line => HANDSHAKE_ERROR.test(line)).length).toBeGreaterThan(0);
      const [withRelay, withoutRelay] = await Promise.all([bigPrint(page, frames), bigPrint(stock.page, stock.frames)]);
      await screenshot(page, 'relay-2-big-print-done');
      await screenshot(stock.page, 'stock-big-print-done');
      await stock.page.close();
      for (const [name, r, lab] of [['relay', withRelay, labs[0]!], ['stock', withoutRelay, labs[1]!]] as const) {
        figures.push(
          `${name}: 30 MiB print → ${r.count} stream messages, ${r.chars} chars received, ${r.shown} chars in the output area, ` +
            `${r.arrived}, next cell done after ${r.seconds.toFixed(1)} s; frames > 1 MiB: ${r.big.map(x => (x / MiB).toFixed(2)).join(', ')} MiB`
        );
        expect(r.chars).toBe(BIG + 1);
        expect(r.count).toBeGreaterThanOrEqual(4); // the launcher's 8 MiB pieces
        expectNoLostConnection(lab);
      }
    });
  });
});
