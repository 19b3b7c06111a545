#!/usr/bin/env bash
# A 1M-record zone in alwayson and in Knot DNS, one after the other (issue
# 12's large-zone comparison). The zone is bench.test. with host0 …
# host{RECORDS-1} A (the generator of the issue) plus NS and SOA; alwayson
# reads it as TOML, Knot as a BIND zone file. For each server:
#
#   first answer    process start → first UDP answer from the zone
#   RSS after load  VmRSS then, and VmHWM (the peak while loading)
#   saved → answer  one A record changed and saved (alwayson: a temporary
#                   file renamed over it; Knot: the file written in place),
#                   from the end of the save to the first answer carrying
#                   the new value; $RELOADS times (default 3), each printed,
#                   then the median. alwayson runs twice: "alwayson" sees
#                   the rename through its file watch (debounce 100 ms);
#                   "alwayson, reload API" has the watch off and is told
#                   with POST /api/v1/reload once the file is saved, as
#                   Knot is told with `knotc zone-reload`. The time to write
#                   the file (68 MB of TOML, 25 MB of zone text for Knot)
#                   is printed apart.
#   RSS after N     VmRSS and VmHWM after those reloads
#
# Needs: a release build (cargo build --release), knot (knotd, knotc) and
# python3. Installs nothing. Env: ALWAYSON (binary), RECORDS (default
# 1000000), RELOADS (default 3), SKIP_KNOT=1 (alwayson only, e.g. to
# compare two alwayson builds), PARTS (default 1: with N > 1 the alwayson
# zone is split with include = ["hosts-*.toml"] over N files, and the edit
# lands in one of them), POLL (default 0.001: seconds between the queries
# that wait for an answer; 0 asks back to back, as before), TRIGGERS
# (default "watch,api": which alwayson runs). The 1M run needs about 4 GB
# of memory and a few minutes.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
alwayson=${ALWAYSON:-$root/target/release/alwayson}
if [[ ! -x $alwayson ]]; then
    echo "missing $alwayson (run: cargo build --release)" >&2
    exit 2
fi
if [[ ${SKIP_KNOT:-0} != 1 ]] && ! command -v knotd >/dev/null && [[ ! -x /usr/sbin/knotd ]]; then
    echo "missing knotd (apt-get install -y knot), or set SKIP_KNOT=1" >&2
    exit 2
fi

exec python3 - "$alwayson" "${RECORDS:-1000000}" "${RELOADS:-3}" "${SKIP_KNOT:-0}" "${PARTS:-1}" <<'PYTHON'
import os
import random
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ALWAYSON, RECORDS, RELOADS, SKIP_KNOT, PARTS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5])
ORIGIN = "bench.test."
TARGET_INDEX = RECORDS // 2
TARGET = f"host{TARGET_INDEX}.{ORIGIN}"
POLL = float(os.environ.get("POLL", "0.001"))
TRIGGERS = [t for t in os.environ.get("TRIGGERS", "watch,api").split(",") if t in ("watch", "api")]


def sbin(tool):
    return shutil.which(tool) or f"/usr/sbin/{tool}"


def address(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


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


def encode_query(qid, name):
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)


def skip_name(msg, pos):
    while True:
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            return pos + 2
        if length == 0:
            return pos + 1
        pos += 1 + length


def a_records(msg, qid):
    if len(msg) < 12:
        return None
    rid, _, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
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
    return found


