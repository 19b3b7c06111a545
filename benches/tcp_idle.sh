#!/usr/bin/env bash
# 10k idle TCP connections held open against alwayson: resident memory
# before, while they are held and after they close, and UDP queries
# answered while they are held (goal >= 99 %). The connections come from
# 200 loopback source addresses (127.1.0.1 ...), 50 each, so the default
# [dns.tcp] limits apply (max_connections 10000, 64 per client) except the
# idle timeout, raised to 120 s so that they stay. A few held connections
# are then asked a query, to show they are served, not just held.
#
# Needs: a release build (cargo build --release), python3 (standard library
# only), and file descriptors for 10k sockets on each side: the script raises
# `ulimit -n` to 30000 (or the hard limit). Env: ALWAYSON, CONNECTIONS
# (default 10000), UDP_QUERIES (default 20000).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
alwayson=${ALWAYSON:-$root/target/release/alwayson}
if [[ ! -x $alwayson ]]; then
    echo "missing $alwayson (run: cargo build --release)" >&2
    exit 2
fi
hard=$(ulimit -Hn)
want=30000
if [[ $hard != unlimited && $hard -lt $want ]]; then want=$hard; fi
ulimit -n "$want"

PYTHONPATH=$root/benches exec python3 - "$alwayson" "${CONNECTIONS:-10000}" "${UDP_QUERIES:-20000}" <<'PYTHON'
import struct
import sys

from abuse_common import Server, encode_query, mb, socket, threads, time

ALWAYSON, CONNECTIONS, UDP_QUERIES = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
PER_SOURCE = 50

server = Server(ALWAYSON, 'idle_timeout = "120s"')
held = []
try:
    pid = server.proc.pid
    server.udp_answered(5000)
    time.sleep(0.5)
    before = server.rss()
    print(f"before: VmRSS {mb(before[0])}, threads {threads(pid)}")
    t0 = time.time()
    failed = 0
    for i in range(CONNECTIONS):
        source = f"127.1.{(i // PER_SOURCE) // 250}.{(i // PER_SOURCE) % 250 + 1}"
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            c.bind((source, 0))
            c.connect(server.addr)
            held.append(c)
        except OSError:
            failed += 1
            c.close()
    time.sleep(2)
    # A connection the server closed (over a limit) reads EOF at once.
    open_ = 0
    for c in held:
        c.setblocking(False)
        try:
            open_ += c.recv(1) != b""
        except BlockingIOError:
            open_ += 1
        except OSError:
            pass
    print(f"opened {len(held)} connections ({failed} failed) in {time.time() - t0:.1f} s; "
          f"{open_} still open after 2 s")
    held_rss = server.rss()
    print(f"while held: VmRSS {mb(held_rss[0])} "
          f"({(held_rss[0] - before[0]) * 1024 / max(open_, 1):.0f} bytes per connection)")
    t0 = time.time()
    answered = server.udp_answered(UDP_QUERIES)
    took = time.time() - t0
    print(f"UDP while held: {answered}/{UDP_QUERIES} answered "
          f"({100 * answered / UDP_QUERIES:.2f} %) in {took:.1f} s")
    served = 0
    for c in held[-20:]:
        c.setblocking(True)
        c.settimeout(2)
        q = encode_query(7)
        try:
            c.sendall(struct.pack(">H", len(q)) + q)
            served += len(c.recv(4096)) > 2
        except OSError:
            pass
    print(f"queries on 20 held connections: {served} answered")
    for c in held:
        c.close()
    held = []
    time.sleep(2)
    after = server.rss()
    print(f"after closing them: VmRSS {mb(after[0])}, VmHWM {mb(after[1])}")
finally:
    for c in held:
        c.close()
    server.stop()
PYTHON
