"""Shared by benches/abuse.sh and benches/tcp_idle.sh: start alwayson on a
free loopback port with the sample zone, a minimal DNS client, and the
server's resident memory. Standard library only."""

import os
import random
import shutil
import socket
import struct
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
                    return port
            except OSError:
                continue


def encode_query(qid, name="www.example.com.", qtype=1):
    labels = b"".join(
        bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")
    )
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + labels + b"\0" + struct.pack(">HH", qtype, 1)


def rss_kb(pid):
    """VmRSS and VmHWM of `pid`, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out["VmRSS"], out["VmHWM"]


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


class Server:
    """alwayson serving zones/example.com.toml with `tcp_config` as [dns.tcp]."""

    def __init__(self, alwayson, tcp_config=""):
        self.dir = tempfile.mkdtemp(prefix="alwayson-bench-")
        zones = os.path.join(self.dir, "zones")
        os.mkdir(zones)
        shutil.copy(os.path.join(ROOT, "zones", "example.com.toml"), zones)
        self.port = free_port()
        config = os.path.join(self.dir, "alwayson.toml")
        with open(config, "w") as f:
            f.write(
                'state_dir = "off"\n[dns]\n'
                f'listen = ["127.0.0.1:{self.port}"]\nzones_dir = "zones"\n'
                f"[dns.tcp]\n{tcp_config}\n"
                '[admin]\nlisten = "off"\n[reload]\nwatch = false\n'
            )
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [alwayson, "serve", "--config", config],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.addr = ("127.0.0.1", self.port)
        deadline = time.time() + 20
        while self.udp_answered(20, wait=0.2) == 0:
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("alwayson did not start; log in " + self.dir)

    def udp_answered(self, count, wait=1.0, window=32):
        """Sends `count` queries (up to `window` outstanding) and returns how
        many got an answer with their id within `wait` each."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(wait)
        answered, sent, outstanding = 0, 0, set()
        while sent < count or outstanding:
            while sent < count and len(outstanding) < window:
                qid = sent & 0xFFFF
                s.sendto(encode_query(qid), self.addr)
                outstanding.add(qid)
                sent += 1
            try:
                data = s.recv(4096)
            except socket.timeout:
                outstanding.clear()  # lost: counted as unanswered
                continue
            qid = struct.unpack(">H", data[:2])[0]
            if qid in outstanding:
                outstanding.discard(qid)
                answered += 1
        s.close()
        return answered

    def rss(self):
        return rss_kb(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def garbage(rng, low, high):
    return rng.randbytes(rng.randint(low, high))


def mb(kb):
    return f"{kb / 1024:.1f} MB"


__all__ = ["Server", "encode_query", "garbage", "mb", "threads", "random", "socket", "time"]
