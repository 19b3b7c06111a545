#!/usr/bin/env bash
# alwayson vs gdnsd vs Knot DNS on loopback, in one run, on the same
# generated zone and query mix (issue 12's comparison):
#
#   zone  bench.test.: host0 … host{HOSTS-1} A (default 10k), plus a
#         health-checked failover name fo.bench.test. (primary 127.0.0.1,
#         secondary 127.0.0.2, a TCP check on a local listener that is up)
#         for alwayson (failover policy + tcp check) and gdnsd (DYNA
#         simplefo + tcp_connect); Knot serves fo as a plain A record.
#   mixes static: 80 % A hits, 10 % NODATA (AAAA of a host), 10 % NXDOMAIN
#         failover: only fo.bench.test. A (alwayson and gdnsd)
#         geo: only geo.bench.test. A with EDNS Client Subnet 193.0.6.0/24
#         (Europe in geoip/sample.mmdb): alwayson's geolocation policy and
#         gdnsd's geoip plugin on the same database, by continent, each
#         region's address behind the same kind of TCP check as fo
#
# dnsperf -c 16 -T 2 -q 100 -l $DURATION per run, servers alternating,
# over UDP, or over TCP with TRANSPORT=tcp (dnsperf -m tcp: 16 connections
# that stay open, queries pipelined; gdnsd and Knot then get WORKERS TCP
# threads, as alwayson's runtime has one per core),
# $REPEAT runs each; the table gives the median of the runs:
#   CPU us/query  the server's user+system CPU (all threads, /proc/PID/stat)
#                 over the run / queries answered (dnsperf saturates a core
#                 on 2 cores, so QPS is client-bound; this is the fair figure)
#   QPS           dnsperf's queries per second
#   resp bytes    dnsperf's mean response size
# Each run also prints the user part of the CPU and the server's context
# switches per query (all threads, /proc/PID/task/*/status).
# Before measuring, a sample of the mix must give the same rcode and answer
# count from every server.
#
# Needs: a release build (cargo build --release), dnsperf, knot, gdnsd
# (apt-get install -y dnsperf knot gdnsd) and python3. Installs nothing.
# Env: ALWAYSON (binary), BASELINE (another alwayson binary: its rows are
#      added to the same run), HOSTS (default 10000), DURATION (s, default
#      10), REPEAT (default 3), WORKERS (UDP threads per server, default nproc),
#      TRANSPORT (udp, the default, or tcp).
# Takes about 5 x REPEAT x DURATION seconds plus start-up.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
alwayson=${ALWAYSON:-$root/target/release/alwayson}
missing=()
[[ -x $alwayson ]] || missing+=("$alwayson (run: cargo build --release)")
for tool in dnsperf knotd gdnsd python3; do
    command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || missing+=("$tool (apt-get install -y dnsperf knot gdnsd)")
