#!/usr/bin/env bash
# Memory under abuse: resident memory of alwayson at steady state (after
# 20k good UDP queries), after 200k garbage UDP packets (runts, random
# bytes, headers that parse with bodies that do not, "responses"), after
# 2k garbage TCP streams (random lengths and bytes, some stopping halfway
# through a frame, 100 open at a time), and after both again (growth that
# continues is a leak; growth that stops is a bound). Prints VmRSS at each
# step and VmHWM (the peak).
#
# Needs: a release build (cargo build --release) and python3 (standard
# library only). Installs nothing. Env: ALWAYSON (binary), UDP_PACKETS
# (default 200000), TCP_STREAMS (default 2000).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
alwayson=${ALWAYSON:-$root/target/release/alwayson}
if [[ ! -x $alwayson ]]; then
    echo "missing $alwayson (run: cargo build --release)" >&2
    exit 2
fi

PYTHONPATH=$root/benches exec python3 - "$alwayson" "${UDP_PACKETS:-200000}" "${TCP_STREAMS:-2000}" <<'PYTHON'
import struct
import sys

from abuse_common import Server, garbage, mb, random, socket, threads, time

ALWAYSON, UDP_PACKETS, TCP_STREAMS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(13)


def udp_garbage(server, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    for i in range(count):
        kind = i % 4
        if kind == 0:
            packet = garbage(rng, 0, 11)  # runts
        elif kind == 1:
            packet = garbage(rng, 12, 1500)  # anything
        elif kind == 2:
            # A query header (QR=0, QDCOUNT 1..) with a random body: FORMERR.
            packet = struct.pack(">HBBHHHH", i & 0xFFFF, 0, 0, rng.randint(1, 9), 0, 0, 0)
            packet += garbage(rng, 0, 600)
        else:
            # Claims to be a response: dropped unparsed.
            packet = bytes([0, 1, 0x80]) + garbage(rng, 9, 600)
        try:
            s.sendto(packet, server.addr)
        except BlockingIOError:
            time.sleep(0.001)
        if i % 2000 == 0:
            # Drain answers (FORMERR) so our buffer does not fill; pace a little.
            try:
                while s.recv(65535):
                    pass
            except BlockingIOError:
                pass
            time.sleep(0.002)
    s.close()


def tcp_garbage(server, count, at_once=100):
    done = 0
    while done < count:
        batch = []
        for _ in range(min(at_once, count - done)):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            try:
                c.connect(server.addr)
                kind = done % 3
                if kind == 0:
                    c.sendall(garbage(rng, 1, 8192))  # random length prefixes and bytes
                elif kind == 1:
                    # A big frame announced, a part of it sent, the rest never.
                    c.sendall(struct.pack(">H", 65535) + garbage(rng, 100, 30000))
                else:
                    # Frames of random content, whole.
                    for _ in range(rng.randint(1, 20)):
                        body = garbage(rng, 0, 3000)
                        c.sendall(struct.pack(">H", len(body)) + body)
            except OSError:
                pass
            batch.append(c)
            done += 1
        time.sleep(0.05)
        for c in batch:
            c.close()


server = Server(ALWAYSON)
try:
    pid = server.proc.pid
    server.udp_answered(20000)
    time.sleep(1)
    steady = server.rss()
    print(f"steady state (20k good queries): VmRSS {mb(steady[0])}, threads {threads(pid)}")
    for round_ in (1, 2):
        t0 = time.time()
        udp_garbage(server, UDP_PACKETS)
        time.sleep(1)
        after_udp = server.rss()
        print(f"round {round_}: after {UDP_PACKETS} garbage UDP packets ({time.time() - t0:.1f} s): VmRSS {mb(after_udp[0])}")
        t0 = time.time()
        tcp_garbage(server, TCP_STREAMS)
        time.sleep(1)
        after_tcp = server.rss()
        print(f"round {round_}: after {TCP_STREAMS} garbage TCP streams ({time.time() - t0:.1f} s): VmRSS {mb(after_tcp[0])}")
    answered = server.udp_answered(10000)
    time.sleep(6)  # past the frame timeout: every garbage connection closed
    final = server.rss()
    print(f"after 10k good queries ({answered} answered) and 6 s quiet: VmRSS {mb(final[0])}, VmHWM {mb(final[1])}")
    print(f"growth over steady state: {mb(final[0] - steady[0])}")
finally:
    server.stop()
PYTHON