def poll_until(port, want, alive, limit=600, wait=0.1):
    """perf_counter() of the first answer for TARGET carrying `want`,
    asking again after `wait` seconds without a reply."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(wait)
    qid = random.randrange(65536)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        qid = (qid + 1) & 0xFFFF
        try:
            sock.sendto(encode_query(qid, TARGET), ("127.0.0.1", port))
            while True:
                got = a_records(sock.recv(4096), qid)
                if got is not None:
                    break
        except socket.timeout:
            if not alive():
                return None
            continue
        except ConnectionRefusedError:
            # Not listening yet: the refusal comes back at once, so asking
            # again without a pause would keep a core busy while the
            # server loads (and slow a server that loads on both cores).
            if not alive():
                return None
            time.sleep(POLL)
            continue
        if want in got:
            return time.perf_counter()
        # Not yet: ask again in a millisecond. Asking back to back kept a
        # core of this 2-core machine busy with the client and the server's
        # answers, and slowed the reload being timed (Knot's too) about 2×.
        time.sleep(POLL)
    return None


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    mb = lambda key: int(fields[key].split()[0]) / 1024
    return mb("VmRSS"), mb("VmHWM")


def toml_records(lines, indices):
    for i in indices:
        lines.append(f'[[record]]\nname = "host{i}"\ntype = "A"\nvalues = ["{address(i)}"]\n')


class Alwayson:
    def __init__(self, work, trigger):
        """trigger "watch": the file watch sees the rename (debounce 100 ms);
        "api": the save is followed by POST /api/v1/reload, as Knot's by
        `knotc zone-reload`."""
        self.trigger = trigger
        self.name = "alwayson" if trigger == "watch" else "alwayson, reload API"
        base = os.path.join(work, f"alwayson-{trigger}")
        os.mkdir(base)
        self.zones = os.path.join(base, "zones")
        os.mkdir(self.zones)
        self.port = free_port()
        self.admin = free_port()
        admin = f'"127.0.0.1:{self.admin}"' if trigger == "api" else '"off"'
        watch = "true" if trigger == "watch" else "false"
        self.config = os.path.join(base, "alwayson.toml")
        with open(self.config, "w") as f:
            f.write(
                f'[dns]\nlisten = ["127.0.0.1:{self.port}"]\nzones_dir = "{self.zones}"\n\n'
                f'[admin]\nlisten = {admin}\n\n[reload]\nwatch = {watch}\ndebounce = "100ms"\n'
            )
        self.write_zone(address(TARGET_INDEX))

    def files(self, target_value):
        """(file name → text) of the zone, with TARGET's value."""
        head = []
        if PARTS > 1:
            head.append('include = ["hosts-*.toml"]\n')
        head += [
            "[zone]",
            f'origin = "{ORIGIN}"',
            f'soa = {{ mname = "ns1.{ORIGIN}", rname = "hostmaster.{ORIGIN}" }}\n',
            '[[record]]\nname = "@"\ntype = "NS"\nvalues = ["ns1"]\n',
            '[[record]]\nname = "ns1"\ntype = "A"\nvalues = ["127.0.0.1"]\n',
        ]
        parts = max(PARTS, 1)
        per = (RECORDS + parts - 1) // parts
        texts = {}
        for p in range(parts):
            lines = head if p == 0 and PARTS <= 1 else []
            toml_records(lines, range(p * per, min(RECORDS, (p + 1) * per)))
            text = "\n".join(lines)
            if p * per <= TARGET_INDEX < (p + 1) * per:
                text = text.replace(
                    f'name = "host{TARGET_INDEX}"\ntype = "A"\nvalues = ["{address(TARGET_INDEX)}"]',
                    f'name = "host{TARGET_INDEX}"\ntype = "A"\nvalues = ["{target_value}"]',
                )
            texts["bench.test.toml" if PARTS <= 1 else f"hosts-{p:03d}.toml"] = text
        if PARTS > 1:
            texts["bench.test.toml"] = "\n".join(head)
        return texts

    def write_zone(self, target_value):
        self.written = self.files(target_value)
        self.save(self.written)

    def save(self, texts):
        # As a deploy script should: a temporary (hidden, so ignored) file
        # renamed over the old one; no reload can see part of a file.
        for name, text in texts.items():
            temporary = os.path.join(self.zones, "." + name + ".new")
            with open(temporary, "w") as f:
                f.write(text)
            os.replace(temporary, os.path.join(self.zones, name))

    def start(self, log):
        return subprocess.Popen([ALWAYSON, "-q", "serve", "--config", self.config], stdout=log, stderr=log)

    def prepare(self, value, serial):
        """The files that change (all of them in one piece, one part when split)."""
        texts = self.files(value)
        changed = {n: t for n, t in texts.items() if self.written.get(n) != t}
        self.written = texts

        def post():
            request = urllib.request.Request(f"http://127.0.0.1:{self.admin}/api/v1/reload", method="POST")
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()

        def tell():
            # The reply comes once the whole reload is done (after the new
            # answers are published, the old table dropped and the memory
            # given back), so the answers are watched meanwhile, as for
            # `knotc zone-reload`, which returns at once.
            if self.trigger == "api":
                threading.Thread(target=post, daemon=True).start()

        return lambda: self.save(changed), tell


