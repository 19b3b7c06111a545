#!/usr/bin/env bash
# What scraping /metrics costs the query path, and how fast an override flips
# an answer, on a release build:
#   1. dnsperf QPS against one running server, alternating phases without
#      and with `curl /metrics` every second (same process, same zone);
#   2. the time from `PUT /api/v1/health-checks/web-1/override` returning to
#      `dig` seeing the flipped answer.
# Needs: dnsperf, curl, dig (apt-get install -y dnsperf curl dnsutils).
# Usage: benches/metrics_scrape.sh   (DURATION=10 ROUNDS=2 CLIENTS=4 to tune)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-target/release/alwayson}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
CLIENTS=${CLIENTS:-4}
DNS_PORT=${DNS_PORT:-15353}
ADMIN_PORT=${ADMIN_PORT:-18053}

for tool in dnsperf curl dig; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y dnsperf curl dnsutils" >&2; exit 1; }
done
[ -x "$BIN" ] || cargo build --release --bin alwayson

work=$(mktemp -d)
server=""
scraper=""
cleanup() {
  [ -n "$scraper" ] && kill "$scraper" 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/zones"
cat > "$work/zones/bench.test.toml" <<'ZONE'
[zone]
origin = "bench.test."
ttl = 300
soa = { mname = "ns1.bench.test.", rname = "hostmaster.bench.test.", serial = 1 }

[[record]]
name = "@"
type = "NS"
values = ["ns1.bench.test."]

[[record]]
name = "ns1"
type = "A"
values = ["192.0.2.1"]

[[record]]
name = "www"
type = "A"
set = "primary"
failover = "primary"
health_check = "web-1"
values = ["192.0.2.10"]

[[record]]
name = "www"
type = "A"
set = "backup"
failover = "secondary"
values = ["198.51.100.10"]

[[record]]
name = "img"
type = "A"
set = "blue"
weight = 90
values = ["192.0.2.40"]

[[record]]
name = "img"
type = "A"
set = "green"
weight = 10
values = ["192.0.2.41"]

# Always healthy and never probed, so only the override moves it.
[health_check.web-1]
type = "tcp"
address = "127.0.0.1:9"
disabled = true
ZONE
cat > "$work/alwayson.toml" <<CONF
[dns]
listen = ["127.0.0.1:$DNS_PORT"]

[admin]
listen = "127.0.0.1:$ADMIN_PORT"

[reload]
watch = false
CONF
printf 'www.bench.test A\nimg.bench.test A\nnope.bench.test A\nbench.test SOA\nwww.bench.test AAAA\nexample.org A\n' > "$work/queries"

"$BIN" -q serve --config "$work/alwayson.toml" &
server=$!
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$ADMIN_PORT/healthz" >/dev/null && break
  sleep 0.1
done

qps() {
  dnsperf -s 127.0.0.1 -p "$DNS_PORT" -d "$work/queries" -l "$DURATION" -c "$CLIENTS" -q 200 2>&1 \
    | awk '/Queries per second/ {print $4}'
}

echo "dnsperf: $DURATION s per phase, $CLIENTS clients, $ROUNDS rounds, $(nproc) cores"
off_total=0; on_total=0
for round in $(seq "$ROUNDS"); do
  off=$(qps)
  ( while true; do curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >/dev/null; sleep 1; done ) &
  scraper=$!
  on=$(qps)
  kill "$scraper"; wait "$scraper" 2>/dev/null || true; scraper=""
  echo "round $round: no scraping $off qps, /metrics every 1s $on qps"
  off_total=$(awk -v a="$off_total" -v b="$off" 'BEGIN {print a + b}')
  on_total=$(awk -v a="$on_total" -v b="$on" 'BEGIN {print a + b}')
done
awk -v off="$off_total" -v on="$on_total" -v n="$ROUNDS" \
  'BEGIN {printf "mean: no scraping %.0f qps, scraping %.0f qps (%+.1f%%)\n", off/n, on/n, (on-off)/off*100}'
queries=$(curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '/^alwayson_query_duration_seconds_count/ {print $2}')
echo "queries counted by /metrics: $queries"

# Override → flipped answer, measured from just before the PUT.
# Most of it is starting curl and dig; "digs" says how many queries it took
# (1: the very first query after the PUT returned already saw the flip).
flip() {
  local want=$1 body=$2 start put end digs=0
  start=$(date +%s%N)
  curl -sf -X PUT -H 'content-type: application/json' -d "$body" \
    "http://127.0.0.1:$ADMIN_PORT/api/v1/health-checks/web-1/override" >/dev/null
  put=$(date +%s%N)
  until digs=$((digs + 1)); [ "$(dig +short +tries=1 +time=1 @127.0.0.1 -p "$DNS_PORT" www.bench.test A)" = "$want" ]; do :; done
  end=$(date +%s%N)
  awk -v a=$((put - start)) -v b=$((end - start)) -v d=$digs \
    'BEGIN {printf "PUT %.1f ms, flipped answer after %.1f ms (%d dig)", a / 1e6, b / 1e6, d}'
}
for i in 1 2 3; do
  echo "override unhealthy: $(flip 198.51.100.10 '{"status": "unhealthy"}')"
  echo "override cleared:   $(flip 192.0.2.10 '{"status": null}')"
done
