// images/kernel/sparkgate_launcher.py: one huge stdout/stderr flush is published as several `stream`
// messages of at most STREAM_CHUNK_BYTES (8 MiB) each, so it crosses jupyter_server's gateway relay,
// whose upstream websocket closes on a message over 10 MiB (issue 11, item 3). The Python side runs
// in the project's .venv (ipykernel as the kernel runs it) and reports what it saw as JSON.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const python = process.env.SPARKGATE_PYTHON ?? path.join(root, '.venv', 'bin', 'python');
const MiB = 1024 * 1024;

/** Runs `body` (Python; `L` = the launcher module) and returns what it printed as JSON. */
function runPython(body: string): unknown {
  const script = [
    'import importlib.util, json, sys',
    `spec = importlib.util.spec_from_file_location("sparkgate_launcher", ${JSON.stringify(path.join(root, 'images', 'kernel', 'sparkgate_launcher.py'))})`,
    'L = importlib.util.module_from_spec(spec); sys.modules["sparkgate_launcher"] = L; spec.loader.exec_module(L)',
    'def sizes(pieces):',
    '    return {"n": len(pieces),',
    '            "utf8": [len(p.encode("utf-8", "surrogatepass")) for p in pieces],',
    '            "json": [L._json_size(p) for p in pieces],',
    '            "endsWithNewline": [p.endswith("\\n") for p in pieces]}',
    body
  ].join('\n');
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8', maxBuffer: 16 * MiB });
  if (r.status !== 0) {
    throw new Error(`python failed (${r.status}):\n${r.stderr}`);
  }
  return JSON.parse(r.stdout);
}

interface Sizes {
  n: number;
  utf8: number[];
  json: number[];
  endsWithNewline: boolean[];
  joined?: boolean;
}

describe('images/kernel/sparkgate_launcher.py output chunking (issue 11, item 3)', () => {
  it('should keep output that fits as one piece', () => {
    const r = runPython(`
out = {}
for name, text in {"empty": "", "short": "hello\\n", "at-limit": "x" * L.STREAM_CHUNK_BYTES}.items():
    pieces = L.split_stream_text(text)
    out[name] = pieces == [text]
print(json.dumps({"chunk": L.STREAM_CHUNK_BYTES, **out}))
`);
    expect(r).toEqual({ chunk: 8 * MiB, empty: true, short: true, 'at-limit': true });
  });

  it('should cut a 30 MiB line into 8 MiB pieces that join to the original', () => {
    const r = runPython(`
text = "x" * (30 * 1024 * 1024) + "\\n"
pieces = L.split_stream_text(text)
print(json.dumps({**sizes(pieces), "joined": "".join(pieces) == text}))
`) as Sizes;
    expect(r.utf8).toEqual([8 * MiB, 8 * MiB, 8 * MiB, 6 * MiB + 1]);
    expect(r.joined).toBe(true);
  });

  it('should cut after the last newline that fits, counting the newlines JSON escapes', () => {
    // 100-byte lines and a 1000-byte limit: ten lines are 1000 bytes but 1010 as JSON (each \n is
    // two bytes there), so pieces hold nine lines; then 5 lines, then the tail without newlines.
    const r = runPython(`
text = ("a" * 99 + "\\n") * 95 + "tail without newline " * 200
pieces = L.split_stream_text(text, 1000)
print(json.dumps({**sizes(pieces), "joined": "".join(pieces) == text}))
`) as Sizes;
    expect(r.joined).toBe(true);
    expect(r.utf8).toEqual([...Array(10).fill(900), 500, 1000, 1000, 1000, 1000, 200]);
    expect(r.endsWithNewline).toEqual([...Array(11).fill(true), false, false, false, false, false]);
    expect(Math.max(...r.json)).toBeLessThanOrEqual(1000);
  });

  it('should never cut inside a UTF-8 character', () => {
    const r = runPython(`
text = "é€😀a" * 1000   # 2-, 3-, 4- and 1-byte characters, no newline
out = {}
for limit in (1001, 1002, 1003, 64):
    pieces = L.split_stream_text(text, limit)
    out[str(limit)] = {**sizes(pieces), "joined": "".join(pieces) == text}
print(json.dumps(out))
`) as Record<string, Sizes>;
    for (const [limit, s] of Object.entries(r)) {
      expect(s.joined).toBe(true);
      expect(Math.max(...s.utf8)).toBeLessThanOrEqual(Number(limit));
      expect(s.n).toBeGreaterThan(1);
    }
    // Cuts fall on character boundaries only: the 10-byte pattern fills 1001 bytes up to 1000.
    expect(new Set(r['1001']!.utf8.slice(0, -1))).toEqual(new Set([1000]));
  });

  it('should count JSON escapes (newlines, quotes, control characters) against the limit', () => {
    const r = runPython(`
out = {}
for name, text in {"newlines": "\\n" * 5000, "quotes": '"' * 5000, "controls": "\\x01" * 5000}.items():
    pieces = L.split_stream_text(text, 1000)
    out[name] = {**sizes(pieces), "joined": "".join(pieces) == text}
print(json.dumps(out))
`) as Record<string, Sizes>;
    for (const s of Object.values(r)) {
      expect(s.joined).toBe(true);
      expect(Math.max(...s.json)).toBeLessThanOrEqual(1000);
    }
    expect(r.controls!.n).toBeGreaterThanOrEqual(30); // 6 bytes each as JSON: 30,000 bytes
  });

  it('should pass lone surrogates through unchanged', () => {
    const r = runPython(`
text = "\\ud800x" * 500
pieces = L.split_stream_text(text, 64)
print(json.dumps({**sizes(pieces), "joined": "".join(pieces) == text}))
`) as Sizes;
    expect(r.joined).toBe(true);
    expect(r.n).toBeGreaterThan(1);
  });

  it("should publish one huge write as several stream messages through ipykernel's OutStream", () => {
    // The class the launcher gives IPKernelApp.outstream_class, found the way ipykernel finds it,
    // on a real IOPubThread; Session.send is recorded instead of reaching a socket.
    const r = runPython(`
import zmq
from ipykernel.iostream import IOPubThread, OutStream
from jupyter_client.session import Session
from traitlets.utils.importstring import import_item

cls = import_item("sparkgate_launcher.ChunkedOutStream")
ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
thread = IOPubThread(pub)
thread.start()
session = Session(key=b"")
sent = []
session.send = lambda stream, msg, ident=None: sent.append((msg["msg_type"], msg["content"]["name"], msg["content"]["text"]))
out = cls(session, thread, "stdout", watchfd=False)
out.write("x" * (20 * 1024 * 1024))
out.write("\\n")
out.flush()
big = list(sent)
sent.clear()
out.write("done\\n")
out.flush()
small = list(sent)
thread.stop()
print(json.dumps({
    "subclass": issubclass(cls, OutStream),
    "big": [(t, n, len(x)) for t, n, x in big],
    "bigJoined": "".join(x for _, _, x in big) == "x" * (20 * 1024 * 1024) + "\\n",
    "small": small,
}))
`) as { subclass: boolean; big: [string, string, number][]; bigJoined: boolean; small: [string, string, string][] };
    expect(r.subclass).toBe(true);
    expect(r.big).toEqual([
      ['stream', 'stdout', 8 * MiB],
      ['stream', 'stdout', 8 * MiB],
      ['stream', 'stdout', 4 * MiB + 1]
    ]);
    expect(r.bigJoined).toBe(true);
    expect(r.small).toEqual([['stream', 'stdout', 'done\n']]);
  });
});
