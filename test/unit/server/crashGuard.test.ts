import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { installCrashGuard } from '../../../server/src/crashGuard.js';
import { createLogger } from '../../../server/src/log.js';

function setup(stop: () => Promise<void>) {
  const hows: unknown[] = [];
  const source = new EventEmitter();
  const lines: Record<string, unknown>[] = [];
  const exits: number[] = [];
  let stops = 0;
  let exited: () => void = () => undefined;
  const exitedOnce = new Promise<void>(resolve => (exited = resolve));
  installCrashGuard({
    source: source as never,
    logger: createLogger({ write: line => lines.push(JSON.parse(line) as Record<string, unknown>) }),
    stop: how => {
      stops++;
      hows.push(how);
      return stop();
    },
    exit: code => {
      exits.push(code);
      exited();
    },
    graceMs: 60_000
  });
  return { source, lines, exits, stops: () => stops, hows, exitedOnce };
}

describe('crashGuard (issue 10)', () => {
  it('should log an unhandled rejection with its stack and keep serving', () => {
    const g = setup(async () => undefined);
    g.source.emit('unhandledRejection', new Error('late reply'));
    expect(g.lines).toHaveLength(1);
    expect(g.lines[0]).toMatchObject({ level: 'error', message: 'unhandled promise rejection; still serving' });
    expect((g.lines[0]?.error as { stack: string }).stack).toMatch(/^Error: late reply\n\s+at /);
    expect(g.stops()).toBe(0);
    expect(g.exits).toEqual([]);
  });

  it('should log an uncaught exception with its stack, stop the gateway once keeping its kernels (issue 13), then exit 1', async () => {
    const g = setup(async () => undefined);
    g.source.emit('uncaughtException', new TypeError('boom'), 'uncaughtException');
    g.source.emit('uncaughtException', new TypeError('again'), 'uncaughtException');
    await g.exitedOnce;
    expect(g.stops()).toBe(1);
    // A crash is not a shutdown: the next gateway (the supervisor's restart) re-adopts the kernels.
    expect(g.hows).toEqual([{ keepKernels: true }]);
    expect(g.exits).toEqual([1]);
    expect(g.lines[0]).toMatchObject({ level: 'error', origin: 'uncaughtException', error: { name: 'TypeError', message: 'boom' } });
    expect((g.lines[0]?.error as { stack: string }).stack).toMatch(/^TypeError: boom\n/);
  });

  it('should still exit 1 when stopping fails', async () => {
    const g = setup(async () => {
      throw new Error('backend gone');
    });
    g.source.emit('uncaughtException', new Error('boom'), 'uncaughtException');
    await g.exitedOnce;
    expect(g.exits).toEqual([1]);
    expect(g.lines.map(l => l.message)).toContain('stop after an uncaught exception failed');
  });
});
