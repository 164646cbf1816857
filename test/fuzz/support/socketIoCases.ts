/**
 * Pure, seeded engine.io / socket.io packets for the `/status` namespace: the connect packet with
 * a good, bad or missing token, and garbage at both levels (engine.io packet types, socket.io
 * packet types, JSON, binary attachments, sizes).
 */
import type { Rng } from './prng.js';

/** The socket.io CONNECT packet for `/status`, inside an engine.io message packet. */
export function connectPacket(token: string | undefined): string {
  return `40/status,${token === undefined ? '' : JSON.stringify({ token })}`;
}

export interface GarbagePacket {
  kind: string;
  data: string | Buffer;
}

/** One garbage packet; `maxBytes` is engine.io's maxHttpBufferSize. */
export function garbagePacket(rng: Rng, maxBytes: number): GarbagePacket {
  const kind = rng.weighted<string>([
    [3, 'random-text'],
    [2, 'message-random'],
    [2, 'connect-bad-json'],
    [2, 'connect-unknown-namespace'],
    [2, 'event-before-connect'],
    [1, 'binary-event-missing-attachment'],
    [1, 'ack-garbage'],
    [1, 'disconnect'],
    [1, 'bad-socketio-type'],
    [1, 'bad-engineio-type'],
    [1, 'engineio-close'],
    [1, 'engineio-ping'],
    [1, 'engineio-upgrade'],
    [1, 'engineio-noop'],
    [1, 'empty'],
    [1, 'base64-garbage'],
    [1, 'batched'],
    [1, 'oversize'],
    [2, 'binary']
  ]);
  switch (kind) {
    case 'random-text':
      return { kind, data: rng.text(rng.between(1, 300), 'abc0123456789{}[]",:/\u001e ') };
    case 'message-random':
      return { kind, data: `4${rng.text(rng.between(0, 200), '0123456789/,{}[]"abc')}` };
    case 'connect-bad-json':
      return { kind, data: rng.pick(['40/status,{"token":', '40/status,[1,2]', '40/status,"x"', '40/status,{"token":5}', '40/status,null']) };
    case 'connect-unknown-namespace':
      return { kind, data: rng.pick(['40/nope,', '40/,', '40', '40/status/../admin,', `40/${rng.text(500)},`]) };
    case 'event-before-connect':
      return { kind, data: rng.pick(['42/status,["clusters"]', '42/status,["x",1]', '42["cluster",{}]', '42/status,[]', '42/status,{}']) };
    case 'binary-event-missing-attachment':
      return { kind, data: rng.pick(['451-/status,["x",{"_placeholder":true,"num":0}]', '45999999999-/status,["x"]', '45-/status,["x"]']) };
    case 'ack-garbage':
      return { kind, data: rng.pick(['43/status,1[]', '43/status,99999999999999999999[]', '46-/status,1[]']) };
    case 'disconnect':
      return { kind, data: rng.pick(['41/status,', '41', '41/nope,']) };
    case 'bad-socketio-type':
      return { kind, data: `4${rng.pick(['7', '8', '9', 'x', '-'])}/status,[]` };
    case 'bad-engineio-type':
      return { kind, data: `${rng.pick(['7', '8', '9', 'x', '\u0000'])}hello` };
    case 'engineio-close':
      return { kind, data: '1' };
    case 'engineio-ping':
      return { kind, data: rng.pick(['2', '2probe', '3', '3probe']) };
    case 'engineio-upgrade':
      return { kind, data: '5' };
    case 'engineio-noop':
      return { kind, data: '6' };
    case 'empty':
      return { kind, data: '' };
    case 'base64-garbage':
      return { kind, data: `b${rng.pick(['!!!', 'AAAA', '', rng.text(50)])}` };
    case 'batched':
      return { kind, data: ['2', '40/status,{"token":"x"}', rng.text(10), '42/status,["x"]'].slice(0, rng.between(2, 4)).join('\u001e') };
    case 'oversize':
      return { kind, data: `4${'x'.repeat(maxBytes + rng.between(1, 4096))}` };
    default:
      return { kind, data: rng.bytes(rng.between(1, 500)) };
  }
}
