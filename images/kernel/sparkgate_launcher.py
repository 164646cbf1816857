#!/usr/bin/env python3
"""sparkgate kernel launcher: an IPython kernel that is also a Spark client-mode driver.

    python sparkgate_launcher.py --connection-file PATH [--spark-conf PATH] [--conf K=V ...] [--ip IP]
                                 [--record PATH --adopt-grace SECONDS]

The same file runs a local kernel (a process of the gateway) and the driver pod on Kubernetes.

- The kernel binds the ports, key and ip of the connection file the gateway wrote (hmac-sha256).
- With --spark-conf (a JSON object of Spark conf key -> value) a SparkSession starts in a
  background thread, so the kernel answers kernel_info at once; `spark` and `sc` in the user
  namespace are placeholders that wait for the session on first use and raise a clear error
  (with its cause) if Spark failed to start. Without --spark-conf this is a plain Python kernel.
- Every Spark job a cell runs carries the job tag `sparkgate-cell-<msg_id>` (cell_tag) of the
  cell's execute_request, so the gateway shows each cell its own jobs (server/src/spark/
  cellProgress.ts computes the same tag) and an interrupt cancels exactly them (CellJobTags).
- Interrupt (SIGINT from the gateway, or interrupt_request, which ipykernel turns into SIGINT
  to its process group): the running cell's Spark jobs are cancelled and the cell shows a short
  KeyboardInterrupt (not the Py4J error of the cancelled job); the kernel stays alive. The JVM
  ignores SIGINT (pyspark starts it with SIG_IGN).
- shutdown_request, SIGTERM or the parent gateway going away: the SparkSession is stopped and
  the JVM exits with us (it also exits on its own when its stdin pipe from us closes).
- --record PATH (local backend with a runtime directory): the kernel's record, which names the
  gateway process holding it. When that gateway is gone (a crash) the kernel keeps running for
  --adopt-grace seconds; a gateway that re-adopts it rewrites the record naming itself, which
  cancels the countdown. Otherwise the kernel removes its folder (record, key, log) and exits.
- stdout/stderr: one flush of more than STREAM_CHUNK_BYTES is published as several `stream`
  messages of at most that size each (split after a newline where one is in reach, never inside a
  character), so a huge print crosses relays that cap a websocket message at 10 MiB (issue 11).
- iopub is an XPUB socket: while no gateway is subscribed (before the first one, or after a gateway
  crash until the next one re-adopts the kernel) output is held, up to IOPUB_HOLD_MESSAGES /
  IOPUB_HOLD_BYTES (oldest dropped, counted), and published in order when a subscriber comes; if
  any was dropped, a `stream` stderr message says how many first (issue 13).

Logs go to stderr (the gateway's log); the connection key is never logged.
Python 3.9+; needs only the packages pinned in requirements.txt.
"""

from __future__ import annotations

import argparse
import faulthandler
import hashlib
import inspect
import json
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Dict, List, Optional

log = logging.getLogger("sparkgate.launcher")

# Send high-water mark of the kernel's iopub PUB socket: 0 = no limit. At the default (1,000
# messages per subscriber) a PUB socket silently drops whatever a subscriber that is behind would
# receive next, so a gateway busy for a moment lost lines of a long print (issue 10, item 9).
# Memory stays bounded: the gateway's SUB socket keeps a finite receive HWM, so when it is behind
# ZeroMQ stops reading the TCP connection and the backlog waits here, in the kernel's own process
# (within its pod's memory limit, never the shared gateway's); it is at most the output the cell
# produced that the gateway has not read yet, and is freed when the subscriber disconnects.
IOPUB_SNDHWM = 0

# Output held while no gateway is subscribed to iopub (ZeroMQ PUB drops what an absent subscriber
# would get): enough for minutes of a chatty cell's prints, bounded in the kernel's own memory.
IOPUB_HOLD_MESSAGES = 2000
IOPUB_HOLD_BYTES = 16 * 1024 * 1024

_DELIM = b"<IDS|MSG>"


class HeldOutput:
    """iopub messages (lists of frames) kept while no one is subscribed: a FIFO bounded in count
    and bytes that drops its oldest when full and counts what it dropped. Pure (no zmq)."""

    def __init__(self, max_messages: int = IOPUB_HOLD_MESSAGES, max_bytes: int = IOPUB_HOLD_BYTES):
        from collections import deque

        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._messages: Any = deque()
        self.bytes = 0
        self.dropped = 0
        # parent_header (JSON bytes) of the newest dropped message: the request the notice is about.
        self.dropped_parent: Optional[bytes] = None

    def __len__(self) -> int:
        return len(self._messages)

    def push(self, frames: List[Any]) -> None:
        # Copied: frames may be memoryviews of buffers the sender reuses.
        held = [bytes(f) for f in frames]
        size = sum(len(f) for f in held)
        self._messages.append((held, size))
        self.bytes += size
        while len(self._messages) > self.max_messages or (self.bytes > self.max_bytes and self._messages):
            old, old_size = self._messages.popleft()
            self.bytes -= old_size
            self.dropped += 1
            self.dropped_parent = _parent_frame(old)

    def take(self) -> "tuple[int, Optional[bytes], List[List[bytes]]]":
        """(dropped count, the newest dropped message's parent_header, held messages in order); empties."""
        out = (self.dropped, self.dropped_parent, [m for m, _ in self._messages])
        self._messages.clear()
        self.bytes = 0
        self.dropped = 0
        self.dropped_parent = None
        return out


