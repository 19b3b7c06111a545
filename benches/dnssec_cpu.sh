#!/usr/bin/env bash
# Server CPU per query for a signed zone with DO=1 next to the same zone
# unsigned, in one run: two alwayson instances serve zones/example.com.toml
# (the peers' bench zone; the signed one with `dnssec = true` and a fresh
# P-256 CSK), dnsperf sends the query mix of benches/data/queries.txt at a
# fixed rate, without DO to the unsigned one and with DO (dnsperf -D) to the
# signed one, alternating unsigned, signed, unsigned, signed, after one
# warm-up pass that fills the signature cache. CPU = utime+stime of the
# server from /proc over the run. Goal: signed ≤ 1.5 × unsigned.
#
#   benches/dnssec_cpu.sh          # needs a release build and dnsperf
# Env: ALWAYSON (binary), DURATION (s, default 8), RATE (default 20000),
#      WORKERS (UDP threads of each server, default 1), PAIRS (unsigned /
#      signed pairs, default 2). Ends with the median of the pairs' ratios.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
alwayson=${ALWAYSON:-$root/target/release/alwayson}
duration=${DURATION:-8}
rate=${RATE:-20000}
workers=${WORKERS:-1}
command -v dnsperf >/dev/null || { echo "missing: dnsperf (apt-get install dnsperf)" >&2; exit 2; }
[[ -x $alwayson ]] || { echo "missing: $alwayson (run: cargo build --release)" >&2; exit 2; }
work=$(mktemp -d)
# start() runs in a subshell: the server pids go to a file the trap reads.
trap 'for p in $(cat "$work/pids" 2>/dev/null); do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
grep -v '^#' "$root/benches/data/queries.txt" | grep . >"$work/queries"
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # $1: unsigned|signed → "pid port"
    local dir=$work/$1 port
    port=$(free_port)
    mkdir -p "$dir/zones"
    if [[ $1 == signed ]]; then
        sed 's/^origin = "example.com."$/&\ndnssec = true/' "$root/zones/example.com.toml" >"$dir/zones/example.com.toml"
    else
        cp "$root/zones/example.com.toml" "$dir/zones/"
    fi
    printf 'state_dir = "off"\n[dns]\nlisten = ["127.0.0.1:%s"]\nzones_dir = "zones"\nudp_threads = %s\n[admin]\nlisten = "off"\n[reload]\nwatch = false\n' \
        "$port" "$workers" >"$dir/alwayson.toml"
    [[ $1 == signed ]] && "$alwayson" dnssec keygen example.com -c "$dir/alwayson.toml" >/dev/null
    (cd "$dir" && exec "$alwayson" -q serve --config alwayson.toml 2>/dev/null) &
    local pid=$!
    echo "$pid" >>"$work/pids"
    for _ in $(seq 50); do dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 example.com SOA >/dev/null 2>&1 && break; sleep 0.1; done
    echo "$pid $port"
}
read -r u_pid u_port < <(start unsigned)
read -r s_pid s_port < <(start signed)
dig +dnssec +norec -p "$s_port" @127.0.0.1 www.example.com A | grep -q 'RRSIG' || { echo "the signed server does not sign" >&2; exit 1; }

run() { # label pid port [dnsperf flags]
    local label=$1 pid=$2 port=$3
    shift 3
    local before after out n
    before=$(cpu "$pid")
    out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$duration" -Q "$rate" -c 8 -T 1 "$@" 2>&1)
    after=$(cpu "$pid")
    n=$(awk '/Queries completed:/ {print $3}' <<<"$out")
    awk -v t=$((after - before)) -v hz="$ticks" -v n="$n" -v who="$label" \
        'BEGIN { printf "  %-18s %9d answered  %6.2f us CPU/query\n", who, n, t / hz * 1e6 / n }' |
        tee -a "$work/lines"
}
echo "alwayson $("$alwayson" --version | awk '{print $2}'): $workers UDP thread(s) each, $(nproc) cores, dnsperf -Q $rate -l $duration, $(wc -l <"$work/queries") query mix"
dnsperf -s 127.0.0.1 -p "$s_port" -d "$work/queries" -l 2 -Q "$rate" -D >/dev/null 2>&1   # warm-up: fills the signature cache
for _ in $(seq "${PAIRS:-2}"); do
    run "unsigned, no DO" "$u_pid" "$u_port"
    run "signed, DO=1" "$s_pid" "$s_port" -D
done
run "signed, no DO" "$s_pid" "$s_port"
awk '/unsigned, no DO/ { u = $(NF-2) } /signed, DO=1/ { print $(NF-2) / u }' "$work/lines" | sort -n |
    awk '{ r[NR] = $1 } END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
          printf "signed DO=1 / unsigned: median %.2fx of %d pairs (goal <= 1.5x)\n", m, NR }'
