#!/usr/bin/env python3
"""Hand-run smoke check of sparkgate_launcher.py, talking to it like the gateway does.

    python images/kernel/smoke_launcher.py [--no-spark] [--interrupt signal|message]

Starts the launcher on a fresh connection file (own process group, JPY_PARENT_PID set), then:
kernel_info answers before Spark is up; `spark`/`sc` work; time.sleep(60) and a long Spark job
are interrupted within seconds and the next cell runs; shutdown_request ends the kernel and its
JVM. Prints one line per check and exits non-zero on the first failure.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

HERE = os.path.dirname(os.path.abspath(__file__))


def check(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        raise SystemExit(1)


def run(kc: BlockingKernelClient, code: str, timeout: float = 120) -> dict:
    """Execute code; return {status, stdout, ename, seconds}."""
    start = time.monotonic()
    msg_id = kc.execute(code)
    out, ename = [], None
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stdout":
            out.append(content["text"])
        elif kind == "error":
            ename = content["ename"]
        elif kind == "status" and content["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    return {"status": reply["content"]["status"], "stdout": "".join(out), "ename": ename,
            "seconds": time.monotonic() - start}


def interrupt_while_running(kc, proc, code: str, how: str, after: float = 3.0) -> dict:
    msg_id = kc.execute(code)
    time.sleep(after)
    t0 = time.monotonic()
    if how == "signal":
        os.kill(proc.pid, signal.SIGINT)  # what the local backend does
    else:
        kc.control_channel.send(kc.session.msg("interrupt_request", {}))
    ename = None
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "error":
            ename = msg["content"]["ename"]
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    kc.get_shell_msg(timeout=10)
    return {"ename": ename, "seconds": time.monotonic() - t0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument("--interrupt", choices=["signal", "message"], default="signal")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="sparkgate-smoke-")
    cf = os.path.join(tmp, "kernel.json")
    write_connection_file(cf, ip="127.0.0.1", key=os.urandom(16).hex().encode(), signature_scheme="hmac-sha256")
    cmd = [sys.executable, os.path.join(HERE, "sparkgate_launcher.py"), "--connection-file", cf]
    if not args.no_spark:
        conf = os.path.join(tmp, "spark.json")
        with open(conf, "w") as f:
            json.dump({"spark.master": "local[2]", "spark.app.name": "sparkgate-smoke"}, f)
        cmd += ["--spark-conf", conf]
    env = dict(os.environ, JPY_PARENT_PID=str(os.getpid()))
    log = open(os.path.join(tmp, "kernel.log"), "w")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    kc = BlockingKernelClient(connection_file=cf)
    kc.load_connection_file()
    # No heartbeat channel: without a KernelManager, wait_for_ready would take a not-yet-beating
    # heartbeat for a dead kernel.
    kc.start_channels(hb=False)
    try:
        kc.wait_for_ready(timeout=30)
        check(True, f"kernel_info answered after {time.monotonic() - started:.1f}s")
        r = run(kc, "print('one:', 1)")
        check(r["stdout"] == "one: 1\n", "plain cell runs")
        if not args.no_spark:
            r = run(kc, "print('count:', spark.range(10).count()); print('sc:', type(sc).__name__)")
            check("count: 10" in r["stdout"] and "sc: SparkContext" in r["stdout"],
                  f"spark.range(10).count() == 10 via lazy spark/sc ({r['seconds']:.1f}s incl. startup)")
        else:
            r = run(kc, "print('spark' in dir())")
            check(r["stdout"] == "False\n", "no `spark` without --spark-conf")

        r = interrupt_while_running(kc, proc, "import time; time.sleep(60)", args.interrupt)
        check(r["ename"] == "KeyboardInterrupt" and r["seconds"] < 5,
              f"time.sleep(60) interrupted ({args.interrupt}) in {r['seconds']:.1f}s")
        if not args.no_spark:
            r = interrupt_while_running(kc, proc, "spark.range(10**12).selectExpr('sum(id % 7)').collect()",
                                        args.interrupt, after=5)
            check(r["seconds"] < 5, f"long Spark job interrupted ({args.interrupt}) in {r['seconds']:.1f}s, {r['ename']}")
            r = run(kc, "print('active jobs:', len(sc.statusTracker().getActiveJobsIds())); print('after:', spark.range(5).count())")
            check("active jobs: 0" in r["stdout"] and "after: 5" in r["stdout"],
                  f"no job left running, next Spark cell runs: {r['stdout'].strip()!r}")
        check(proc.poll() is None, "kernel still alive after interrupts")

        kc.shutdown()
        try:
            proc.wait(timeout=30)
            check(True, f"kernel exited on shutdown_request (code {proc.returncode})")
        except subprocess.TimeoutExpired:
            check(False, "kernel exited on shutdown_request")
        time.sleep(1)
        leftover = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
        check(not leftover, f"no process left in the kernel's process group {leftover}")
        with open(os.path.join(tmp, "kernel.log")) as f:
            key = json.load(open(cf))["key"]
            check(key not in f.read(), "connection key not in the kernel log")
    finally:
        kc.stop_channels()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        print(f"kernel log: {os.path.join(tmp, 'kernel.log')}")


if __name__ == "__main__":
    main()
