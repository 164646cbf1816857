/**
 * Pure, seeded generator of REST fuzz cases: one `Rng` in, the exact request bytes out, with what
 * the gateway must (at least) do with them. Routes and methods come from the README's API table;
 * ids, tokens, bodies, headers and URLs are mangled on top.
 *
 * #### Notes
 * The generator never asks for something that would end the fuzz by legitimate means: it never
 * sends DELETE for a kernel of the acting user, and restarts only the acting user's *spare* kernel
 * (never the witness), and only reads from its PySpark kernel (the Spark UI proxy's target). Every
 * other user's kernel gets every method (it must be 404 whatever is sent).
 */
import type { Rng } from './prng.js';

/** One user of the gateway under test, and the kernels they own. */
export interface Party {
  name: string;
  token: string;
  /** Must survive the fuzz: never deleted nor restarted by its owner. */
  witness: string;
  /** May be restarted by its owner (never deleted); null when the user has only the witness. */
  spare: string | null;
  /** A PySpark kernel whose Spark UI is up: the `/ui/{id}/…` proxy's target; only ever read. */
  spark: string | null;
}

export interface FuzzTargets {
  parties: readonly Party[];
  maxBodyBytes: number;
  /** Kernelspec names the gateway serves. */
  specs: readonly string[];
}

/** What the gateway must do with a case (checked by `judgeRest`). */
export interface RestExpectation {
  /** A complete, well-formed request: an answer must come within the time bound. */
  answer: boolean;
  /** Error answers (≥ 400) must be JSON `{reason, message}` with non-empty strings. */
  jsonError: boolean;
  /** The token is certainly invalid or missing on an authenticated path: 401. */
  unauthorized: boolean;
  /** A valid token and an honest body over `limits.maxBodyBytes`: 413. */
  tooLarge: boolean;
  /**
   * A valid token aimed at another user's kernel (this id): never 2xx (save OPTIONS' Allow),
   * and the same status as the same request for an unknown id. Null otherwise.
   */
  crossUser: string | null;
}

export interface RestCase {
  /** Summary row: method and route template, e.g. `DELETE /api/kernels/{id}`. */
  route: string;
  /** What was mangled, e.g. `token:wrong`, `body:huge`, `id:other-user`. */
  mutations: string[];
  /** Acting user (whose token, if any, the case carries). */
  actor: string;
  method: string;
  head: boolean;
  /** The bytes to send, in pieces (several when trickled). */
  pieces: Buffer[];
  pauseMs: number;
  after: 'end' | 'wait';
  timeoutMs: number;
  expect: RestExpectation;
}

interface Route {
  path: string;
  methods: readonly string[];
  weight: number;
}

/** Every route of the API (README) plus neighbours that do not exist. */
const ROUTES: readonly Route[] = [
  { path: '/healthz', methods: ['GET'], weight: 2 },
  { path: '/api', methods: ['GET'], weight: 2 },
  { path: '/api/kernelspecs', methods: ['GET'], weight: 3 },
  { path: '/api/kernelspecs/{spec}', methods: ['GET'], weight: 3 },
  { path: '/kernelspecs/{spec}/{file}', methods: ['GET'], weight: 2 },
  { path: '/api/kernels', methods: ['GET', 'POST'], weight: 8 },
  { path: '/api/kernels/{id}', methods: ['GET', 'DELETE'], weight: 10 },
  { path: '/api/kernels/{id}/interrupt', methods: ['POST'], weight: 5 },
  { path: '/api/kernels/{id}/restart', methods: ['POST'], weight: 5 },
  { path: '/api/kernels/{id}/channels', methods: ['GET'], weight: 3 },
  { path: '/api/me', methods: ['GET'], weight: 3 },
  { path: '/api/clusters', methods: ['GET', 'POST'], weight: 6 },
  { path: '/api/clusters/{id}', methods: ['GET', 'DELETE'], weight: 6 },
  { path: '/ui/{id}', methods: ['GET'], weight: 2 },
  { path: '/ui/{id}/{rest}', methods: ['GET'], weight: 3 },
  { path: '/socket.io/', methods: ['GET', 'POST'], weight: 3 },
  { path: '/{unknown}', methods: ['GET', 'POST'], weight: 2 }
];

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const;
/** Methods node's parser refuses or treats specially: the answer (if any) is node's own. */
const ODD_METHODS = ['get', 'FOO', 'TRACE', 'CONNECT', 'PROPFIND', 'M-SEARCH', ''] as const;