def _parent_frame(frames: List[bytes]) -> Optional[bytes]:
    """The parent_header frame of a serialized Jupyter message: [idents, DELIM, hmac, header, parent, ...]."""
    try:
        return frames[frames.index(_DELIM) + 3]
    except (ValueError, IndexError):
        return None


def dropped_notice_text(count: int) -> str:
    return (f"[sparkgate] {count} output message{'s' if count != 1 else ''} of this kernel "
            f"{'were' if count != 1 else 'was'} dropped while no gateway was connected (at most "
            f"{IOPUB_HOLD_MESSAGES} messages / {IOPUB_HOLD_BYTES // (1024 * 1024)} MiB are kept); "
            "the output that follows is the most recent.\n")

# How long interrupt waits for the cancel of a cell's jobs and shutdown for SparkSession.stop().
CANCEL_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 20.0

# Largest `stream` message the kernel publishes (its text, as UTF-8 and as JSON-escaped). tornado's
# websocket client, which jupyter_server's gateway relay uses unconfigured, closes the connection on
# a message over 10 MiB ("Lost connection to Gateway"; the output is lost again on each reconnect),
# so one 30 MB print hung its cell. 8 MiB leaves room for the message's header and framing.
STREAM_CHUNK_BYTES = 8 * 1024 * 1024


def split_stream_text(text: str, limit: int = STREAM_CHUNK_BYTES) -> List[str]:
    """`text` cut into pieces whose UTF-8 and JSON-string sizes are at most `limit` bytes each.

    Pieces end after the last newline that fits, else at the last character boundary that fits;
    ''.join(pieces) == text. Text that fits is returned whole (one piece), at no cost below limit/6
    characters (the most a character costs in JSON is 6 bytes, \\u001f)."""
    if len(text) * 6 <= limit:
        return [text]
    try:
        if _json_size(text) <= limit:
            return [text]
        return _split_stream_text(text, max(limit, 6))
    except Exception as exc:  # noqa: BLE001 - never lose output over a split
        log.warning("could not split a %d-character stream output: %s", len(text), exc)
        return [text]


