/**
 * Pure, seeded generator of raw websocket upgrade requests: kernel channels with good and bad
 * paths, ids, tokens and handshake headers; socket.io's websocket path; paths nobody serves.
 * After a 101 the case may carry websocket-level garbage (unmasked, bad opcodes, lying lengths).
 */
import type { Rng } from './prng.js';
import type { FuzzTargets, Party } from './restCases.js';

export interface UpgradeCase {
  /** Summary row, e.g. `channels:bad-escape`. */
  kind: string;
  mutations: string[];
  actor: string;
  request: Buffer;
  /** Bytes to write after a 101 (websocket garbage), if any. */
  afterOpen: Buffer | null;
  expect: {
    /** Statuses allowed; null = anything but 5xx. */
    statuses: readonly number[] | null;
    /** 401/404 refusals of the kernel bridge must be JSON `{reason, message}`. */
    jsonError: boolean;
  };
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Generates one upgrade case. Pure: the same `rng` state gives the same case. */
export function upgradeCase(rng: Rng, targets: FuzzTargets): UpgradeCase {
  const mutations: string[] = [];
  const actorIndex = targets.parties.length > 1 && rng.chance(0.3) ? rng.int(targets.parties.length) : 0;
  const actor = targets.parties[actorIndex] as Party;
  const others = targets.parties.filter((_, i) => i !== actorIndex);

  // Path.
  const pathKind = rng.weighted<string>([
    [6, 'own'],
    [others.length > 0 ? 4 : 0, 'other-user'],
    [3, 'unknown-id'],
    [3, 'bad-escape'],
    [2, 'not-uuid'],
    [1, 'long-id'],
    [1, 'empty-id'],
    [1, 'trailing-slash'],
    [1, 'kernel-path'],
    [2, 'other-path'],
    [3, 'socket.io'],
    [1, 'socket.io-bad']
  ]);
  let path: string;
  let kernelBridge = true;
  let knownKernel = false;
  let crossUser = false;
  switch (pathKind) {
    case 'own':
      path = `/api/kernels/${rng.chance(0.7) || !actor.spare ? actor.witness : actor.spare}/channels`;
      knownKernel = true;
      break;
    case 'other-user': {
      const other = rng.pick(others);
      path = `/api/kernels/${rng.chance(0.7) || !other.spare ? other.witness : other.spare}/channels`;
      crossUser = true;
      break;
    }
    case 'unknown-id':
      path = `/api/kernels/${rng.uuid()}/channels`;
      break;
    case 'bad-escape':
      path = `/api/kernels/${rng.pick(['%E0%A4%A', '%', '%zz', '%C3', `${actor.witness}%`, '%E0%A4%A%E0%A4%A'])}/channels`;
      break;
    case 'not-uuid':
      path = `/api/kernels/${rng.pick(['nope', '...', '%41', actor.witness.toUpperCase(), `${actor.witness}x`])}/channels`;
      break;
    case 'long-id':
      path = `/api/kernels/${rng.text(rng.between(100, 8000))}/channels`;
      break;
    case 'empty-id':
      path = '/api/kernels//channels';
      kernelBridge = false; // the pattern needs a non-empty id: "no websocket at"
      break;
    case 'trailing-slash':
      path = `/api/kernels/${actor.witness}/channels/`;
      kernelBridge = false;
      break;
    case 'kernel-path':
      path = rng.pick(['/api/kernels', `/api/kernels/${actor.witness}`, `/api/kernels/${actor.witness}/channels/x`]);
      kernelBridge = false;
      break;
    case 'other-path':
      // Dot segments are resolved before routing: `/api/kernels/../channels` is `/api/channels`.
      path = rng.pick(['/', '/api/other', '/healthz', '/socket.iox', '/socket.io', '/ui/x/', '//api/kernels/x/channels', '*', '/api/kernels/../channels', `/api/kernels/%2E%2E/channels`]);
      kernelBridge = false;
      break;
    case 'socket.io':
      path = '/socket.io/?EIO=4&transport=websocket';
      kernelBridge = false;
      break;
    default:
      path = rng.pick(['/socket.io/', '/socket.io/?EIO=3&transport=websocket', '/socket.io/?EIO=4&transport=polling', '/socket.io/?EIO=4&transport=websocket&sid=nope', '/socket.io/x%E0%A4%A']);
      kernelBridge = false;
      break;
  }
  mutations.push(`path:${pathKind}`);
  if (kernelBridge && rng.chance(0.6)) {
    path += `?session_id=${rng.pick([rng.uuid(), '', '%E0%A4%A', rng.text(rng.between(1, 3000))])}`;
  }

  // Token.
  const headers: [string, string][] = [['Host', '127.0.0.1']];
  const tokenKind = rng.weighted<string>([
    [6, 'valid'],
    [2, 'valid-query'],
    [2, 'missing'],
    [2, 'wrong'],
    [1, 'malformed'],
    [1, 'wrong-header+valid-query']
  ]);
  let auth = false;
  const q = (): string => (path.includes('?') ? '&' : '?');
  switch (tokenKind) {
    case 'valid':
      headers.push(['Authorization', `token ${actor.token}`]);
      auth = true;
      break;
    case 'valid-query':
      path += `${q()}token=${encodeURIComponent(actor.token)}`;
      auth = true;
      break;
    case 'missing':
      break;
    case 'wrong':
      headers.push(['Authorization', `token ${rng.text(20)}`]);
      break;
    case 'malformed':
      headers.push(['Authorization', rng.pick([`token${actor.token}`, 'Bearer', `Basic ${actor.token}`])]);
      break;
    default:
      headers.push(['Authorization', `token x${rng.text(10)}`]);
      path += `${q()}token=${encodeURIComponent(actor.token)}`;
      break;
  }
  mutations.push(`token:${tokenKind}`);

  // Handshake headers.
  let method = 'GET';
  let handshakeOk = true;
  const handshake = rng.weighted<string>([
    [10, 'ok'],
    [1, 'no-key'],
    [1, 'bad-key'],
    [1, 'version-8'],
    [1, 'no-version'],
    [1, 'upgrade-h2c'],
    [1, 'no-connection-upgrade'],
    [1, 'post'],
    [1, 'protocol-garbage'],
    [2, 'protocol-v1']
  ]);
  mutations.push(`handshake:${handshake}`);
  let upgradeHeader = 'websocket';
  let connection = 'Upgrade';
  if (handshake === 'upgrade-h2c') {
    upgradeHeader = rng.pick(['h2c', 'WebSocket2', '']);
    handshakeOk = false;
  }
  if (handshake === 'no-connection-upgrade') {
    connection = 'keep-alive';
    handshakeOk = false;
  }
  if (handshake === 'post') {
    method = rng.pick(['POST', 'PUT', 'DELETE']);
    handshakeOk = false;
  }
  headers.push(['Upgrade', upgradeHeader], ['Connection', connection]);
  if (handshake !== 'no-key') {
    headers.push(['Sec-WebSocket-Key', handshake === 'bad-key' ? rng.pick(['x', '', 'dGhlIHNhbXBsZSBub25jZQ', '!!!!!!!!!!!!!!!!!!!!!!==']) : KEY]);
  }
  if (handshake === 'no-key' || handshake === 'bad-key') {
    handshakeOk = false;
  }
  if (handshake !== 'no-version') {
    headers.push(['Sec-WebSocket-Version', handshake === 'version-8' ? rng.pick(['8', '99', 'x']) : '13']);
  }
  if (handshake === 'no-version' || handshake === 'version-8') {
    handshakeOk = false;
  }
  if (handshake === 'protocol-garbage') {
    handshakeOk = false; // ws refuses most of these (400); 'v2…' alone is merely not chosen
    headers.push(['Sec-WebSocket-Protocol', rng.pick(['v2.kernel.websocket.jupyter.org', ',,,', 'a b', 'v1.kernel.websocket.jupyter.org, v1.kernel.websocket.jupyter.org'])]);
  }
  if (handshake === 'protocol-v1') {
    headers.push(['Sec-WebSocket-Protocol', 'v1.kernel.websocket.jupyter.org']);
  }
  if (rng.chance(0.05)) {
    headers.push(['X-Fuzz', rng.text(rng.between(1000, 9000))]);
    mutations.push('header:long');
  }
  const request = Buffer.from(`${method} ${path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1');

  // After the handshake: websocket-level garbage.
  let afterOpen: Buffer | null = null;
  if (rng.chance(0.5)) {
    const garbage = rng.weighted<string>([
      [2, 'random'],
      [2, 'unmasked'],
      [1, 'bad-opcode'],
      [1, 'huge-length'],
      [1, 'reserved-bits'],
      [1, 'bad-close-code'],
      [1, 'fragmented-ping'],
      [1, 'continuation-first']
    ]);
    mutations.push(`ws:${garbage}`);
    const mask = rng.bytes(4);
    const masked = (fin: number, opcode: number, payload: Buffer): Buffer => {
      const len = payload.length;
      const head = len < 126 ? Buffer.from([(fin << 7) | opcode, 0x80 | len]) : Buffer.from([(fin << 7) | opcode, 0x80 | 126, len >> 8, len & 0xff]);
      const body = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
      return Buffer.concat([head, mask, body]);
    };
    switch (garbage) {
      case 'random':
        afterOpen = rng.bytes(rng.between(1, 2000));
        break;
      case 'unmasked':
        afterOpen = Buffer.concat([Buffer.from([0x81, 5]), Buffer.from('hello')]);
        break;
      case 'bad-opcode':
        afterOpen = masked(1, rng.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), Buffer.from('x'));
        break;
      case 'huge-length':
        afterOpen = Buffer.concat([Buffer.from([0x82, 0xff]), Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), mask]);
        break;
      case 'reserved-bits':
        afterOpen = masked(1, 1, Buffer.from('{}'));
        afterOpen[0] = (afterOpen[0] as number) | 0x70;
        break;
      case 'bad-close-code': {
        const payload = Buffer.alloc(2);
        payload.writeUInt16BE(rng.pick([0, 999, 1004, 1005, 1006, 2999, 5000, 65535]));
        afterOpen = masked(1, 8, payload);
        break;
      }
      case 'fragmented-ping':
        afterOpen = masked(0, 9, Buffer.from('ping'));
        break;
      default:
        afterOpen = masked(1, 0, Buffer.from('cont'));
        break;
    }
  }

  // What must come back. The kernel bridge checks the path, then the token, then the id and the
  // owner, then lets ws check the handshake; engine.io owns /socket.io/.
  let statuses: readonly number[] | null = null;
  const nearHeaderLimit = request.length > 14 * 1024; // node may answer 431 itself
  const upgrading = connection === 'Upgrade' && upgradeHeader !== '';
  if (nearHeaderLimit) {
    statuses = null;
  } else if (kernelBridge && upgrading) {
    if (!auth) {
      statuses = [401];
    } else if (crossUser) {
      statuses = [404];
    } else if (pathKind === 'unknown-id' || pathKind === 'not-uuid' || pathKind === 'long-id') {
      statuses = [404];
    } else if (pathKind === 'bad-escape') {
      statuses = [400, 404];
    } else if (knownKernel && handshakeOk) {
      statuses = [101];
    }
  } else if (!kernelBridge && upgrading && !path.startsWith('/socket.io/') && path !== '*') {
    statuses = [404];
  }
  return {
    kind: `${kernelBridge ? 'channels' : 'other'}:${pathKind}`,
    mutations,
    actor: actor.name,
    request,
    afterOpen,
    expect: { statuses, jsonError: !nearHeaderLimit && upgrading && !path.startsWith('/socket.io/') && path !== '*' }
  };
}