const BAD_IDS: readonly (readonly [string, string])[] = [
  ['id:bad-escape', '%E0%A4%A'],
  ['id:bad-escape', '%'],
  ['id:bad-escape', '%zz'],
  ['id:bad-escape', '%C0%AF'],
  ['id:nul', '%00'],
  ['id:traversal', '..%2F..%2Fetc%2Fpasswd'],
  ['id:traversal', '..'],
  ['id:not-uuid', 'not-a-uuid'],
  ['id:not-uuid', '42'],
  ['id:unicode', '%F0%9F%92%A5'],
  ['id:empty', '']
];

/** Paths under `/ui/{id}/`: Spark UI pages and REST API, good and bad. */
const SPARK_PATHS: readonly (() => string)[] = [
  () => '',
  () => 'jobs/',
  () => 'jobs/job/?id=0',
  () => 'jobs/job/?id=-1',
  () => 'jobs/job/?id=x',
  () => 'stages/',
  () => 'stages/stage/?id=0&attempt=0',
  () => 'stages/stage/?id=x&attempt=%ZZ',
  () => 'stages/stage/',
  () => 'executors/',
  () => 'environment/',
  () => 'storage/',
  () => 'storage/rdd/?id=99',
  () => 'SQL/',
  () => 'api/v1/applications',
  () => 'api/v1/applications/nope/jobs',
  () => 'api/v1/version',
  () => 'static/spark-logo-77x50px.png',
  () => 'static/%E0%A4%A',
  () => 'jobs/?x=%ZZ&y=%E0%A4%A',
  () => '..%2F..%2F..%2Fetc%2Fpasswd',
  () => '%2e%2e/%2e%2e/',
  () => 'kill/?id=0',
  () => '{n}'
];

type BodyLabel = 'none' | 'empty' | 'json-ok' | 'json-wrong-shape' | 'json-malformed' | 'huge' | 'truncated' | 'chunked' | 'chunked-bad' | 'charset';