done
if ((${#missing[@]})); then
    printf 'missing: %s\n' "${missing[@]}" >&2
    exit 2
fi

transport=${TRANSPORT:-udp}
if [[ $transport != udp && $transport != tcp ]]; then
    echo "TRANSPORT must be udp or tcp, got $transport" >&2
    exit 2
fi

exec python3 - "$alwayson" "${HOSTS:-10000}" "${DURATION:-10}" "${REPEAT:-3}" "${WORKERS:-$(nproc)}" "${BASELINE:-}" "$root/geoip/sample.mmdb" "$transport" <<'PYTHON'
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

ALWAYSON, HOSTS, DURATION, REPEAT, WORKERS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
BASELINE = sys.argv[6]
MMDB = sys.argv[7]
TRANSPORT = sys.argv[8]
# The peers' TCP threads: one, unless TCP is what is measured.
TCP_THREADS = WORKERS if TRANSPORT == "tcp" else 1
# The geo name's regions: (alwayson geo, gdnsd datacenter, address); only
# the first address has a listener behind its check.
GEO_SETS = (("EU", "eu", "127.0.0.1"), ("NA", "na", "127.0.0.3"), ("*", "other", "127.0.0.4"))
# EDNS option 8 (ECS): family 1, source /24, scope 0, 193.0.6.
ECS = ["-E", "8:00011800c10006"]
ORIGIN = "bench.test."
CLK_TCK = os.sysconf("SC_CLK_TCK")


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


def bind_zone(dyna):
    lines = [
        "$TTL 300",
        f"@ SOA ns1.{ORIGIN} hostmaster.{ORIGIN} 1 7200 900 1209600 300",
        f"@ NS ns1.{ORIGIN}",
        f"@ NS ns2.{ORIGIN}",
        "ns1 A 127.0.0.1",
        "ns2 A 127.0.0.2",
    ]
    lines += [f"host{i} A {address(i)}" for i in range(HOSTS)]
    lines.append("fo 30 DYNA simplefo!fo" if dyna else "fo 30 A 127.0.0.1")
    lines.append("geo 30 DYNA geoip!geo" if dyna else "geo 30 A 127.0.0.1")
    return "\n".join(lines) + "\n"


def toml_zone(check_port):
    out = [
        "[zone]",
        f'origin = "{ORIGIN}"',
        f'soa = {{ mname = "ns1.{ORIGIN}", rname = "hostmaster.{ORIGIN}", serial = 1, minimum = 300 }}',
        "",
        '[[record]]\nname = "@"\ntype = "NS"\nvalues = ["ns1", "ns2"]\n',
        '[[record]]\nname = "ns1"\ntype = "A"\nvalues = ["127.0.0.1"]\n',
        '[[record]]\nname = "ns2"\ntype = "A"\nvalues = ["127.0.0.2"]\n',
    ]
    out += [f'[[record]]\nname = "host{i}"\ntype = "A"\nvalues = ["{address(i)}"]\n' for i in range(HOSTS)]
    for role, ip in (("primary", "127.0.0.1"), ("secondary", "127.0.0.2")):
        out.append(
            f'[[record]]\nname = "fo"\ntype = "A"\nttl = 30\nset = "{role}"\nfailover = "{role}"\n'
            f'health_check = "fo-{role}"\nvalues = ["{ip}"]\n'
        )
        out.append(f'[health_check.fo-{role}]\ntype = "tcp"\naddress = "{ip}:{check_port}"\n')
    for geo, dc, ip in GEO_SETS:
        out.append(
            f'[[record]]\nname = "geo"\ntype = "A"\nttl = 30\nset = "{dc}"\ngeo = "{geo}"\n'
            f'health_check = "geo-{dc}"\nvalues = ["{ip}"]\n'
        )
        out.append(f'[health_check.geo-{dc}]\ntype = "tcp"\naddress = "{ip}:{check_port}"\n')
    return "\n".join(out)


def query_files(work):
    rng = random.Random(12)
    lines = []
    for _ in range(10000):
        i, roll = rng.randrange(HOSTS), rng.random()
        if roll < 0.8:
            lines.append(f"host{i}.{ORIGIN} A")
        elif roll < 0.9:
            lines.append(f"host{i}.{ORIGIN} AAAA")
        else:
            lines.append(f"nohost{i}.{ORIGIN} A")
    static = os.path.join(work, "static.txt")
    with open(static, "w") as f:
        f.write("\n".join(lines) + "\n")
    failover = os.path.join(work, "failover.txt")
    with open(failover, "w") as f:
        f.write(f"fo.{ORIGIN} A\n")
    geo = os.path.join(work, "geo.txt")
    with open(geo, "w") as f:
        f.write(f"geo.{ORIGIN} A\n")
    return static, failover, geo, lines[:200]


def geo_answer(port):
    """The address the geo name answers for 193.0.6.0/24 (dig +subnet)."""
    out = subprocess.run(
        ["dig", "+short", "+time=1", "+tries=1", "-p", str(port), "@127.0.0.1", f"geo.{ORIGIN}", "A",
         "+subnet=193.0.6.0/24"],
        capture_output=True, text=True,
    ).stdout.split()
    return out[0] if out else None


def ask(port, name, qtype):
    """(rcode, answer count) of one UDP query, or None."""
    types = {"A": 1, "AAAA": 28, "SOA": 6}
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    qid = random.randrange(65536)
    msg = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + qname + struct.pack(">HH", types[qtype], 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        s.sendto(msg, ("127.0.0.1", port))
        reply = s.recv(4096)
    except OSError:
        return None
    finally:
        s.close()
    rid, flags, _, an, _, _ = struct.unpack(">HHHHHH", reply[:12])
    return (flags & 0xF, an) if rid == qid else None


def listen_tcp(host):
    """A TCP listener that accepts and closes: the failover's healthy primary."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(128)

    def serve():
        while True:
            try:
                conn, _ = sock.accept()
                conn.close()
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    return sock


class Server:
    def __init__(self, name, argv, port, work):
        self.name, self.port = name, port
        self.log = open(os.path.join(work, f"{name}.log"), "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log)

    def wait_ready(self, what):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if what():
                return
            time.sleep(0.2)
        self.log.flush()
        sys.exit(f"{self.name} did not get ready:\n" + open(self.log.name).read()[-3000:])

    def cpu_ticks(self):
        return sum(self.cpu_split())

    def cpu_split(self):
        """(user, system) CPU ticks of every thread."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]), int(fields[12])

    def context_switches(self):
        """Voluntary + involuntary context switches of every thread."""
        total = 0
        task = f"/proc/{self.proc.pid}/task"
        for tid in os.listdir(task):
            try:
                with open(os.path.join(task, tid, "status")) as f:
                    total += sum(int(l.split()[1]) for l in f if "ctxt_switches" in l)
            except FileNotFoundError:
                pass
        return total

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_alwayson(work, check_port, binary=ALWAYSON, name="alwayson"):
    port = free_port()
    zones = os.path.join(work, name, "zones")
    os.makedirs(zones)
    with open(os.path.join(zones, "bench.test.toml"), "w") as f:
        f.write(toml_zone(check_port))
    config = os.path.join(work, name, "alwayson.toml")
    with open(config, "w") as f:
        f.write(
            f'[dns]\nlisten = ["127.0.0.1:{port}"]\nzones_dir = "{zones}"\nudp_threads = {WORKERS}\n\n'
            f'[geoip]\ndatabase = "{MMDB}"\n\n'
            '[admin]\nlisten = "off"\n\n[reload]\nwatch = false\n'
        )
    return Server(name, [binary, "-q", "serve", "--config", config], port, work)


def start_gdnsd(work, check_port):
    port = free_port()
    base = os.path.join(work, "gdnsd")
    for sub in ("zones", "run", "state"):
        os.makedirs(os.path.join(base, sub))
    with open(os.path.join(base, "zones", "bench.test"), "w") as f:
        f.write(bind_zone(dyna=True))
    with open(os.path.join(base, "config"), "w") as f:
        f.write(
            f"options => {{\n  listen => [ 127.0.0.1:{port} ]\n  run_dir => {base}/run\n"
            f"  state_dir => {base}/state\n  udp_threads => {WORKERS}\n  tcp_threads => {TCP_THREADS}\n}}\n"
            f"service_types => {{\n  fo_tcp => {{ plugin => tcp_connect, port => {check_port}, "
            "interval => 2, timeout => 1, up_thresh => 1, ok_thresh => 1, down_thresh => 1 }\n}\n"
            "plugins => {\n  simplefo => {\n    fo => { primary => 127.0.0.1, secondary => 127.0.0.2, "
            "service_types => fo_tcp }\n  }\n"
            f"  geoip => {{\n    maps => {{\n      geo_map => {{\n        geoip2_db => \"{MMDB}\"\n"
            "        datacenters => [ eu, na, other ]\n        map => { EU => [ eu ], NA => [ na ] }\n"
            "      }\n    }\n    resources => {\n      geo => {\n        map => geo_map\n"
            "        service_types => fo_tcp\n        dcmap => { "
            + ", ".join(f"{dc} => {ip}" for _, dc, ip in GEO_SETS)
            + " }\n      }\n    }\n  }\n}\n"
        )
    return Server("gdnsd", [sbin("gdnsd"), "-c", base, "start"], port, work)


def start_knot(work):
    port = free_port()
    base = os.path.join(work, "knot")
    os.makedirs(base)
    with open(os.path.join(base, "bench.test.zone"), "w") as f:
        f.write(bind_zone(dyna=False))
    with open(os.path.join(base, "knot.conf"), "w") as f:
        f.write(
            f'server:\n    rundir: "{base}"\n    listen: 127.0.0.1@{port}\n    udp-workers: {WORKERS}\n'
            f"    tcp-workers: {TCP_THREADS}\n    background-workers: 1\nlog:\n  - target: stderr\n    any: warning\n"
            f'database:\n    storage: "{base}"\ntemplate:\n  - id: default\n    storage: "{base}"\n'
            "    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n"
            f'zone:\n  - domain: {ORIGIN}\n    file: "{base}/bench.test.zone"\n'
        )
    return Server("knot", [sbin("knotd"), "-c", os.path.join(base, "knot.conf")], port, work)


def dnsperf(server, queries, extra):
    before, switches = server.cpu_split(), server.context_switches()
    out = subprocess.run(
        ["dnsperf", "-s", "127.0.0.1", "-p", str(server.port), "-d", queries, "-l", str(DURATION),
         "-c", "16", "-T", "2", "-q", "100", "-m", TRANSPORT, *extra],
        capture_output=True, text=True,
    ).stdout
    after, switches = server.cpu_split(), server.context_switches() - switches
    value = lambda key, col: next(float(l.split()[col].rstrip(",")) for l in out.splitlines() if key in l)
    completed = value("Queries completed:", 2)
    if completed == 0:
        sys.exit(f"dnsperf against {server.name} got no answers:\n{out}")
    return {
        "cpu": (sum(after) - sum(before)) / CLK_TCK * 1e6 / completed,
        "user": (after[0] - before[0]) / CLK_TCK * 1e6 / completed,
        "switches": switches / completed,
        "qps": value("Queries per second:", 3),
        "bytes": value("Average packet size:", 6),
    }


def main():
    work = tempfile.mkdtemp(prefix="alwayson-peers-")
    servers = []
    try:
        static, failover, geo, sample = query_files(work)
        listener = listen_tcp("127.0.0.1")
        check_port = listener.getsockname()[1]
        alwayson = start_alwayson(work, check_port)
        gdnsd = start_gdnsd(work, check_port)
        knot = start_knot(work)
        servers = [alwayson, gdnsd, knot]
        baseline = None
        if BASELINE:
            baseline = start_alwayson(work, check_port, BASELINE, "baseline")
            servers.append(baseline)
        for s in servers:
            s.wait_ready(lambda s=s: ask(s.port, f"host0.{ORIGIN}", "A") == (0, 1))
        # Both failover servers answer the primary once its check passed.
        for s in [alwayson, gdnsd] + ([baseline] if baseline else []):
            s.wait_ready(lambda s=s: ask(s.port, f"fo.{ORIGIN}", "A") == (0, 1))
            s.wait_ready(lambda s=s: geo_answer(s.port) == GEO_SETS[0][2])
        for line in sample:
            name, qtype = line.split()
            got = {s.name: ask(s.port, name, qtype) for s in servers}
            if len(set(got.values())) != 1:
                sys.exit(f"servers disagree on {line}: {got}")

        versions = subprocess.run([ALWAYSON, "--version"], capture_output=True, text=True).stdout.split()
        print(f"alwayson {versions[-1] if versions else '?'}, gdnsd, Knot on {ORIGIN} ({HOSTS} A names); "
              f"{WORKERS} {TRANSPORT.upper()} threads each, {os.cpu_count()} cores; "
              f"dnsperf -m {TRANSPORT} -c 16 -T 2 -q 100 -l {DURATION}, "
              f"median of {REPEAT}", flush=True)
        rows = [
            ("alwayson, static", alwayson, static, []),
            ("gdnsd, static", gdnsd, static, []),
            ("Knot, static", knot, static, []),
            ("alwayson, failover name", alwayson, failover, []),
            ("gdnsd, failover name (simplefo + tcp_connect)", gdnsd, failover, []),
            ("alwayson, geolocation name + ECS", alwayson, geo, ECS),
            ("gdnsd, geoip name + ECS (geoip + tcp_connect)", gdnsd, geo, ECS),
        ]
        if baseline:
            rows.insert(1, ("baseline alwayson, static", baseline, static, []))
            rows.insert(5, ("baseline alwayson, failover name", baseline, failover, []))
            rows.insert(8, ("baseline alwayson, geolocation name + ECS", baseline, geo, ECS))
        runs = {label: [] for label, *_ in rows}
        for n in range(REPEAT):
            for label, server, queries, extra in rows:
                r = dnsperf(server, queries, extra)
                runs[label].append(r)
                print(f"  run {n + 1} {label:48} {r['cpu']:6.2f} us CPU/query "
                      f"({r['user']:4.2f} user) {r['switches']:5.3f} switches/query {r['qps']:9.0f} qps "
                      f"{r['bytes']:5.0f} B", flush=True)
        print()
        print(f"| server, {HOSTS // 1000}k-record zone | CPU us/query | QPS | mean response bytes |")
        print("| --- | ---: | ---: | ---: |")
        for label, *_ in rows:
            med = lambda key: statistics.median(r[key] for r in runs[label])
            print(f"| {label} | {med('cpu'):.2f} | {med('qps'):.0f} | {med('bytes'):.0f} |")
        listener.close()
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


main()
PYTHON
