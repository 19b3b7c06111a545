#!/usr/bin/env bash
# Reload latency on a big zone: generate a zone TOML with 100k A records
# (one per name) plus some variety (AAAA, CNAME, MX, TXT, SRV, wildcards,
# delegations with glue), start alwayson with the file watch on, then rewrite
# the file in place with one A record changed and time from the start of the
# write to the first UDP answer carrying the new value. Repeated $REPEAT times;
# prints each time and the median, the initial load time (process start to
# the first answer from the zone) and the server's peak RSS (VmHWM).
#
# The time includes the watch debounce (set to 100ms here, the default).
#
# Needs: a release build (cargo build --release) and python3 (standard library
# only: the poller is a minimal DNS client, dig is too slow to poll). Installs
# nothing. Env: ALWAYSON (binary), RECORDS (default 100000), REPEAT (default 5).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
alwayson=${ALWAYSON:-$root/target/release/alwayson}
if [[ ! -x $alwayson ]]; then
    echo "missing $alwayson (run: cargo build --release)" >&2
    exit 2
fi
command -v python3 >/dev/null || {
    echo "missing python3" >&2
    exit 2
}

exec python3 - "$alwayson" "${RECORDS:-100000}" "${REPEAT:-5}" <<'PYTHON'
import os
import random
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ALWAYSON, RECORDS, REPEAT = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ORIGIN = "bench.test."
# The record that every repetition changes, in the middle of the file.
TARGET_INDEX = RECORDS // 2
TARGET = f"h{TARGET_INDEX:06d}.{ORIGIN}"


