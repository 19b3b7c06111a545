#!/usr/bin/env bash
# Policy cost under load, in one run: dnsperf against one alwayson server,
# alternating a geolocation+failover name (geolocation sets that alias to
# per-region failover names with health checks) and a simple name, both
# queried with the same EDNS Client Subnet option (193.0.6.0/24, Europe in
# geoip/sample.mmdb). Prints QPS of each, the ratio, and server CPU µs/query.
#
# Needs: cargo build --release; apt-get install dnsperf dnsutils; python3.
# Env: ALWAYSON (binary), DURATION (s, default 10), WORKERS (default nproc).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
alwayson=${ALWAYSON:-$root/target/release/alwayson}
duration=${DURATION:-10}
workers=${WORKERS:-$(nproc)}
[[ -x $alwayson ]] || { echo "no $alwayson (cargo build --release)" >&2; exit 2; }
command -v dnsperf >/dev/null || { echo "dnsperf missing (apt-get install dnsperf)" >&2; exit 2; }

work=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
check_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/zones"
sed -e "s/@PORT@/$port/" -e "s/@WORKERS@/$workers/" -e "s|@MMDB@|$root/geoip/sample.mmdb|" \
    "$root/benches/data/policy/alwayson.toml" >"$work/alwayson.toml"
sed -e "s/@CHECK_PORT@/$check_port/" "$root/benches/data/policy/bench.test.toml" >"$work/zones/bench.test.toml"
echo "simple.bench.test A" >"$work/simple.txt"
echo "app.bench.test A" >"$work/geo.txt"
# ECS option 8: family 1, source /24, scope 0, address 193.0.6
ecs="8:00011800c10006"

"$alwayson" -q serve --config "$work/alwayson.toml" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do dig +short +time=1 @127.0.0.1 -p "$port" simple.bench.test >/dev/null 2>&1 && break; sleep 0.1; done
echo "geo answer for 193.0.6.0/24: $(dig +short @127.0.0.1 -p "$port" app.bench.test +subnet=193.0.6.0/24)"

hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
run() { # $1 label, $2 query file
    local before after out qps n
    before=$(cpu_ticks)
    out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$2" -l "$duration" -c 8 -T 1 -e -E "$ecs" 2>&1)
    after=$(cpu_ticks)
    qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
    n=$(awk '/Queries completed/ {print $3}' <<<"$out")
    printf '%-8s %10.0f qps  %6.2f us CPU/query  (%s completed)\n' "$1" "$qps" \
        "$(awk -v t=$((after - before)) -v hz="$hz" -v n="$n" 'BEGIN {print t / hz * 1e6 / n}')" "$n"
    echo "$1 $qps" >>"$work/results"
}
for _ in 1 2; do
    run simple "$work/simple.txt"
    run geo "$work/geo.txt"
done
awk '{s[$1] += $2; c[$1]++} END {printf "ratio geo+failover/simple: %.2f\n", (s["geo"]/c["geo"]) / (s["simple"]/c["simple"])}' "$work/results"
