import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { ephemeralFloor, freePorts } from '../../../../../server/src/backends/local/ports.js';

function bindable(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('backends/local/ports', () => {
  it('should read the first port of the ephemeral range, and null when it is missing or odd', () => {
    expect(ephemeralFloor(() => '32768\t60999\n')).toBe(32768);
    expect(ephemeralFloor(() => 'garbage')).toBeNull();
    expect(ephemeralFloor(() => '1024 65535')).toBeNull(); // no room below it
    expect(ephemeralFloor(() => {
      throw new Error('ENOENT');
    })).toBeNull();
  });

  it('should hand out distinct, bindable ports below the ephemeral range, never one it handed out lately', async () => {
    const first = await freePorts(20, '127.0.0.1', 32768);
    const second = await freePorts(20, '127.0.0.1', 32768);
    const all = [...first, ...second];
    expect(new Set(all).size).toBe(40);
    for (const port of all) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32768);
    }
    expect(await Promise.all(first.map(bindable))).toEqual(first.map(() => true));
  });

  it('should fall back to a port the system picks when the range is unknown', async () => {
    const [port] = await freePorts(1, '127.0.0.1', null);
    expect(port).toBeGreaterThan(0);
    expect(await bindable(port!)).toBe(true);
  });
});
