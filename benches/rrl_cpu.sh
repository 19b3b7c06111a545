#!/usr/bin/env bash
# Server CPU per query with response rate limiting off and on (a limit the
# traffic never reaches, so every response pays the bucket check and none
# is limited), in one run: dnsperf at a fixed rate against each in turn,
# off, on, off, on; CPU = utime+stime of the server from /proc over the run.
#
#   benches/rrl_cpu.sh            # needs a release build and dnsperf
# Env: ALWAYSON (binary), DURATION (s, default 8), RATE (default 20000),
#      PAIRS (off/on pairs, default 2). Ends with the median of the
#      pairs' on/off ratios.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
alwayson=${ALWAYSON:-$root/target/release/alwayson}
duration=${DURATION:-8}
rate=${RATE:-20000}
command -v dnsperf >/dev/null || { echo "missing: dnsperf (apt-get install dnsperf)" >&2; exit 2; }
work=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$root/zones" "$work/"
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
grep -v '^#' "$root/benches/data/queries.txt" | grep . >"$work/queries"
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # $1: off|on
    {
        printf '[dns]\nlisten = ["127.0.0.1:%s"]\nzones_dir = "zones"\n[admin]\nlisten = "off"\n[reload]\nwatch = false\n' "$port"
        [[ $1 == on ]] && printf '[dns.rrl]\nresponses_per_second = 100000\nslip = 2\n'
    } >"$work/$1.toml"
    (cd "$work" && exec "$alwayson" serve --config "$1.toml" 2>/dev/null) &
    pid=$!
    for _ in $(seq 50); do dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 example.com SOA >/dev/null 2>&1 && break; sleep 0.1; done
    local before after answered
    before=$(cpu "$pid")
    answered=$(dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$duration" -c 8 -T 1 -Q "$rate" 2>/dev/null | awk '/Queries completed/ {print $3}')
    after=$(cpu "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    python3 -c "print(f'rrl $1: {$answered} answered, {($after-$before)/$ticks*1e6/$answered:.2f} us CPU/query')" |
        tee -a "$work/lines"
}
for _ in $(seq "${PAIRS:-2}"); do run off; run on; done
awk '/rrl off/ { off = $(NF-2) } /rrl on/ { print $(NF-2) / off }' "$work/lines" | sort -n |
    awk '{ r[NR] = $1 } END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
          printf "rrl on / off: median %.3fx of %d pairs (goal within 5 %%)\n", m, NR }'
