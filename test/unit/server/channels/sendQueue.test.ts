import { describe, expect, it } from '@jest/globals';

import { ChannelsClosedError, QueueFullError } from '../../../../server/src/channels/errors.js';
import { SendQueue } from '../../../../server/src/channels/sendQueue.js';

/** A controllable `send`: each call stays pending until the test settles it. */
function fakeSocket() {
  const calls: { frames: Buffer[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = (frames: Buffer[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = (): void => {
        inFlight--;
      };
      calls.push({ frames, resolve: () => (done(), resolve()), reject: e => (done(), reject(e)) });
    });
  return { calls, send, maxInFlight: () => maxInFlight };
}

const frame = (text: string): Buffer[] => [Buffer.from(text)];
/** Lets the queue's send loop run (microtasks only, no timers). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
};

describe('channels/sendQueue', () => {
  it('should send in FIFO order with a single send in flight', async () => {
    const socket = fakeSocket();
    const queue = new SendQueue({ name: 'shell', maxQueue: 10, send: socket.send });
    const sent = ['a', 'b', 'c'].map(t => queue.push(frame(t)));
    await settle();
    expect(socket.calls).toHaveLength(1);
    expect(queue.length).toBe(2);
    for (let i = 0; i < 3; i++) {
      socket.calls[i]?.resolve();
      await settle();
    }
    await Promise.all(sent);
    expect(socket.calls.map(c => c.frames[0]?.toString())).toEqual(['a', 'b', 'c']);
    expect(socket.maxInFlight()).toBe(1);
  });

  it('should reject with QueueFullError past the bound, not counting the send in flight', async () => {
    const socket = fakeSocket();
    const queue = new SendQueue({ name: 'shell', maxQueue: 2, send: socket.send });
    const accepted = [queue.push(frame('1')), queue.push(frame('2')), queue.push(frame('3'))];
    await expect(queue.push(frame('4'))).rejects.toThrow(
      new QueueFullError('shell send queue is full (2 messages): the kernel is not reading')
    );
    expect(queue.length).toBe(2);
    queue.close();
    socket.calls[0]?.reject(new Error('EAGAIN'));
    await Promise.allSettled(accepted);
  });

  it('should reject only the message whose send failed and carry on', async () => {
    const socket = fakeSocket();
    const queue = new SendQueue({ name: 'control', maxQueue: 10, send: socket.send });
    const first = queue.push(frame('1'));
    const second = queue.push(frame('2'));
    await settle();
    socket.calls[0]?.reject(new Error('EHOSTUNREACH'));
    await expect(first).rejects.toThrow('EHOSTUNREACH');
    await settle();
    socket.calls[1]?.resolve();
    await expect(second).resolves.toBeUndefined();
  });

  it('should reject waiting and in-flight sends with ChannelsClosedError on close', async () => {
    const socket = fakeSocket();
    const queue = new SendQueue({ name: 'stdin', maxQueue: 10, send: socket.send });
    const inFlight = queue.push(frame('1'));
    const waiting = queue.push(frame('2'));
    await settle();
    queue.close();
    await expect(waiting).rejects.toThrow(new ChannelsClosedError('stdin channel is closed'));
    // zmq fails a send cut short by close with EAGAIN; the caller sees why instead.
    socket.calls[0]?.reject(Object.assign(new Error('Socket temporarily unavailable'), { code: 'EAGAIN' }));
    await expect(inFlight).rejects.toBeInstanceOf(ChannelsClosedError);
    expect(socket.calls).toHaveLength(1);
  });

  it('should reject pushes after close and tolerate closing twice', async () => {
    const queue = new SendQueue({ name: 'shell', maxQueue: 1, send: fakeSocket().send });
    queue.close();
    queue.close();
    await expect(queue.push(frame('x'))).rejects.toBeInstanceOf(ChannelsClosedError);
  });
});
