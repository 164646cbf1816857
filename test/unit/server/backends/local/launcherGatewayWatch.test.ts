// images/kernel/sparkgate_launcher.py GatewayWatch, the local kernel's side of re-adoption (issue 13,
// item 3): while the gateway its record names lives, the kernel stays; when it is gone the grace
// starts; a gateway rewriting the record to name itself cancels it; grace over, or record removed
// with the gateway gone, means exit. Clock and liveness are faked; the record is a real temp file.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = fileURLToPath(new URL('../../../../..', import.meta.url));
const python = process.env.SPARKGATE_PYTHON ?? path.join(root, '.venv', 'bin', 'python');

/** Runs `body` with `L` (the launcher), `W` (a GatewayWatch on a temp record, grace 10 s, first gateway pid 100), `clock` and `alive` (a set of live pids); prints JSON. */
function runPython(body: string): unknown {
  const script = [
    'import atexit, importlib.util, json, os, shutil, sys, tempfile',
    `spec = importlib.util.spec_from_file_location("sparkgate_launcher", ${JSON.stringify(path.join(root, 'images', 'kernel', 'sparkgate_launcher.py'))})`,
    'L = importlib.util.module_from_spec(spec); sys.modules["sparkgate_launcher"] = L; spec.loader.exec_module(L)',
    'd = tempfile.mkdtemp(); rec = os.path.join(d, "kernel.json"); atexit.register(shutil.rmtree, d, True)',
    'def write(pid, start=None):',
    '    with open(rec, "w") as f: json.dump({"gateway": {"pid": pid, "start": start}}, f)',
    'now = [0.0]; live = set()',
    'W = L.GatewayWatch(rec, 10.0, 100, clock=lambda: now[0], alive=lambda pid, start: (pid, start) in live or (start is None and pid in live))',
    body
  ].join('\n');
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`python failed (${r.status}):\n${r.stderr}`);
  }
  return JSON.parse(r.stdout);
}

describe('images/kernel/sparkgate_launcher.py GatewayWatch (issue 13, item 3)', () => {
  it('should keep running while the gateway the record names lives', () => {
    expect(
      runPython(`
write(200, "s1"); live.add((200, "s1"))
out = [W.poll() for _ in range(3)]
print(json.dumps({"out": out, "deadline": W.deadline}))
`)
    ).toEqual({ out: [null, null, null], deadline: null });
  });

  it('should exit once the grace has passed after the gateway went, not before', () => {
    expect(
      runPython(`
write(200, "s1")
first = W.poll()
now[0] = 9.9; before = W.poll()
now[0] = 10.0; after = W.poll()
print(json.dumps({"first": first, "before": before, "after": after}))
`)
    ).toEqual({ first: null, before: null, after: 'no gateway re-adopted this kernel within 10 s' });
  });

  it('should cancel the grace when a gateway rewrites the record naming itself, and start it again when that one goes', () => {
    expect(
      runPython(`
write(200, "s1")
W.poll(); started = W.deadline
now[0] = 5.0; write(300, "s2"); live.add((300, "s2"))
adopted = W.poll(); cancelled = W.deadline
live.clear(); now[0] = 20.0
again = W.poll(); restarted = W.deadline
now[0] = 30.0
print(json.dumps({"started": started, "adopted": adopted, "cancelled": cancelled, "again": again, "restarted": restarted, "end": W.poll()}))
`)
    ).toEqual({ started: 10, adopted: null, cancelled: null, again: null, restarted: 30, end: 'no gateway re-adopted this kernel within 10 s' });
  });

  it('should not take a reused pid for the gateway (start time differs)', () => {
    expect(
      runPython(`
write(200, "s1"); live.add((200, "other-start"))
W.poll()
print(json.dumps({"deadline": W.deadline}))
`)
    ).toEqual({ deadline: 10 });
  });

  it('should exit at once when the gateway is gone and the record was removed (nobody can adopt it)', () => {
    expect(
      runPython(`
print(json.dumps({"out": W.poll()}))
`)
    ).toEqual({ out: "gateway process 100 is gone and this kernel's record was removed" });
  });

  it('should keep the last gateway known through a half-written record', () => {
    expect(
      runPython(`
write(200, "s1"); live.add((200, "s1")); W.poll()
with open(rec, "w") as f: f.write('{"gateway": ')
print(json.dumps({"out": W.poll(), "gateway": list(W.gateway)}))
`)
    ).toEqual({ out: null, gateway: [200, 's1'] });
  });
});
