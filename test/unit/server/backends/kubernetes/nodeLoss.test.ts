import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { tcpReachable } from '../../../../../server/src/backends/kubernetes/nodeLoss.js';

describe('tcpReachable', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise(resolve => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  const listen = async (): Promise<number> => {
    server = createServer(socket => socket.destroy());
    await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  };

  it('should answer true for a port that accepts connections, false once nothing listens there', async () => {
    const port = await listen();
    expect(await tcpReachable('127.0.0.1', port, 2000)).toBe(true);
    await new Promise(resolve => server!.close(resolve));
    server = undefined;
    expect(await tcpReachable('127.0.0.1', port, 2000)).toBe(false);
  });
});
