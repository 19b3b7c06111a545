#!/usr/bin/env bash
# Policy cost under load, in one run: dnsperf against one alwayson server,
# alternating a geolocation+failover name (geolocation sets that alias to
# per-region failover names with health checks) and a simple name, both
# queried with the same EDNS Client Subnet option (193.0.6.0/24, Europe in
# geoip/sample.mmdb). Prints QPS of each, the ratio, and server CPU µs/query.
#
# Needs: cargo build --release; apt-get install dnsperf; python3.
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
cat >"$work/alwayson.toml" <<EOF
[dns]
listen = ["127.0.0.1:$port"]
zones_dir = "zones"
udp_threads = $workers
[geoip]
database = "$root/geoip/sample.mmdb"
[admin]
listen = "off"
[reload]
watch = false
