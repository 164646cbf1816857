// images/kernel/sparkgate_launcher.py (issue 16, item 1): every Spark job of a cell carries the tag
// of the cell's execute_request (the same tag the gateway computes, spark/cellProgress.ts), set on
// the cell's own thread (pyspark pins Python threads to JVM threads), also for a cell that started
// before the SparkSession was ready; an interrupt cancels only that tag's jobs and the cancelled
// job's error shows as a short KeyboardInterrupt. The Python side runs in the project's .venv with
// a fake SparkContext and reports what it saw as JSON.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { cellTag } from '../../../server/src/spark/cellProgress.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const python = process.env.SPARKGATE_PYTHON ?? path.join(root, '.venv', 'bin', 'python');

/** Runs `body` (Python; `L` = the launcher module, `fake_starter()` a ready starter over a fake context) and returns what it printed as JSON. */
function runPython(body: string): unknown {
  const script = [
    'import importlib.util, json, sys, threading',
    `spec = importlib.util.spec_from_file_location("sparkgate_launcher", ${JSON.stringify(path.join(root, 'images', 'kernel', 'sparkgate_launcher.py'))})`,
    'L = importlib.util.module_from_spec(spec); sys.modules["sparkgate_launcher"] = L; spec.loader.exec_module(L)',
    'class Tracker:',
    '    def __init__(self, ids): self.ids = ids',
    '    def getActiveJobsIds(self): return self.ids',
    'class JvmTracker:',
    '    def __init__(self, by_tag): self.by_tag = by_tag',
    '    def getJobIdsForTag(self, tag): return self.by_tag.get(tag, [])',
    'class Context:',
    '    def __init__(self):',
    '        self.calls = []; self.active = []; self.by_tag = {}',
    '        outer = self',
    '        class Jsc:',
    '            def sc(self):',
    '                class S:',
    '                    def statusTracker(self): return JvmTracker(outer.by_tag)',
    '                return S()',
    '        self._jsc = Jsc()',
    '    def addJobTag(self, tag): self.calls.append(["add", tag, threading.current_thread().name])',
    '    def removeJobTag(self, tag): self.calls.append(["remove", tag, threading.current_thread().name])',
    '    def cancelJobsWithTag(self, tag): self.calls.append(["cancel", tag])',
    '    def statusTracker(self): return Tracker(self.active)',
    'class Session:',
    '    def __init__(self): self.sparkContext = Context()',
    'def fake_starter(ready=True):',
    '    s = L.SparkStarter({})',
    '    s.session = Session()',
    '    if ready: s.ready.set()',
    '    return s',
    body
  ].join('\n');
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`python failed (${r.status}):\n${r.stderr}`);
  }
  return JSON.parse(r.stdout);
}

describe('images/kernel/sparkgate_launcher.py cell job tags (issue 16)', () => {
  it('should compute the same tag as the gateway for plain and odd msg_ids', () => {
    const ids = ['a1b2c3d4-0000-4000-8000-000000000001', '90e62606-8e883c77ae5282b4647c5dec_20625_1', 'a,b c', 'x'.repeat(129), 'café'];
    const tags = runPython(`print(json.dumps([L.cell_tag(i) for i in ${JSON.stringify(ids)}]))`) as string[];
    expect(tags).toEqual(ids.map(cellTag));
    expect(tags.some(t => t.includes(','))).toBe(false);
  });

  it('should tag the cell’s thread before it runs and untag it after, never from another thread', () => {
    const r = runPython(`
s = fake_starter()
cells = L.CellJobTags(s)
cells.begin("m1")
t = threading.Thread(target=cells.apply, name="other"); t.start(); t.join()
shown = cells.end()
cells.begin(None)
cells.end()
print(json.dumps({"calls": s.session.sparkContext.calls, "shown": shown}))
`);
    expect(r).toEqual({
      calls: [
        ['add', 'sparkgate-cell-m1', 'MainThread'],
        ['remove', 'sparkgate-cell-m1', 'MainThread']
      ],
      shown: false
    });
  });

  it('should tag a cell that started before Spark was up when it first gets the session, and swap the real names in after it', () => {
    const r = runPython(`
s = fake_starter(ready=False)
cells = L.CellJobTags(s)
s.on_use = cells.apply
swaps = []
cells.swap = lambda: swaps.append("swap")
cells.begin("m2")
deferred = cells.defer_swap()  # Spark came up: the swapping thread leaves it to the cell's end
s.ready.set()
calls_before_use = list(s.session.sparkContext.calls)
s.get(); s.get()
cells.end()
idle_deferred = cells.defer_swap()
print(json.dumps({"deferred": deferred, "before": calls_before_use, "calls": s.session.sparkContext.calls, "swaps": swaps, "idle": idle_deferred}))
`);
    expect(r).toEqual({
      deferred: true,
      before: [],
      calls: [
        ['add', 'sparkgate-cell-m2', 'MainThread'],
        ['remove', 'sparkgate-cell-m2', 'MainThread']
      ],
      swaps: ['swap'],
      idle: false
    });
  });

  it('should cancel only the jobs of the cell’s tag, and nothing when none of them runs', () => {
    const r = runPython(`
s = fake_starter()
sc = s.session.sparkContext
sc.active = [1, 2]
sc.by_tag = {"sparkgate-cell-m1": [0, 2], "sparkgate-cell-m0": [1]}
mine = s.cancel_jobs("sparkgate-cell-m1")
done = s.cancel_jobs("sparkgate-cell-m9")
sc.active = []
idle = s.cancel_jobs("sparkgate-cell-m1")
print(json.dumps({"mine": mine, "done": done, "idle": idle, "calls": sc.calls}))
`);
    expect(r).toEqual({ mine: true, done: false, idle: false, calls: [['cancel', 'sparkgate-cell-m1']] });
  });

  it('should show the job-cancelled error of an interrupted cell as KeyboardInterrupt, and every other error as it is', () => {
    const r = runPython(`
s = fake_starter()
cells = L.CellJobTags(s)
cells.begin("m1")
cancelled = RuntimeError("An error occurred while calling o41.collectToPython.\\n: org.apache.spark.SparkException: [SPARK_JOB_CANCELLED] Job 0 cancelled part of cancelled job tags sparkgate-cell-m1 SQLSTATE: XXKDA")
wrapped = ValueError("wrapped"); wrapped.__cause__ = cancelled
before = cells.shows_as_interrupt(cancelled)  # no interrupt yet: an error like any other
cells.cancelled = True
other = cells.shows_as_interrupt(ZeroDivisionError("division by zero"))
after = cells.shows_as_interrupt(wrapped)
shown = cells.end()
reply = L.interrupted_reply({"status": "error", "ename": "Py4JJavaError", "evalue": "long", "traceback": ["KeyboardInterrupt: ..."]})
ok = L.interrupted_reply({"status": "ok"})
cells.begin("m3")
print(json.dumps({"before": before, "other": other, "after": after, "shown": shown, "reply": reply, "ok": ok, "next": cells.cancelled}))
`);
    expect(r).toEqual({
      before: false,
      other: false,
      after: true,
      shown: true,
      reply: { status: 'error', ename: 'KeyboardInterrupt', evalue: "the cell's Spark jobs were cancelled", traceback: ['KeyboardInterrupt: ...'] },
      ok: { status: 'ok' },
      next: false
    });
  });
});