/** Generates one REST case. Pure: the same `rng` state gives the same case. */
export function restCase(rng: Rng, targets: FuzzTargets): RestCase {
  const mutations: string[] = [];
  let wellFormed = true;
  const actorIndex = targets.parties.length > 1 && rng.chance(0.3) ? rng.int(targets.parties.length) : 0;
  const actor = targets.parties[actorIndex] as Party;
  const others = targets.parties.filter((_, i) => i !== actorIndex);

  const route = rng.weighted(ROUTES.map(r => [r.weight, r] as const));
  let method: string = rng.chance(0.85) ? rng.pick(route.methods) : rng.pick(ALL_METHODS);
  if (rng.chance(0.02)) {
    method = rng.pick(ODD_METHODS);
    mutations.push('method:odd');
    wellFormed = false;
  }
  const onRoute = route.methods.includes(method);
  if (wellFormed && !onRoute) {
    mutations.push(`method:${method}-off-route`);
  }
  const routeLabel = !wellFormed ? `(odd method) ${route.path}` : onRoute ? `${method} ${route.path}` : `(other method) ${route.path}`;

  // Ids: the actor's kernels (safe uses only), another user's (anything goes), or none at all.
  let crossUser: string | null = null;
  let idLabel = '';
  const id = (): string => {
    const destructive = method === 'DELETE' || (route.path.endsWith('/restart') && method === 'POST');
    const choices: [number, () => string][] = [
      [3, () => ((idLabel = 'id:unknown'), rng.uuid())],
      [2, () => {
        const [label, value] = rng.pick(BAD_IDS);
        idLabel = label;
        return value;
      }],
      [1, () => ((idLabel = 'id:long'), rng.text(rng.between(100, 3000), 'abcdef0123456789-'))],
      [1, () => ((idLabel = 'id:upper-own'), actor.witness.toUpperCase())]
    ];
    if (!destructive) {
      choices.push([4, () => ((idLabel = 'id:own'), actor.witness)]);
    }
    const reading = route.path.startsWith('/ui/') || method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
    if (actor.spark && reading && !destructive) {
      choices.push([route.path.startsWith('/ui/') ? 12 : 1, () => ((idLabel = 'id:own-spark'), actor.spark as string)]);
    }
    if (actor.spare && (!destructive || (method === 'POST' && rng.chance(0.6)))) {
      choices.push([2, () => ((idLabel = 'id:own-spare'), actor.spare as string)]);
    }
    if (others.length > 0) {
      choices.push([4, () => {
        const other = rng.pick(others);
        idLabel = 'id:other-user';
        crossUser = rng.chance(0.7) || !other.spare ? other.witness : other.spare;
        return crossUser;
      }]);
    }
    return rng.weighted(choices)();
  };
  let path = route.path;
  if (path.includes('{id}')) {
    path = path.replace('{id}', id());
    mutations.push(idLabel);
  }
  path = path
    .replace('{spec}', () => rng.pick([...targets.specs, ...targets.specs, 'scala', '%E0%A4%A', '..', rng.text(rng.between(1, 300))]))
    .replace('{file}', () => rng.pick(['logo-64x64.png', 'logo-32x32.png', 'kernel.js', '%ZZ', '../../etc/passwd']))
    .replace('{rest}', () => rng.pick(SPARK_PATHS)().replace('{n}', () => 'a/'.repeat(rng.between(1, 50))))
    .replace('{unknown}', () => `x-${rng.text(rng.between(1, 20))}`);
  const socketIo = route.path === '/socket.io/';
  if (socketIo) {
    path += rng.pick([
      '',
      '?EIO=4&transport=polling',
      '?EIO=4&transport=polling',
      `?EIO=4&transport=polling&sid=${rng.text(20)}`,
      '?EIO=3&transport=polling',
      '?EIO=4&transport=websocket',
      '?EIO=4&transport=bogus',
      '?EIO=%ZZ&transport=polling',
      '?EIO=4&transport=polling&j=%E0%A4%A'
    ]);
  }

  // Tokens: valid (header, Bearer, query), or missing, wrong, malformed.
  const headers: [string, string][] = [['Host', '127.0.0.1']];
  let query = '';
  const tokenKind = rng.weighted<string>([
    [40, 'valid'],
    [5, 'valid-bearer'],
    [6, 'valid-query'],
    [8, 'missing'],
    [8, 'wrong'],
    [6, 'malformed'],
    [2, 'long'],
    [2, 'latin1'],
    [3, 'empty-header+query'],
    [3, 'wrong-header+valid-query']
  ]);
  let auth: boolean | null;
  switch (tokenKind) {
    case 'valid':
      headers.push(['Authorization', `${rng.pick(['token', 'Token', 'TOKEN'])} ${actor.token}`]);
      auth = true;
      break;
    case 'valid-bearer':
      headers.push(['Authorization', `Bearer ${actor.token}`]);
      auth = true;
      break;
    case 'valid-query':
      query = `token=${encodeURIComponent(actor.token)}`;
      auth = true;
      break;
    case 'missing':
      auth = false;
      break;
    case 'wrong':
      headers.push(['Authorization', `token ${rng.text(rng.between(1, 64))}`]);
      auth = false;
      break;
    case 'malformed':
      headers.push(['Authorization', rng.pick([`token${actor.token}`, 'token', `Basic ${actor.token}`, `token ${actor.token} extra`, `${actor.token}`])]);
      auth = false;
      break;
    case 'long':
      headers.push(['Authorization', `token ${rng.text(rng.between(2000, 12_000))}`]);
      auth = false;
      break;
    case 'latin1':
      headers.push(['Authorization', `token ${actor.token}\u00ff\u00e9`]);
      auth = false;
      break;
    case 'empty-header+query':
      // No Authorization value: the query token is used.
      headers.push(['Authorization', '']);
      query = `token=${encodeURIComponent(actor.token)}`;
      auth = true;
      break;
    default:
      // The header wins over the query, so a wrong header is a 401 even with a valid query token.
      headers.push(['Authorization', `token wrong-${rng.text(8)}`]);
      query = `token=${encodeURIComponent(actor.token)}`;
      auth = false;
      break;
  }
  mutations.push(`token:${tokenKind}`);
  if (auth !== true) {
    crossUser = null;
  }

  // Bodies.
  const bodyKind = rng.chance(['POST', 'PUT', 'PATCH'].includes(method) ? 0.9 : 0.12)
    ? rng.weighted<BodyLabel>([
        [6, 'json-ok'],
        [6, 'json-wrong-shape'],
        [6, 'json-malformed'],
        [2, 'empty'],
        [3, 'huge'],
        [3, 'truncated'],
        [2, 'chunked'],
        [1, 'chunked-bad'],
        [2, 'charset']
      ])
    : 'none';
  if (bodyKind !== 'none') {
    mutations.push(`body:${bodyKind}`);
  }
  let body: Buffer = Buffer.alloc(0);
  let declaredLength: number | null = null;
  let chunked = false;
  let truncated = false;
  switch (bodyKind) {
    case 'none':
      break;
    case 'empty':
      declaredLength = 0;
      break;
    case 'json-ok':
      body = Buffer.from(
        JSON.stringify(
          rng.pick([
            { name: rng.pick(targets.specs) },
            {},
            { profile: rng.pick(targets.specs) },
            { name: `${rng.pick(targets.specs)}--${rng.pick(targets.parties).witness}` },
            { name: rng.pick(targets.specs), env: { KERNEL_FUZZ: rng.text(10) } },
            { profile: rng.pick(targets.specs), sizing: { driver: { cores: 1, memoryMiB: 512 } } }
          ])
        )
      );
      break;
    case 'json-wrong-shape':
      body = Buffer.from(
        rng.pick([
          '42',
          '"python3"',
          '[]',
          'null',
          'true',
          '{"name": 42}',
          '{"name": ""}',
          `{"name": "${'n'.repeat(300)}"}`,
          '{"env": []}',
          '{"env": {"KERNEL_X": 1}}',
          '{"name": "python3", "env": {"KERNEL_A": "a\\nb"}}',
          `{"env": {${Array.from({ length: 300 }, (_, i) => `"K${i}": "v"`).join(',')}}}`,
          '{"profile": 5}',
          '{"profile": "python3", "sizing": "big"}',
          '{"profile": "python3", "sizing": {"driver": {"cores": -1}}}',
          '{"profile": "python3", "sizing": {"executors": {"count": 1, "min": 1}}}',
          '{"profile": "python3", "sizing": {"executors": {"min": 5, "max": 1}}}',
          '{"profile": "python3", "sizing": {"driver": {"gpus": 1.5}}}',
          '{"__proto__": {"name": "python3"}}',
          '{"constructor": {"prototype": {"x": 1}}}',
          `${'['.repeat(5000)}${']'.repeat(5000)}`,
          `{"a": ${'{"a": '.repeat(2000)}1${'}'.repeat(2000)}}`
        ])
      );
      break;
    case 'json-malformed':
      body = rng.pick([
        () => Buffer.from('{"name": "python3"'),
        () => Buffer.from('{"name": "python3",}'),
        () => Buffer.from("{'name': 'python3'}"),
        () => Buffer.from('{"a":1}{"b":2}'),
        () => Buffer.from('NaN'),
        () => Buffer.from('\ufeff{"name": "python3"}'),
        () => Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
        () => rng.bytes(rng.between(1, 2000)),
        () => Buffer.from(rng.text(rng.between(1, 500), '{}[]":,0123456789abcdefnulltrue \\')),
        () => Buffer.from('\u0000\u0000\u0000')
      ])();
      break;
    case 'huge': {
      const size = rng.between(targets.maxBodyBytes + 1, targets.maxBodyBytes * 3);
      body = Buffer.from(`{"name":"python3","env":{"KERNEL_PAD":"${'x'.repeat(Math.max(0, size - 40))}"}}`);
      chunked = rng.chance(0.2);
      break;
    }
    case 'truncated': {
      const full = `{"name": "python3", "env": {"KERNEL_PAD": "${'y'.repeat(rng.between(0, 5000))}"}}`;
      body = Buffer.from(full.slice(0, rng.between(0, full.length - 1)));
      declaredLength = body.length + rng.between(1, 100_000);
      truncated = true;
      break;
    }
    case 'chunked':
      body = Buffer.from(JSON.stringify({ name: rng.pick(['scala', 42, '']) }));
      chunked = true;
      break;
    case 'chunked-bad':
      wellFormed = false;
      break;
    case 'charset':
      body = Buffer.from('{"name": "python3"}');
      headers.push([
        'Content-Type',
        rng.pick(['application/json; charset=utf-16', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '\u00ff/\u00ff'])
      ]);
      if (rng.chance(0.3)) {
        headers.push(['Content-Encoding', rng.pick(['gzip', 'deflate', 'br', 'compress', 'identity, gzip'])]);
      }
      break;
  }
  let bodyBytes: Buffer = body;
  if (chunked) {
    headers.push(['Transfer-Encoding', 'chunked']);
    bodyBytes = Buffer.concat([...chunks(rng, body), Buffer.from('0\r\n\r\n')]);
  } else if (bodyKind === 'chunked-bad') {
    headers.push(['Transfer-Encoding', 'chunked']);
    bodyBytes = Buffer.from(rng.pick(['zz\r\n{}\r\n0\r\n\r\n', '5\r\n{}\r\n0\r\n\r\n', '2\r\n{}0\r\n\r\n', '-1\r\n\r\n', 'ffffffffffffffffff\r\n{}']));
  } else if (bodyKind !== 'none') {
    headers.push(['Content-Length', String(declaredLength ?? body.length)]);
  }
  if (bodyKind === 'json-ok' || bodyKind === 'json-wrong-shape' || bodyKind === 'json-malformed') {
    if (rng.chance(0.5)) {
      headers.push(['Content-Type', 'application/json']);
    }
  }

  // Headers and URLs: long, many, invalid.
  if (rng.chance(0.12)) {
    const kind = rng.weighted<string>([
      [3, 'long-header'],
      [2, 'huge-header'],
      [2, 'many-headers'],
      [2, 'expect-continue'],
      [1, 'expect-other'],
      [1, 'ctl-in-header'],
      [1, 'no-colon'],
      [1, 'double-length'],
      [1, 'no-host'],
      [1, 'space-before-colon']
    ]);
    mutations.push(`header:${kind}`);
    switch (kind) {
      case 'long-header':
        headers.push(['X-Fuzz', rng.text(rng.between(1000, 9000))]);
        break;
      case 'huge-header':
        headers.push(['X-Fuzz', rng.text(rng.between(17_000, 80_000))]);
        wellFormed = false; // node answers 431 itself
        break;
      case 'many-headers':
        for (let i = 0; i < rng.between(50, 300); i++) {
          headers.push([`X-Fuzz-${i}`, rng.text(8)]);
        }
        break;
      case 'expect-continue':
        headers.push(['Expect', '100-continue']);
        break;
      case 'expect-other':
        headers.push(['Expect', 'teapot']);
        wellFormed = false; // node answers 417 itself
        break;
      case 'ctl-in-header':
        headers.push(['X-Fuzz', `a\u0001b\u007f`]);
        wellFormed = false;
        break;
      case 'no-colon':
        headers.push(['X-Fuzz-No-Colon', '\u0000']);
        wellFormed = false;
        break;
      case 'double-length':
        headers.push(['Content-Length', '1'], ['Content-Length', '2']);
        wellFormed = false;
        break;
      case 'no-host':
        headers.splice(0, 1);
        wellFormed = false; // node requires Host on HTTP/1.1
        break;
      default:
        headers.push(['X-Fuzz ', 'a']);
        wellFormed = false;
        break;
    }
  }
  let target = path + (query ? `${path.includes('?') ? '&' : '?'}${query}` : '');
  if (rng.chance(0.1)) {
    const kind = rng.weighted<string>([
      [3, 'long-url'],
      [2, 'huge-url'],
      [2, 'long-query'],
      [2, 'bad-escape'],
      [1, 'double-slash'],
      [1, 'dot-segments'],
      [1, 'fragment'],
      [1, 'absolute-form'],
      [1, 'asterisk'],
      [1, 'space'],
      [1, 'raw-utf8']
    ]);
    mutations.push(`url:${kind}`);
    switch (kind) {
      case 'long-url':
        target = `${path}/${'a'.repeat(rng.between(2000, 12_000))}${query ? `?${query}` : ''}`;
        break;
      case 'huge-url':
        target = `${path}/${'a'.repeat(rng.between(17_000, 100_000))}`;
        wellFormed = false;
        break;
      case 'long-query':
        target = `${target}${target.includes('?') ? '&' : '?'}${Array.from({ length: rng.between(100, 1000) }, (_, i) => `k${i}=v`).join('&')}`;
        break;
      case 'bad-escape':
        target = `${path.replace(/\/[^/]*$/, '')}/${rng.pick(['%E0%A4%A', '%', '%%', '%G0', '%E0%A4%A/channels'])}${query ? `?${query}` : ''}`;
        break;
      case 'double-slash':
        target = target.replace(/\//g, '//');
        break;
      case 'dot-segments':
        target = `/api/../api/./kernels/../${target.replace(/^\//, '')}`;
        break;
      case 'fragment':
        target = `${target}#frag`;
        break;
      case 'absolute-form':
        target = `http://127.0.0.1${target}`;
        break;
      case 'asterisk':
        target = '*';
        break;
      case 'space':
        target = `${path} x`;
        wellFormed = false;
        break;
      default:
        target = `${path}/\u00e9\u00ff`;
        wellFormed = false;
        break;
    }
  }
  headers.push(['Connection', rng.chance(0.9) ? 'close' : 'keep-alive']);

  const head = Buffer.from(
    `${method} ${target} HTTP/1.1\r\n${headers.map(([k, v]) => (k === 'X-Fuzz-No-Colon' ? `${k}\r\n` : `${k}: ${v}\r\n`)).join('')}\r\n`,
    'latin1'
  );
  if (head.length > 14 * 1024) {
    wellFormed = false; // near or over node's 16 KiB header limit: node may answer 431 itself
  }
  let request: Buffer = Buffer.concat([head, bodyBytes]);

  // Delivery: whole, trickled by a slow client, or replaced by garbage.
  let pieces = [request];
  let pauseMs = 0;
  let after: 'end' | 'wait' = 'wait';
  const delivery = rng.weighted<string>([
    [90, 'whole'],
    [4, 'trickle'],
    [4, 'garbage'],
    [2, 'slow-headers']
  ]);
  if (delivery === 'garbage') {
    mutations.push('raw:garbage');
    wellFormed = false;
    request = rng.pick([
      () => rng.bytes(rng.between(1, 4000)),
      () => Buffer.from(`${rng.text(rng.between(1, 200), 'ABCDEFGH /:\r\n')}\r\n\r\n`),
      () => Buffer.from(`GET / HTTP/9.9\r\nHost: x\r\n\r\n`),
      () => Buffer.from(`GET /api HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n`),
      () => Buffer.from(`GET /api HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
      () => Buffer.from(`\r\n\r\n\r\n`),
      () => Buffer.from(`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`),
      () => Buffer.concat([head.subarray(0, rng.int(head.length)), rng.bytes(rng.between(1, 50)), Buffer.from('\r\n\r\n')])
    ])();
    pieces = [request];
    after = rng.pick(['end', 'wait'] as const);
  } else if (delivery === 'trickle') {
    mutations.push('raw:trickle');
    pieces = [];
    let at = 0;
    while (at < request.length && pieces.length < 40) {
      const n = rng.between(1, 16);
      pieces.push(request.subarray(at, at + n));
      at += n;
    }
    if (at < request.length) {
      pieces.push(request.subarray(at));
    }
    pauseMs = rng.between(20, 60);
  } else if (delivery === 'slow-headers') {
    // A client that starts a request and never finishes its headers.
    mutations.push('raw:slow-headers');
    pieces = [head.subarray(0, rng.between(1, head.length - 3))];
    wellFormed = false;
  }
  if (truncated) {
    after = rng.pick(['end', 'wait'] as const);
  }

  const complete = wellFormed && !truncated && bodyKind !== 'chunked-bad';
  const healthz = route.path === '/healthz' && (method === 'GET' || method === 'HEAD');
  const gatewayAnswers = complete && !socketIo && target !== '*';
  // The Spark UI proxy relays Spark's own answers (HTML or text errors included).
  const proxied = idLabel === 'id:own-spark' && route.path.startsWith('/ui/') && (method === 'GET' || method === 'HEAD');
  return {
    route: routeLabel,
    mutations,
    actor: actor.name,
    method,
    head: method === 'HEAD',
    pieces,
    pauseMs,
    after,
    timeoutMs: (truncated || !complete ? 800 : 15_000) + pieces.length * pauseMs,
    expect: {
      answer: complete,
      jsonError: gatewayAnswers && method !== 'HEAD' && !proxied,
      unauthorized: gatewayAnswers && auth === false && !healthz,
      tooLarge: gatewayAnswers && auth === true && bodyKind === 'huge' && !healthz,
      crossUser: gatewayAnswers ? crossUser : null
    }
  };
}

/** An id no kernel has, as long as a kernel id (so Content-Length stays right when it is swapped in). */
export const NOBODY_ID = 'ffffffff-ffff-4fff-8fff-ffffffffffff';

/** The same request with every occurrence of `id` replaced by `NOBODY_ID`. */
export function withUnknownId(pieces: readonly Buffer[], id: string): Buffer[] {
  return pieces.map(piece => Buffer.from(piece.toString('latin1').split(id).join(NOBODY_ID), 'latin1'));
}

/** `body` as 1–4 chunks of transfer-encoding: chunked (without the last, empty one). */
function chunks(rng: Rng, body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const n = Math.min(body.length - at, rng.between(1, Math.max(1, Math.ceil(body.length / rng.between(1, 4)))));
    out.push(Buffer.from(`${n.toString(16)}\r\n`), body.subarray(at, at + n), Buffer.from('\r\n'));
    at += n;
  }
  return out;
}

/** The bytes of a case as one printable string (JSON-escaped, long runs elided) for failure messages. */
export function describeBytes(pieces: readonly Buffer[], max = 1500): string {
  const all = Buffer.concat(pieces).toString('latin1').replace(/(.)\1{63,}/g, (run, ch: string) => `${ch.repeat(8)}…(${run.length}×)`);
  return JSON.stringify(all.length > max ? `${all.slice(0, max)}…(${all.length - max} more)` : all);
}