class Knot:
    name = "knot"

    def __init__(self, work):
        self.base = os.path.join(work, "knot")
        os.mkdir(self.base)
        self.port = free_port()
        self.zone = os.path.join(self.base, "bench.test.zone")
        self.conf = os.path.join(self.base, "knot.conf")
        with open(self.conf, "w") as f:
            f.write(
                f'server:\n    rundir: "{self.base}"\n    listen: 127.0.0.1@{self.port}\n'
                "    background-workers: 1\nlog:\n  - target: stderr\n    any: warning\n"
                f'control:\n    listen: "{self.base}/knot.sock"\n'
                f'database:\n    storage: "{self.base}"\ntemplate:\n  - id: default\n    storage: "{self.base}"\n'
                "    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n"
                f'zone:\n  - domain: {ORIGIN}\n    file: "{self.zone}"\n'
            )
        with open(self.zone, "w") as f:
            f.write(self.text(address(TARGET_INDEX), 1))

    def text(self, target_value, serial):
        lines = [f"$TTL 300\n@ SOA ns1 hostmaster {serial} 7200 900 1209600 300\n@ NS ns1\nns1 A 127.0.0.1"]
        lines += [f"host{i} A {target_value if i == TARGET_INDEX else address(i)}" for i in range(RECORDS)]
        return "\n".join(lines) + "\n"

    def start(self, log):
        return subprocess.Popen([sbin("knotd"), "-c", self.conf], stdout=log, stderr=log)

    def prepare(self, value, serial):
        text = self.text(value, serial)

        def save():
            with open(self.zone, "w") as f:
                f.write(text)

        def tell():
            subprocess.run([sbin("knotc"), "-c", self.conf, "zone-reload", ORIGIN], check=True, capture_output=True)

        return save, tell


def measure(server, work):
    log = open(os.path.join(work, f"{server.name}.log"), "w")
    started = time.perf_counter()
    proc = server.start(log)
    alive = lambda: proc.poll() is None
    try:
        # A query sent before the server binds its port is lost without a
        # reply (no refusal reaches an unconnected socket), so the first
        # answer is asked for every 10 ms, not every 100: the time is then
        # the bind's, not the next 100 ms tick's.
        ready = poll_until(server.port, address(TARGET_INDEX), alive, wait=0.01)
        if ready is None:
            log.flush()
            sys.exit(f"{server.name} did not answer from the zone:\n" + open(log.name).read()[-3000:])
        result = {"first": ready - started, "load": memory(proc.pid), "reloads": [], "saves": []}
        for n in range(1, RELOADS + 1):
            value = f"192.0.2.{n}"
            save, tell = server.prepare(value, n + 1)
            time.sleep(1)
            before = time.perf_counter()
            save()
            saved = time.perf_counter()
            tell()
            seen = poll_until(server.port, value, alive)
            if seen is None:
                log.flush()
                sys.exit(f"{server.name}: reload {n} never answered {value}:\n" + open(log.name).read()[-3000:])
            result["reloads"].append(seen - saved)
            result["saves"].append(saved - before)
            print(f"  {server.name} edit {n} saved -> new answer: {seen - saved:.2f} s "
                  f"(writing the file before: {saved - before:.2f} s)", flush=True)
        time.sleep(1)
        result["after"] = memory(proc.pid)
        return result
    finally:
        proc.terminate()
        proc.wait()


def main():
    work = tempfile.mkdtemp(prefix="alwayson-1m-")
    try:
        servers = [Alwayson(work, trigger) for trigger in TRIGGERS]
        if not SKIP_KNOT:
            servers.append(Knot(work))
        split = f", alwayson zone split over {PARTS} files" if PARTS > 1 else ""
        print(f"zone {ORIGIN}: {RECORDS} A names{split}; {RELOADS} edits of {TARGET}", flush=True)
        results = {s.name: measure(s, work) for s in servers}
        print()
        print("| server | first answer | RSS after load (peak) | saved -> answer, median (each) | "
              f"writing the file | RSS after {RELOADS} reloads (peak) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, r in results.items():
            each = ", ".join(f"{t:.2f}" for t in r["reloads"])
            print(f"| {name} | {r['first']:.2f} s | {r['load'][0]:.0f} MB ({r['load'][1]:.0f} MB) | "
                  f"{statistics.median(r['reloads']):.2f} s ({each}) | {statistics.median(r['saves']):.2f} s | "
                  f"{r['after'][0]:.0f} MB ({r['after'][1]:.0f} MB) |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
PYTHON
