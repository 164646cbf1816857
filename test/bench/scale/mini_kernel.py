#!/usr/bin/env python3
"""Many minimal Jupyter kernels in one process, for the gateway scale benchmark.

Each kernel is what a gateway sees of a real one: its own five ZeroMQ sockets on 127.0.0.1
(shell, control and stdin ROUTER, iopub PUB, heartbeat REP), hmac-sha256 signed messages, and
the protocol a gateway uses: kernel_info_request, execute_request (status busy, execute_input,
output, execute_reply, status idle), shutdown_request; any other *_request gets an ok reply.
One process hosts up to --capacity kernels on one zmq.Poller, so 1,000 kernels fit on a laptop.

Commands on stdin, one per line; answers on stdout:
    start <kernel_id> <key>   ->  started <kernel_id> {"shell_port": ..., ...}
    stop <kernel_id>          ->  stopped <kernel_id>
Code understood by execute_request:
    stream <count> <bytes>    ->  <count> stream messages of <bytes> characters each
                                  (interleaved with the other kernels of this process);
                                  <bytes> 0 means the numbered lines "0\n", "1\n", ...
    anything else             ->  no output
The process exits when stdin closes. Needs only pyzmq.

    mini_kernel.py --connection-file PATH   runs one such kernel on the ports and key of a Jupyter
                                            connection file (a kernelspec for EG/KG), until SIGTERM.
"""
import hashlib
import hmac
import json
import os
import sys
import uuid
from datetime import datetime, timezone

import zmq

DELIM = b"<IDS|MSG>"
STREAM_SLICE = 20  # stream messages sent per kernel per loop turn, so kernels interleave


def now():
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class Kernel:
    def __init__(self, ctx, kid, key, ports=None):
        self.id = kid
        self.key = key.encode()
        self.session = uuid.uuid4().hex
        self.count = 0
        self.sockets = {}
        fixed = ports is not None
        ports = dict(ports) if fixed else {}
        for name, kind in (("shell", zmq.ROUTER), ("control", zmq.ROUTER), ("stdin", zmq.ROUTER), ("iopub", zmq.PUB), ("hb", zmq.REP)):
            s = ctx.socket(kind)
            s.linger = 0
            if name == "iopub":
                s.sndhwm = 0  # account for every message: never drop output
            if fixed:
                s.bind(f"tcp://127.0.0.1:{ports[name + '_port']}")
            else:
                ports_out = s.bind_to_random_port("tcp://127.0.0.1")
                ports[f"{name}_port"] = ports_out
            self.sockets[name] = s
        self.ports = ports
        self.streams = []  # [parent_header, remaining, text, msg_id, idents, socket]

    def sign(self, parts):
        h = hmac.new(self.key, digestmod=hashlib.sha256)
        for p in parts:
            h.update(p)
        return h.hexdigest().encode()

    def send(self, channel, msg_type, content, parent, idents=()):
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": self.session,
                  "username": "mini", "date": now(), "version": "5.3"}
        parts = [json.dumps(header).encode(), json.dumps(parent).encode(), b"{}", json.dumps(content).encode()]
        self.sockets[channel].send_multipart([*idents, DELIM, self.sign(parts), *parts])

    def status(self, state, parent):
        self.send("iopub", "status", {"execution_state": state}, parent)

    def handle(self, channel, frames):
        if channel == "hb":
            self.sockets["hb"].send_multipart(frames)
            return
        if DELIM not in frames or len(frames) < frames.index(DELIM) + 6:
            return  # malformed (seen once in a scale run): drop it, as ipykernel does, not the 100 kernels here
        at = frames.index(DELIM)
        idents, sig, parts = frames[:at], frames[at + 1], frames[at + 2:at + 6]
        if not hmac.compare_digest(sig, self.sign(parts)):
            return  # invalid signature: drop, as ipykernel does
        header = json.loads(parts[0])
        content = json.loads(parts[3])
        mtype = self.last_type = header["msg_type"]
        self.status("busy", header)
        if mtype == "kernel_info_request":
            self.send(channel, "kernel_info_reply", {
                "status": "ok", "protocol_version": "5.3", "implementation": "sparkgate-bench-mini",
                "implementation_version": "1", "language_info": {"name": "python", "version": sys.version.split()[0]},
                "banner": "", "help_links": []}, header, idents)
        elif mtype == "execute_request":
            self.count += 1
            self.send("iopub", "execute_input", {"code": content.get("code", ""), "execution_count": self.count}, header)
            words = content.get("code", "").split()
            if len(words) == 3 and words[0] == "stream":
                n, size = int(words[1]), int(words[2])
                text = ("x" * (size - 1)) + "\n" if size > 0 else None
                self.streams.append([header, n, text, idents, channel, 0])
                return  # reply and idle follow the last stream message
            self.send(channel, "execute_reply", {"status": "ok", "execution_count": self.count, "user_expressions": {}, "payload": []}, header, idents)
        elif mtype == "shutdown_request":
            self.send(channel, "shutdown_reply", {"status": "ok", "restart": bool(content.get("restart"))}, header, idents)
        elif mtype.endswith("_request"):
            self.send(channel, mtype[:-8] + "_reply", {"status": "ok"}, header, idents)
        self.status("idle", header)

    def pump(self):
        """Sends the next slice of every running stream; finishes requests whose output is out."""
        for s in list(self.streams):
            header, left, text, idents, channel, sent = s
            for i in range(sent, sent + min(STREAM_SLICE, left)):
                self.send("iopub", "stream", {"name": "stdout", "text": text if text is not None else f"{i}\n"}, header)
            s[5] = sent + min(STREAM_SLICE, left)
            s[1] = left = left - min(STREAM_SLICE, left)
            if left == 0:
                self.streams.remove(s)
                self.send(channel, "execute_reply", {"status": "ok", "execution_count": self.count, "user_expressions": {}, "payload": []}, header, idents)
                self.status("idle", header)

    def close(self):
        for s in self.sockets.values():
            s.close(0)