def address(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def zone_lines():
    """The zone as a list of lines, and the index of the target's value line."""
    lines = [
        "[zone]",
        f'origin = "{ORIGIN}"',
        "ttl = 300",
        f'soa = {{ mname = "ns1.{ORIGIN}", rname = "hostmaster.{ORIGIN}", '
        "refresh = 7200, retry = 900, expire = 1209600, minimum = 300 }",
        "",
    ]

    def record(name, rtype, *values):
        quoted = ", ".join("'" + v + "'" for v in values)
        lines.extend(["[[record]]", f'name = "{name}"', f'type = "{rtype}"', f"values = [{quoted}]", ""])

    record("@", "NS", f"ns1.{ORIGIN}", f"ns2.{ORIGIN}")
    record("ns1", "A", "127.0.0.1")
    record("ns2", "A", "127.0.0.2")
    target_line = None
    for i in range(RECORDS):
        record(f"h{i:06d}", "A", address(i))
        if i == TARGET_INDEX:
            target_line = len(lines) - 2
        if i % 100 == 0:
            record(f"h{i:06d}", "AAAA", f"2001:db8::{i >> 16:x}:{i & 0xFFFF:x}")
            record(f"c{i:06d}", "CNAME", f"h{i:06d}")
        if i % 500 == 0:
            record(f"m{i:06d}", "MX", f"10 h{i:06d}.{ORIGIN}")
            record(f"m{i:06d}", "TXT", f"v=spf1 a:h{i:06d}.{ORIGIN} -all")
            record(f"_sip._tcp.h{i:06d}", "SRV", f"10 5 5060 h{i:06d}.{ORIGIN}")
        if i % 10000 == 0:
            record(f"*.w{i:06d}", "A", address(i))
            record(f"d{i:06d}", "NS", f"ns.d{i:06d}.{ORIGIN}")
            record(f"ns.d{i:06d}", "A", address(i))
    return lines, target_line


def counts(lines):
    return sum(1 for line in lines if line == "[[record]]")


def free_port():
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            tcp.close()
            udp.close()
        return port
    sys.exit("no free loopback port")


def encode_query(qid, name, qtype=1):
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + qname + struct.pack(">HH", qtype, 1)


def skip_name(msg, pos):
    while True:
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            return pos + 2
        if length == 0:
            return pos + 1
        pos += 1 + length


def a_records(msg, qid):
    """(rcode, [A addresses]) of a response to query `qid`, or None."""
    if len(msg) < 12:
        return None
    rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    if rid != qid:
        return None
    pos = 12
    for _ in range(qd):
        pos = skip_name(msg, pos) + 4
    found = []
    for _ in range(an):
        pos = skip_name(msg, pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[pos : pos + 10])
        pos += 10
        if rtype == 1 and rdlen == 4:
            found.append(socket.inet_ntoa(msg[pos : pos + 4]))
        pos += rdlen
    return flags & 0xF, found


class Poller:
    """Asks for TARGET's A record in a tight loop until `want` answers."""

    def __init__(self, port):
        self.server = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(0.2)
        self.qid = random.randrange(65536)
        self.queries = 0

    def until(self, want, deadline, alive):
        while time.monotonic() < deadline:
            self.qid = (self.qid + 1) & 0xFFFF
            self.queries += 1
            try:
                self.sock.sendto(encode_query(self.qid, TARGET), self.server)
                while True:
                    got = a_records(self.sock.recv(4096), self.qid)
                    if got is not None:
                        break
            except (socket.timeout, ConnectionRefusedError):
                if not alive():
                    return None
                continue
            if want in got[1]:
                return time.perf_counter()
        return None


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields.get("VmHWM", "?"), fields.get("VmRSS", "?")


def main():
    work = tempfile.mkdtemp(prefix="alwayson-reload-")
    server = None
    try:
        zones = os.path.join(work, "zones")
        os.mkdir(zones)
        zone_file = os.path.join(zones, "bench.test.toml")
        lines, target_line = zone_lines()
        text = "\n".join(lines)
        with open(zone_file, "w") as f:
            f.write(text)
        port = free_port()
        config = os.path.join(work, "alwayson.toml")
        with open(config, "w") as f:
            f.write(
                f'[dns]\nlisten = ["127.0.0.1:{port}"]\nzones_dir = "{zones}"\n\n'
                '[admin]\nlisten = "off"\n\n[reload]\nwatch = true\ndebounce = "100ms"\n'
            )
        print(
            f"zone: {counts(lines)} record sets ({RECORDS} A names), "
            f"{len(text) / 1e6:.1f} MB of TOML; changing {TARGET} A each time"
        )

        log = open(os.path.join(work, "server.log"), "w")
        started = time.perf_counter()
        server = subprocess.Popen([ALWAYSON, "-q", "serve", "--config", config], stdout=log, stderr=log)
        alive = lambda: server.poll() is None
        poller = Poller(port)
        ready = poller.until(address(TARGET_INDEX), time.monotonic() + 60, alive)
        if ready is None:
            log.flush()
            sys.exit("alwayson did not answer from the zone:\n" + open(log.name).read())
        hwm, rss = memory(server.pid)
        print(f"initial load: {(ready - started) * 1e3:.0f} ms (process start to first answer from the zone)")
        print(f"memory after load: VmHWM {hwm}, VmRSS {rss}")

        times = []
        for n in range(1, REPEAT + 1):
            new_value = f"192.0.2.{n}"
            lines[target_line] = f"values = ['{new_value}']"
            text = "\n".join(lines)
            time.sleep(0.5)
            poller.queries = 0
            before = time.perf_counter()
            with open(zone_file, "w") as f:
                f.write(text)
            seen = poller.until(new_value, time.monotonic() + 60, alive)
            if seen is None:
                log.flush()
                sys.exit(f"reload {n}: {new_value} never answered:\n" + open(log.name).read())
            times.append((seen - before) * 1e3)
            print(f"reload {n}: {times[-1]:.0f} ms ({poller.queries} polls)")
        hwm, rss = memory(server.pid)
        print(f"memory after {REPEAT} reloads: VmHWM {hwm}, VmRSS {rss}")
        print(f"reload median: {statistics.median(times):.0f} ms (write start to first new answer, debounce 100ms included)")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


main()
PYTHON