def _json_size(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8", "surrogatepass")) - 2


def _split_stream_text(text: str, limit: int) -> List[str]:
    data = text.encode("utf-8", "surrogatepass")  # surrogatepass: lone surrogates round-trip
    pieces: List[str] = []
    pos = 0
    while pos < len(data):
        end = _cut(data, pos, pos + limit)
        piece = data[pos:end].decode("utf-8", "surrogatepass")
        size = _json_size(piece)
        while size > limit:  # JSON escapes (newlines, quotes, controls) made it too big: shrink
            # Strictly smaller each time, and any one character fits (<= 6 bytes), so this ends.
            end = _cut(data, pos, pos + min(end - pos - 1, (end - pos) * limit // size))
            piece = data[pos:end].decode("utf-8", "surrogatepass")
            size = _json_size(piece)
        pieces.append(piece)
        pos = end
    return pieces


def _cut(data: bytes, pos: int, end: int) -> int:
    """Where a piece starting at `pos` and ending at or before `end` ends: after the last newline in
    reach, else at the last character boundary (one whole character at least)."""
    if end >= len(data):
        return len(data)
    end = max(end, pos + 1)
    newline = data.rfind(b"\n", pos, end)  # 0x0A never occurs inside a UTF-8 sequence
    if newline >= pos:
        return newline + 1
    cut = end
    while cut > pos and (data[cut] & 0xC0) == 0x80:  # a continuation byte: back off
        cut -= 1
    if cut == pos:  # less room than one character: take that character whole
        cut = pos + 1
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:
            cut += 1
    return cut


def _make_outstream_class() -> type:
    from ipykernel.iostream import OutStream

    class ChunkedOutStream(OutStream):
        """ipykernel's OutStream publishing at most STREAM_CHUNK_BYTES per `stream` message."""

        def _flush_buffers(self):  # type: ignore[no-untyped-def]
            # OutStream._flush sends one `stream` message per (parent, data) this yields.
            for parent, data in super()._flush_buffers():
                for piece in split_stream_text(data):
                    yield parent, piece

    return ChunkedOutStream


_outstream_class: Optional[type] = None


def __getattr__(name: str) -> Any:
    # `ChunkedOutStream` is a module attribute for IPKernelApp.outstream_class (a dotted name), made
    # on first access so that importing this file (--help, tests) does not import ipykernel.
    global _outstream_class
    if name == "ChunkedOutStream":
        if _outstream_class is None:
            _outstream_class = _make_outstream_class()
        return _outstream_class
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Defaults for anything the gateway's conf leaves out. Networking (spark.driver.host,
# spark.driver.bindAddress, spark.ui.port, ...) comes from the gateway; the loopback fallback
# below applies only to a local master, where nothing outside this machine must reach us.
DEFAULT_CONF = {
    "spark.master": "local[*]",
    "spark.app.name": "sparkgate",
    "spark.ui.showConsoleProgress": "false",  # progress bars would land in the notebook
    "spark.sql.execution.arrow.pyspark.enabled": "true",  # fast toPandas()/createDataFrame
    "spark.log.level": "WARN",  # INFO floods the gateway log with every task
}
LOCAL_NETWORK_DEFAULTS = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}


def load_spark_conf(path: str, overrides: Optional[list] = None) -> Dict[str, str]:
    """Read the JSON conf file, apply KEY=VALUE overrides and fill in defaults.

    Values are stringified (Spark conf is text). Overrides carry what only the pod knows at start
    (its IP, the API server's address), which Kubernetes expands into the container's args.
    """
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    if not isinstance(raw, dict):
        raise ValueError(f"--spark-conf {path}: expected a JSON object of Spark conf key -> value")
    conf = dict(DEFAULT_CONF)
    for key, value in raw.items():
        if value is None:
            continue
        conf[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--conf {item!r}: expected KEY=VALUE")
        conf[key.strip()] = value
    if conf["spark.master"].startswith("local"):
        for key, value in LOCAL_NETWORK_DEFAULTS.items():
            conf.setdefault(key, value)
        # Python workers must use this interpreter (same pyspark/pandas), not whatever is on PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        # Otherwise Spark resolves the hostname and, if that is loopback, advertises the first
        # non-loopback interface for its block manager and executor.
        os.environ.setdefault("SPARK_LOCAL_IP", conf["spark.driver.bindAddress"])
    return conf


def rebind_connection_file(path: str, ip: str) -> str:
    """The connection file with `ip` replaced, written to a private runtime directory.

    On Kubernetes the file comes from a read-only Secret mount and the pod IP is known only at
    start; ipykernel rewrites a connection file whose ip it changed, so it gets its own copy
    (mode 0600, in a directory only this user can read).
    """
    with open(path, encoding="utf-8") as f:
        info = json.load(f)
    if not isinstance(info, dict):
        raise ValueError(f"{path}: expected a JSON object")
    info["ip"] = ip
    runtime = tempfile.mkdtemp(prefix="sparkgate-kernel-", dir=os.environ.get("SPARKGATE_RUNTIME_DIR"))
    copy = os.path.join(runtime, "connection.json")
    fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(info, f)
    return copy


CELL_TAG_PREFIX = "sparkgate-cell-"
# msg_ids used as they are in a tag; any other is hashed (a Spark job tag cannot contain ',').
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# What an interrupted cell shows instead of the cancelled job's Py4J error.
INTERRUPT_TEXT = "the cell's Spark jobs were cancelled"


def cell_tag(msg_id: str) -> str:
    """The Spark job tag of the cell whose execute_request has `msg_id` (the gateway's cellTag)."""
    if _PLAIN_ID.fullmatch(msg_id):
        return CELL_TAG_PREFIX + msg_id
    return CELL_TAG_PREFIX + "h-" + hashlib.sha256(msg_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def is_job_cancellation(exc: Optional[BaseException], tag: Optional[str]) -> bool:
    """Whether `exc` (or what caused it) is Spark saying the jobs tagged `tag` were cancelled."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        try:
            text = str(exc)  # a Py4JJavaError asks the JVM
        except Exception:  # noqa: BLE001
            text = ""
        if "SPARK_JOB_CANCELLED" in text or (tag and tag in text and "cancel" in text):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class SparkStarter:
    """Creates the SparkSession in a background thread and hands it out once ready."""

    def __init__(self, conf: Dict[str, str]):
        self.conf = conf
        self.ready = threading.Event()
        self.session: Any = None
        self.error: Optional[BaseException] = None
        self._stopped = False
        # Called (on the caller's thread) each time get() hands out the session: CellJobTags.apply.
        self.on_use: Optional[Callable[[], None]] = None

    def start(self) -> None:
        threading.Thread(target=self._run, name="sparkgate-spark-init", daemon=True).start()

    def _run(self) -> None:
        try:
            from pyspark.sql import SparkSession

            if self.conf.get("spark.executor.instances") == "0":
                # A warm pool's driver starts without executors and asks for them when claimed.
                # spark-submit refuses 0 ("Number of executors must be a positive number") but
                # SparkContext takes it: start the JVM without it, then create the context with it.
                from pyspark import SparkConf, SparkContext

                early = [(k, v) for k, v in self.conf.items() if k != "spark.executor.instances"]
                SparkContext._ensure_initialized(conf=SparkConf().setAll(early))
            builder = SparkSession.builder
            for key, value in self.conf.items():
                builder = builder.config(key, value)
            log.info("starting SparkSession (master %s)", self.conf.get("spark.master"))
            self.session = builder.getOrCreate()
            log.info("SparkSession ready (Spark %s, UI %s)", self.session.version,
                     self.session.sparkContext.uiWebUrl)
        except BaseException as exc:  # noqa: BLE001 - reported to the user on first use of `spark`
            self.error = exc
            if not self._stopped:  # else: we ended the JVM ourselves, shutting down mid-start
                log.error("Spark failed to start: %s: %s", type(exc).__name__, exc)
        finally:
            self.ready.set()

    def get(self) -> Any:
        """Wait for the session (interruptible) and return it, or raise why it failed."""
        if not self.ready.is_set():
            log.info("waiting for the SparkSession to start")
            # Short waits keep the main thread responsive to KeyboardInterrupt.
            while not self.ready.wait(0.2):
                pass
        if self.error is not None:
            raise RuntimeError(
                f"Spark failed to start, so `spark` and `sc` are unavailable: "
                f"{type(self.error).__name__}: {str(self.error).rstrip('.')}. "
                "Check the Spark configuration of this kernel and restart it."
            ) from self.error
        if self._stopped:
            raise RuntimeError("The SparkSession of this kernel has been stopped; restart the kernel.")
        if self.on_use is not None:
            self.on_use()
        return self.session

    def cancel_jobs(self, tag: str) -> bool:
        """Cancel the running Spark jobs tagged `tag` (one cell's); True if some ran and the cancel
        went through. Jobs of other cells (a background thread's) keep running.
        Called from the SIGINT handler, i.e. on the main thread, which may be blocked inside a
        py4j call: the calls go out on another thread (so their own py4j connection) and we wait
        for them, so a late cancel cannot hit the next cell's jobs."""
        if not self.ready.is_set() or self.session is None or self._stopped:
            return False
        cancelled = []

        def cancel() -> None:
            try:
                sc = self.session.sparkContext
                active = set(sc.statusTracker().getActiveJobsIds())
                # pyspark's StatusTracker lacks getJobIdsForTag; the JVM's has it (Spark 3.5+).
                if active and active & set(sc._jsc.sc().statusTracker().getJobIdsForTag(tag)):
                    sc.cancelJobsWithTag(tag)
                    cancelled.append(True)
                    log.info("interrupt: cancelled the running cell's Spark jobs")
            except Exception as exc:  # noqa: BLE001
                log.warning("interrupt: could not cancel Spark jobs: %s", exc)

        _run_bounded(cancel, "sparkgate-cancel", CANCEL_TIMEOUT_S)
        return bool(cancelled)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop the session and end the JVM (idempotent, bounded: a stuck stop must not keep the
        kernel alive). A session still starting is not waited for: its JVM is ended directly."""
        if self._stopped:
            return
        self._stopped = True
        if self.ready.is_set() and self.session is not None:

            def stop() -> None:
                try:
                    self.session.stop()
                    log.info("SparkSession stopped")
                except Exception as exc:  # noqa: BLE001
                    log.warning("SparkSession.stop() failed: %s", exc)

            _run_bounded(stop, "sparkgate-stop", timeout)
        _stop_jvm(timeout)


def _run_bounded(fn: Callable[[], None], name: str, timeout: float) -> None:
    """Run a py4j call on its own thread (so its own py4j connection, even while the main thread
    is blocked in another call) and wait at most `timeout` for it."""
    worker = threading.Thread(target=fn, name=name, daemon=True)
    worker.start()
    worker.join(timeout)


def _stop_jvm(timeout: float = 10.0) -> None:
    """End pyspark's JVM and reap it. SparkSession.stop() leaves the JVM running until our exit,
    and ipykernel's shutdown then keeps SIGTERMing the unreaped (zombie) java child for ~30 s."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway  # set as soon as the JVM is up, before the session is ready
    proc = getattr(gateway, "proc", None)
    if gateway is None or proc is None:
        return
    try:
        gateway.shutdown()
    except Exception:  # noqa: BLE001 - the JVM may already be gone
        pass
    try:
        if proc.stdin:
            proc.stdin.close()  # the gateway server exits when its stdin closes
        proc.wait(timeout)
    except Exception:  # noqa: BLE001 - TimeoutExpired or a broken pipe: fall back to kill
        proc.kill()
        proc.wait()
    SparkContext._gateway = None
    SparkContext._jvm = None
    log.info("JVM exited (code %s)", proc.returncode)


def _end_own_process_group() -> None:
    """SIGTERM whatever is left in our process group (a JVM still starting, spark-submit), when
    the group is ours (the gateway starts each kernel as a group leader). Without this such a JVM
    only exits once it notices its stdin closed."""
    if os.getpgid(0) != os.getpid():
        return
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(os.getpid(), signal.SIGTERM)
    except OSError:
        pass


def _exit_from_thread(reason: str) -> None:
    """End the kernel from a watcher thread: SIGTERM to ourselves runs on_sigterm on the main
    thread (Spark stopped, the group ended; signal.signal works only there). If the main thread is
    stuck in native code past the stop's bound, the whole group is killed."""
    log.warning("%s; exiting", reason)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(STOP_TIMEOUT_S)
    try:
        if os.getpgid(0) == os.getpid():
            os.killpg(os.getpid(), signal.SIGKILL)
    finally:
        os._exit(1)


def process_alive(pid: int, start: Optional[str]) -> bool:
    """True while `pid` runs and, when /proc can tell, started at `start` (a reused pid is not it).
    Zombies do not count. Mirrors server/src/backends/local/processProbe.ts."""
    if pid <= 1:
        return False
    try:
        os.kill(pid, 0)
    except OSError:  # ESRCH: gone; EPERM: another user's process now
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="latin-1") as f:
            stat = f.read()
    except OSError:
        return True  # no /proc: the pid alone
    fields = stat[stat.rfind(")") + 2:].split()
    if fields and fields[0] in ("Z", "X"):
        return False
    return start is None or (len(fields) > 19 and fields[19] == start)


class GatewayWatch:
    """Decides, once a poll, whether this kernel's gateway still holds it (see the module doc).

    The gateway is the one the record names (a re-adopting gateway rewrites it), else our parent.
    Pure but for the clock, the record reader and the liveness probe, all injectable for tests."""

    def __init__(self, record_path: str, grace_s: float, first_gateway: int,
                 clock: Callable[[], float] = time.monotonic,
                 alive: Callable[[int, Optional[str]], bool] = process_alive):
        self.record_path = record_path
        self.grace_s = grace_s
        self.gateway: tuple = (first_gateway, None)
        self.deadline: Optional[float] = None
        self._clock = clock
        self._alive = alive

    def _read_gateway(self) -> Optional[tuple]:
        """The record's gateway (pid, start); None if the record is gone. A half-read or odd
        record keeps the last one known (the gateway replaces it atomically)."""
        try:
            with open(self.record_path, encoding="utf-8") as f:
                gateway = json.load(f).get("gateway") or {}
            pid = gateway.get("pid")
            if isinstance(pid, int):
                return (pid, gateway.get("start"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, AttributeError):
            pass
        return self.gateway

    def poll(self) -> Optional[str]:
        """None while the kernel should keep running; else why it should exit now."""
        gateway = self._read_gateway()
        if gateway is not None:
            self.gateway = gateway
        if self._alive(*self.gateway):
            if self.deadline is not None:
                log.info("gateway process %d holds this kernel again; staying", self.gateway[0])
            self.deadline = None
            return None
        if gateway is None:
            return f"gateway process {self.gateway[0]} is gone and this kernel's record was removed"
        now = self._clock()
        if self.deadline is None:
            self.deadline = now + self.grace_s
            log.warning("gateway process %d is gone; exiting in %g s unless a gateway re-adopts this kernel",
                        self.gateway[0], self.grace_s)
        if now >= self.deadline:
            return f"no gateway re-adopted this kernel within {self.grace_s:g} s"
        return None


def _watch_gateway(record_path: str, grace_s: float, poll_s: float = 1.0) -> None:
    watch = GatewayWatch(record_path, grace_s, os.getppid())

    def run() -> None:
        while True:
            time.sleep(poll_s)
            reason = watch.poll()
            if reason is not None:
                # Our folder goes first (record and key): nothing may adopt a kernel that is leaving.
                shutil.rmtree(os.path.dirname(os.path.abspath(record_path)), ignore_errors=True)
                _exit_from_thread(reason)

    threading.Thread(target=run, name="sparkgate-gateway-watch", daemon=True).start()


class CellJobTags:
    """The running cell's Spark job tag, on the thread that runs the cell.

    pyspark pins each Python thread to a JVM thread, and job tags belong to that JVM thread: the
    tag is added on the cell's (main) thread before the cell runs; for a cell that started before
    the SparkSession was ready, when it first gets the session (SparkStarter.on_use, through
    LazySparkName: the real `spark`/`sc` are swapped in only after such a cell, see defer_swap).
    Removed after the cell. Also remembers whether an interrupt cancelled this cell's jobs."""

    def __init__(self, starter: SparkStarter):
        self._starter = starter
        self._lock = threading.Lock()
        self.tag: Optional[str] = None
        self._thread: Optional[int] = None
        self._applied: Optional[str] = None
        # An interrupt cancelled this cell's jobs; the error that follows shows as KeyboardInterrupt.
        self.cancelled = False
        self.shown_as_interrupt = False
        self._swap_at_end = False
        # Puts the real `spark`/`sc` in the user namespace (main() sets it).
        self.swap: Optional[Callable[[], None]] = None

    def begin(self, msg_id: Optional[str]) -> None:
        """A cell starts on this thread (its execute_request's msg_id; None: untagged)."""
        with self._lock:
            self.tag = cell_tag(msg_id) if msg_id else None
            self._thread = threading.get_ident()
            self._applied = None
            self.cancelled = False
            self.shown_as_interrupt = False
        self.apply()

    def apply(self) -> None:
        """Adds the tag when on the cell's thread, Spark is up and it is not added yet."""
        tag = self.tag
        starter = self._starter
        if tag is None or self._applied == tag or threading.get_ident() != self._thread:
            return
        if not starter.ready.is_set() or starter.session is None or starter.error is not None or starter._stopped:
            return
        try:
            starter.session.sparkContext.addJobTag(tag)
            self._applied = tag
        except Exception as exc:  # noqa: BLE001 - the cell runs anyway, untagged
            log.warning("could not tag the cell's Spark jobs: %s", exc)

    def end(self) -> bool:
        """The cell ended (on its thread): the tag goes. True if its error was shown as an interrupt."""
        with self._lock:
            applied = self._applied
            shown = self.shown_as_interrupt
            swap = self._swap_at_end
            self.tag = self._thread = self._applied = None
            self.cancelled = self.shown_as_interrupt = self._swap_at_end = False
        if applied is not None:
            try:
                self._starter.session.sparkContext.removeJobTag(applied)
            except Exception as exc:  # noqa: BLE001
                log.warning("could not untag the cell's thread: %s", exc)
        if swap and self.swap is not None:
            self.swap()
        return shown

    def defer_swap(self) -> bool:
        """For the thread that swaps the real objects in once Spark is up: True while a cell runs
        untagged (it must get the session through LazySparkName to be tagged); it swaps at its end."""
        with self._lock:
            if self.tag is not None and self._applied is None:
                self._swap_at_end = True
                return True
            return False

    def shows_as_interrupt(self, exc: Optional[BaseException]) -> bool:
        """Whether the cell's error `exc` is the cancellation an interrupt of this cell caused."""
        if self.cancelled and is_job_cancellation(exc, self.tag):
            self.shown_as_interrupt = True
            return True
        return False


def interrupted_reply(reply: Dict[str, Any]) -> Dict[str, Any]:
    """An execute_reply whose error was shown as an interrupt says KeyboardInterrupt too."""
    if reply.get("status") == "error":
        reply["ename"] = "KeyboardInterrupt"
        reply["evalue"] = INTERRUPT_TEXT
    return reply


class LazySparkName:
    """Stands in for `spark` / `sc` until the session is ready; the first real use waits for it.

    Once resolved, the real object replaces this placeholder in the user namespace, so later
    code (isinstance, passing it to libraries) sees the real thing."""

    def __init__(self, name: str, starter: SparkStarter, pick: Callable[[Any], Any],
                 namespace: Dict[str, Any]):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_starter", starter)
        object.__setattr__(self, "_pick", pick)
        object.__setattr__(self, "_namespace", namespace)

    def _real(self) -> Any:
        real = self._pick(self._starter.get())
        if self._namespace.get(self._name) is self:
            self._namespace[self._name] = real
        return real

    def __getattr__(self, attr: str) -> Any:
        # IPython probes objects (display, completion, inspection) with _repr_*/_ipython_*/dunder
        # lookups; don't block the kernel on those while Spark is still starting.
        if attr.startswith(("_ipython", "_repr_", "__")) and not self._starter.ready.is_set():
            raise AttributeError(attr)
        return getattr(self._real(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._real(), attr, value)

    def __dir__(self) -> Any:
        return dir(self._real()) if self._starter.ready.is_set() else []

    def __repr__(self) -> str:
        if self._starter.ready.is_set():
            if self._starter.error is not None:
                return f"<{self._name}: Spark failed to start: {self._starter.error}>"
            return repr(self._real())
        return f"<{self._name}: the SparkSession is still starting; it is ready on first use>"


def _make_kernel_class(starter: Optional[SparkStarter], cells: Optional[CellJobTags] = None) -> type:
    # ipykernel is imported here, not at module level, so `--help` and conf errors are fast.
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.zmqshell import ZMQInteractiveShell
    from traitlets import Type

    class SparkgateShell(ZMQInteractiveShell):
        """The shell: the job-cancelled error of an interrupted cell shows as a KeyboardInterrupt."""

        def showtraceback(self, exc_tuple: Any = None, *args: Any, **kwargs: Any) -> None:
            try:
                value = self._get_exc_info(exc_tuple)[1]
            except ValueError:  # no exception at hand
                value = None
            if cells is not None and cells.shows_as_interrupt(value):
                interrupt = KeyboardInterrupt(INTERRUPT_TEXT)
                self._showtraceback(KeyboardInterrupt, interrupt,
                                    self.InteractiveTB.get_exception_only(KeyboardInterrupt, interrupt))
                return
            super().showtraceback(exc_tuple, *args, **kwargs)

    class SparkgateKernel(IPythonKernel):
        """IPythonKernel whose cells tag their Spark jobs and whose SIGINT cancels them."""

        shell_class = Type(SparkgateShell)

        async def do_execute(self, code: str, silent: bool, *args: Any, **kwargs: Any) -> Any:
            if cells is None:
                reply = super().do_execute(code, silent, *args, **kwargs)
                return await reply if inspect.isawaitable(reply) else reply
            parent = self.get_parent("shell") or {}
            cells.begin((parent.get("header") or {}).get("msg_id"))
            try:
                reply = super().do_execute(code, silent, *args, **kwargs)
                if inspect.isawaitable(reply):
                    reply = await reply
            finally:
                interrupted = cells.end()
            return interrupted_reply(reply) if interrupted else reply

        def pre_handler_hook(self) -> None:
            # ipykernel installs default_int_handler around each shell handler (SIGINT is ignored
            # while idle); ours cancels the cell's Spark jobs first, else raises KeyboardInterrupt.
            self.saved_sigint_handler = signal.signal(signal.SIGINT, self._on_sigint)

        def _on_sigint(self, signum: int, frame: Any) -> None:
            tag = cells.tag if cells is not None else None
            if starter is not None and cells is not None and tag is not None and starter.cancel_jobs(tag):
                # The cell is blocked in a Spark call that now fails with "job cancelled" (shown
                # as KeyboardInterrupt, SparkgateShell). Raising here instead would tear that
                # call's py4j connection mid-reply and show a Py4JNetworkError.
                cells.cancelled = True
                return
            raise KeyboardInterrupt

        def do_shutdown(self, restart: bool) -> Any:
            if starter is not None:
                starter.stop()
            return super().do_shutdown(restart)

    return SparkgateKernel


def _make_iopub_thread_class() -> type:
    import zmq
    from ipykernel.iostream import CHILD, IOPubThread
    from zmq.eventloop.zmqstream import ZMQStream

    class HoldingIOPubThread(IOPubThread):
        """ipykernel's IOPub thread on an XPUB socket: holds output while no one is subscribed.

        Everything here runs in the IOPub thread (its io_loop), the only user of the socket:
        subscriptions are read by a ZMQStream on the loop and, since a send on the same socket can
        consume the edge-triggered readiness of its fd, also right before and after each send."""

        def __init__(self, socket: Any, pipe: bool = False,
                     notice: Optional[Callable[[int, Optional[bytes]], List[bytes]]] = None):
            super().__init__(socket, pipe)
            self._topics: set = set()
            self.held = HeldOutput()
            self._notice = notice
            self._subscriptions = ZMQStream(socket, self.io_loop)
            self._subscriptions.on_recv(self._on_subscription)

        def _on_subscription(self, frames: List[bytes]) -> None:
            self._note(frames)
            self._read_subscriptions()

        def _read_subscriptions(self) -> None:
            while True:
                try:
                    frames = self.socket.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    return
                self._note(frames)

        def _note(self, frames: List[bytes]) -> None:
            # XPUB (not verbose) passes a topic's subscribe once, and its unsubscribe once the last
            # subscriber of it is gone (a closed TCP connection counts): the set is "who listens".
            event = frames[0] if frames else b""
            if not event or event[0] not in (0, 1):
                return
            was_empty = not self._topics
            if event[0] == 1:
                self._topics.add(event[1:])
            else:
                self._topics.discard(event[1:])
            if was_empty and self._topics:
                self._publish_held()
            elif not was_empty and not self._topics:
                log.info("iopub: no subscriber; holding output until a gateway subscribes")

        def _publish_held(self) -> None:
            dropped, parent, messages = self.held.take()
            if dropped:
                log.warning("iopub: %d output messages dropped while no gateway was subscribed", dropped)
                if self._notice is not None:
                    try:
                        self.socket.send_multipart(self._notice(dropped, parent))
                    except Exception as exc:  # noqa: BLE001 - the held output still goes out
                        log.warning("iopub: could not publish the dropped-output notice: %s", exc)
            if messages:
                log.info("iopub: a subscriber is back; publishing %d held messages", len(messages))
            for frames in messages:
                self.socket.send_multipart(frames)

        def _really_send(self, msg: Any, *args: Any, **kwargs: Any) -> None:
            if self.closed or self._check_mp_mode() == CHILD:
                return super()._really_send(msg, *args, **kwargs)  # a forked child pipes to us
            self._read_subscriptions()
            if not self._topics:
                self.held.push(msg)
                return
            self.socket.send_multipart(msg, *args, **kwargs)
            self._read_subscriptions()

    return HoldingIOPubThread


def _make_app_class() -> type:
    import zmq
    from ipykernel.kernelapp import IPKernelApp
    from traitlets import Bool

    class SparkgateKernelApp(IPKernelApp):
        """IPKernelApp whose iopub never drops output: no send HWM (IOPUB_SNDHWM), and an XPUB
        socket that holds output while no gateway is subscribed (HoldingIOPubThread)."""

        iopub_hwm_set = False
        # True with --record: GatewayWatch decides when the kernel goes, not ipykernel's poller
        # (which exits as soon as we are reparented, i.e. at once after a gateway crash).
        own_gateway_watch = Bool(False)

        def init_poller(self) -> None:
            if self.own_gateway_watch:
                self.poller = None
                return
            super().init_poller()

        def _bind_socket(self, s: Any, port: Any) -> Any:
            # Set before bind, i.e. before any subscriber's pipe exists (and before the iopub
            # thread owns the socket: zmq sockets are not thread-safe).
            if s.socket_type in (zmq.PUB, zmq.XPUB):
                s.setsockopt(zmq.SNDHWM, IOPUB_SNDHWM)
                self.iopub_hwm_set = True
            return super()._bind_socket(s, port)

        def init_iopub(self, context: Any) -> None:
            # ipykernel 6.29's init_iopub with an XPUB socket and our thread (the pinned version;
            # ipykernel 7 has its own XPUB handling and a different init_iopub).
            self.iopub_socket = context.socket(zmq.XPUB)
            self.iopub_socket.linger = 1000
            self.iopub_port = self._bind_socket(self.iopub_socket, self.iopub_port)
            self.configure_tornado_logger()
            self.iopub_thread = _make_iopub_thread_class()(self.iopub_socket, pipe=True, notice=self._dropped_notice)
            self.iopub_thread.start()
            self.iopub_socket = self.iopub_thread.background_socket

        def _dropped_notice(self, count: int, parent: Optional[bytes]) -> List[bytes]:
            """A signed `stream` stderr message saying `count` output messages were dropped."""
            try:
                parent_header = json.loads(parent) if parent else {}
            except ValueError:
                parent_header = {}
            msg = self.session.msg("stream", {"name": "stderr", "text": dropped_notice_text(count)},
                                   parent=parent_header if isinstance(parent_header, dict) else {})
            return self.session.serialize(msg, ident=b"stream.stderr")

    return SparkgateKernelApp


def _watch_parent(parent_pid: int) -> None:
    """ipykernel's own parent poller only notices reparenting to pid 1; under a subreaper
    (containers, systemd --user) the orphan gets another parent. Exit when ours changes."""

    def run() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                _exit_from_thread(f"parent process {parent_pid} is gone")

    threading.Thread(target=run, name="sparkgate-parent-watch", daemon=True).start()


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connection-file", required=True, help="Jupyter connection file (JSON)")
    parser.add_argument("--spark-conf", help="JSON object of Spark conf; omit for a kernel without Spark")
    parser.add_argument("--ip", help="address to bind instead of the connection file's (a pod's own IP)")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="Spark conf set on top of --spark-conf (values the pod knows only at start)")
    parser.add_argument("--record", help="this kernel's record (local runtime directory); see --adopt-grace")
    parser.add_argument("--adopt-grace", type=float, default=300.0, metavar="SECONDS",
                        help="with --record: how long to outlive a gateway that is gone, waiting to be re-adopted")
    args = parser.parse_args(argv)

    # Our lines at INFO, everyone else's (py4j, ipykernel) at WARNING; all to the real stderr.
    logging.basicConfig(
        stream=sys.__stderr__,
        level=logging.WARNING,
        format="%(asctime)s sparkgate-launcher %(levelname)s %(name)s: %(message)s",
    )
    log.setLevel(os.environ.get("SPARKGATE_LAUNCHER_LOG_LEVEL", "INFO").upper())

    if not os.path.isfile(args.connection_file):
        log.error("connection file not found: %s", args.connection_file)
        return 2
    starter = None
    if args.spark_conf:
        try:
            starter = SparkStarter(load_spark_conf(args.spark_conf, args.conf))
        except (OSError, ValueError) as exc:
            log.error("cannot read Spark conf: %s", exc)
            return 2
    connection_file = os.path.abspath(args.connection_file)
    if args.ip:
        try:
            connection_file = rebind_connection_file(connection_file, args.ip)
        except (OSError, ValueError) as exc:
            log.error("cannot read connection file: %s", exc)
            return 2

    cells = CellJobTags(starter) if starter is not None else None
    app = _make_app_class().instance(
        own_gateway_watch=bool(args.record),
        kernel_class=_make_kernel_class(starter, cells),
        connection_file=connection_file,
        # Output written straight to fd 1/2 (the JVM's log4j, native libs) goes to the kernel's
        # stderr, i.e. the gateway log, instead of showing up in whichever cell runs.
        capture_fd_output=False,
        # A huge print is published as several `stream` messages (STREAM_CHUNK_BYTES).
        outstream_class=f"{__name__}.ChunkedOutStream",
    )
    app.initialize([])  # our own flags are not ipykernel's; configure through the constructor
    log.info("kernel listening on %s (pid %d)", app.ip, os.getpid())
    if not app.iopub_hwm_set:  # an ipykernel that no longer binds through _bind_socket
        log.warning("iopub send high-water mark not applied; output may be dropped under load")

    parent = int(os.environ.get("JPY_PARENT_PID") or 0)
    if args.record:
        _watch_gateway(args.record, max(0.0, args.adopt_grace))
    elif parent > 1 and os.getppid() == parent:
        _watch_parent(parent)

    if starter is not None and cells is not None:
        ns = app.kernel.shell.user_ns
        ns["spark"] = LazySparkName("spark", starter, lambda session: session, ns)
        ns["sc"] = LazySparkName("sc", starter, lambda session: session.sparkContext, ns)
        starter.on_use = cells.apply

        def swap() -> None:
            if starter.error is None and starter.session is not None:
                for name, value in (("spark", starter.session), ("sc", starter.session.sparkContext)):
                    if isinstance(ns.get(name), LazySparkName):
                        ns[name] = value

        cells.swap = swap
        starter.start()

        def resolve_when_ready() -> None:
            # Swap in the real objects as soon as they exist, so `type(spark)` etc. are real; but
            # not under a running cell that is not tagged yet (it tags itself via LazySparkName).
            starter.ready.wait()
            if not cells.defer_swap():
                swap()

        threading.Thread(target=resolve_when_ready, name="sparkgate-spark-bind", daemon=True).start()

    def on_sigterm(signum: int, frame: Any) -> None:
        # Pod deletion / gateway shutdown: stop Spark cleanly (on Kubernetes the driver then deletes
        # its executors itself), then leave without waiting for the event loop.
        log.info("SIGTERM: shutting down")
        if starter is not None:
            starter.stop(timeout=STOP_TIMEOUT_S / 2)
        _end_own_process_group()
        logging.shutdown()
        os._exit(0)

    signal.signal(signal.SIGTERM, on_sigterm)
    # `kill -USR1 <pid>` dumps every thread's stack to stderr: the way to see where a kernel hangs.
    faulthandler.register(signal.SIGUSR1, file=sys.__stderr__, all_threads=True)
    try:
        app.start()
    finally:
        if starter is not None:
            starter.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