def serve_one(path):
    """One kernel on the connection file's ports, until SIGTERM."""
    import signal
    with open(path) as f:
        info = json.load(f)
    ctx = zmq.Context()
    k = Kernel(ctx, "single", info["key"], {n + "_port": info[n + "_port"] for n in ("shell", "control", "stdin", "iopub", "hb")})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    poller = zmq.Poller()
    owner = {}
    for name, s in k.sockets.items():
        if name != "iopub":
            poller.register(s, zmq.POLLIN)
            owner[s] = name
    while True:
        for sock, _ in poller.poll(0 if k.streams else 1000):
            while True:
                try:
                    frames = sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                k.handle(owner[sock], frames)
                if getattr(k, "last_type", None) == "shutdown_request":
                    k.close()
                    return
        k.pump()


def main():
    if "--connection-file" in sys.argv:
        return serve_one(sys.argv[sys.argv.index("--connection-file") + 1])
    capacity = int(sys.argv[sys.argv.index("--capacity") + 1]) if "--capacity" in sys.argv else 100
    ctx = zmq.Context()
    ctx.set(zmq.MAX_SOCKETS, capacity * 5 + 16)
    poller = zmq.Poller()
    stdin = sys.stdin.fileno()
    poller.register(stdin, zmq.POLLIN)
    kernels = {}
    owner = {}  # socket -> (kernel, channel)
    buf = b""
    while True:
        streaming = [k for k in kernels.values() if k.streams]
        for sock, _ in poller.poll(0 if streaming else 1000):
            if sock == stdin:
                chunk = os.read(stdin, 65536)
                if not chunk:
                    for k in kernels.values():
                        k.close()
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    cmd = line.decode().split()
                    if cmd and cmd[0] == "start":
                        k = Kernel(ctx, cmd[1], cmd[2])
                        kernels[k.id] = k
                        for name, s in k.sockets.items():
                            if name != "iopub":
                                poller.register(s, zmq.POLLIN)
                                owner[s] = (k, name)
                        print("started", k.id, json.dumps(k.ports), flush=True)
                    elif cmd and cmd[0] == "stop":
                        k = kernels.pop(cmd[1], None)
                        if k:
                            for name, s in k.sockets.items():
                                if name != "iopub":
                                    poller.unregister(s)
                                    owner.pop(s, None)
                            k.close()
                        print("stopped", cmd[1], flush=True)
                continue
            k, name = owner.get(sock, (None, None))
            if k is not None:
                while True:
                    try:
                        frames = sock.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    k.handle(name, frames)
        for k in streaming:
            k.pump()


if __name__ == "__main__":
    main()
