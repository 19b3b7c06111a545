#!/usr/bin/env bash
# alwayson vs Knot DNS on loopback, in one run: both serve the sample zone
# (zones/example.com.toml; Knot gets its BIND twin benches/data/example.com.zone),
# dnsperf sends the same query mix (benches/data/queries.txt) to each.
#
#   1. max throughput: dnsperf -l $DURATION -c 8 -T 1, order alwayson, knot, alwayson, knot
#   2. fixed rate:     the same plus -Q $RATE, same order, to compare server CPU per query
# Before them it prints every query's response size from both (SIZES_ONLY=1:
# only that).
#
# Server CPU per query = delta of utime+stime in /proc/PID/stat (all threads)
# over the run / queries completed. Both servers use $WORKERS UDP workers
# (default: nproc): alwayson `udp_threads`, Knot `udp-workers`.
#
# Needs: a release build (cargo build --release), and the packages
# dnsperf, knot and dnsutils (dig); python3 picks free ports. Installs nothing.
# Env: ALWAYSON (binary), KNOTD, DURATION (s, default 10), RATE (default 20000),
#      WORKERS (default nproc). Takes about 8 x DURATION + a few seconds.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
alwayson=${ALWAYSON:-$root/target/release/alwayson}
knotd=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
duration=${DURATION:-10}
rate=${RATE:-20000}
workers=${WORKERS:-$(nproc)}
queries=$root/benches/data/queries.txt
bind_zone=$root/benches/data/example.com.zone
toml_zone=$root/zones/example.com.toml

missing=()
[[ -x $alwayson ]] || missing+=("$alwayson (run: cargo build --release)")
[[ -x $knotd ]] || missing+=("knotd (apt-get install knot)")
command -v dnsperf >/dev/null || missing+=("dnsperf (apt-get install dnsperf)")
command -v dig >/dev/null || missing+=("dig (apt-get install dnsutils)")
command -v python3 >/dev/null || missing+=("python3")
if ((${#missing[@]})); then
    printf 'missing: %s\n' "${missing[@]}" >&2
    exit 2
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# A loopback port free for both UDP and TCP.
free_port() {
    python3 - <<'EOF'
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break
EOF
}

# --- alwayson -------------------------------------------------------------
a_port=$(free_port)
mkdir -p "$work/alwayson/zones"
cp "$toml_zone" "$work/alwayson/zones/"
cat >"$work/alwayson/alwayson.toml" <<EOF
[dns]
listen = ["127.0.0.1:$a_port"]
zones_dir = "$work/alwayson/zones"
udp_threads = $workers

[admin]
listen = "off"

[reload]
watch = false
EOF
"$alwayson" -q serve --config "$work/alwayson/alwayson.toml" >"$work/alwayson/log" 2>&1 &
a_pid=$!
pids+=("$a_pid")

# --- Knot -----------------------------------------------------------------
k_port=$(free_port)
mkdir -p "$work/knot"
cp "$bind_zone" "$work/knot/example.com.zone"
cat >"$work/knot/knot.conf" <<EOF
server:
    rundir: "$work/knot"
    listen: 127.0.0.1@$k_port
    udp-workers: $workers
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: "$work/knot"
template:
  - id: default
    storage: "$work/knot"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: example.com.
    file: "$work/knot/example.com.zone"
EOF
"$knotd" -c "$work/knot/knot.conf" >"$work/knot/log" 2>&1 &
k_pid=$!
pids+=("$k_pid")

wait_ready() { # name pid port log
    for _ in $(seq 100); do
        if ! kill -0 "$2" 2>/dev/null; then
            echo "$1 exited before serving:" >&2
            cat "$4" >&2
            exit 1
        fi
        if dig +norec +time=1 +tries=1 @127.0.0.1 -p "$3" example.com SOA | grep -q 'flags:.* aa'; then
            return
        fi
        sleep 0.1
    done
    echo "$1 did not serve example.com within 10s:" >&2
    cat "$4" >&2
    exit 1
}
wait_ready alwayson "$a_pid" "$a_port" "$work/alwayson/log"
wait_ready knot "$k_pid" "$k_port" "$work/knot/log"

# The comparison is only fair on the same data: every query of the mix must
# get the same rcode, flags and answer section (SOA serials aside) from both.
summary() { # port name type
    dig +norec +time=2 +tries=1 @127.0.0.1 -p "$1" "$2" "$3" +noall +comments +answer |
        awk '/status:/ { s = $0; sub(/.*status: /, "", s); sub(/,.*/, "", s); print "status", s }
             /^;; flags:/ { f = $0; sub(/.*flags: /, "", f); sub(/;.*/, "", f); print "flags", f }
             !/^;/ && NF && $4 != "SOA" { $1 = $1; print }' |
        sort
}
differ=0
while read -r name type; do
    [[ -z $name ]] && continue
    if ! diff <(summary "$a_port" "$name" "$type") <(summary "$k_port" "$name" "$type") >"$work/diff"; then
        echo "answers differ for $name $type (< alwayson, > knot):" >&2
        cat "$work/diff" >&2
        differ=1
    fi
done <"$queries"
if ((differ)); then
    echo "benches/data/example.com.zone no longer matches zones/example.com.toml; fix it first" >&2
    exit 1
fi

# Response sizes, query by query (without EDNS, as dnsperf sends them, and
# with a 1232-byte EDNS payload): alwayson's name compression against Knot's.
size() { # port name type [dig options]
    dig +norec +time=2 +tries=1 @127.0.0.1 -p "$1" "$2" "$3" "${@:4}" | awk '/MSG SIZE/ { print $NF }'
}
printf '%-34s %9s %9s %9s %9s\n' "query" alwayson knot "a (EDNS)" "k (EDNS)"
totals=(0 0 0 0)
while read -r name type; do
    [[ -z $name ]] && continue
    row=("$(size "$a_port" "$name" "$type" +noedns)" "$(size "$k_port" "$name" "$type" +noedns)"
         "$(size "$a_port" "$name" "$type" +bufsize=1232 +nocookie)" "$(size "$k_port" "$name" "$type" +bufsize=1232 +nocookie)")
    printf '%-34s %9s %9s %9s %9s\n' "$name $type" "${row[@]}"
    for i in 0 1 2 3; do totals[i]=$((totals[i] + row[i])); done
done <"$queries"
printf '%-34s %9s %9s %9s %9s\n' "total bytes" "${totals[@]}"
if [[ -n ${SIZES_ONLY:-} ]]; then
    exit 0
fi

clk_tck=$(getconf CLK_TCK)
cpu_ticks() { # pid: utime + stime of all threads (fields 14, 15 of /proc/PID/stat)
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# run LABEL PID PORT [extra dnsperf args] → prints "qps completed cpu_us_per_query"
run() {
    local label=$1 pid=$2 port=$3
    shift 3
    local before after out
    before=$(cpu_ticks "$pid")
    out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -l "$duration" -c 8 -T 1 "$@" 2>&1)
    after=$(cpu_ticks "$pid")
    local completed qps lost
    completed=$(awk '/Queries completed:/ { print $3 }' <<<"$out")
    lost=$(awk '/Queries lost:/ { print $3 }' <<<"$out")
    qps=$(awk '/Queries per second:/ { print $4 }' <<<"$out")
    if [[ -z $completed || $completed == 0 ]]; then
        echo "dnsperf against $label got no answers:" >&2
        echo "$out" >&2
        exit 1
    fi
    awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$completed" -v q="$qps" -v l="$lost" -v who="$label" \
        'BEGIN { printf "  %-9s %10.0f qps  %9d answered  %6d lost  %6.2f us CPU/query\n", who, q, n, l, t / hz * 1e6 / n }' >&2
    awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$completed" -v q="$qps" \
        'BEGIN { printf "%f %d %f\n", q, n, t / hz * 1e6 / n }'
}

mean() { awk '{ s += $1 } END { printf "%f", s / NR }'; }

echo "alwayson $("$alwayson" --version | awk '{ print $2 }') vs Knot $("$knotd" -V | awk '{ print $NF }'):" \
    "$workers UDP workers each, $(nproc) cores, dnsperf -l $duration -c 8 -T 1, $(grep -c . "$queries") query mix" >&2

echo "max throughput:" >&2
a_max=() k_max=()
for _ in 1 2; do
    a_max+=("$(run alwayson "$a_pid" "$a_port")")
    k_max+=("$(run knot "$k_pid" "$k_port")")
done
echo "fixed rate -Q $rate:" >&2
a_fix=() k_fix=()
for _ in 1 2; do
    a_fix+=("$(run alwayson "$a_pid" "$a_port" -Q "$rate")")
    k_fix+=("$(run knot "$k_pid" "$k_port" -Q "$rate")")
done

col() { printf '%s\n' "${@:2}" | awk -v c="$1" '{ print $c }' | mean; }
a_qps=$(col 1 "${a_max[@]}")
k_qps=$(col 1 "${k_max[@]}")
echo
echo "summary (mean of 2 runs each):"
awk -v a="$a_qps" -v k="$k_qps" \
    -v am="$(col 3 "${a_max[@]}")" -v km="$(col 3 "${k_max[@]}")" \
    -v af="$(col 3 "${a_fix[@]}")" -v kf="$(col 3 "${k_fix[@]}")" -v r="$rate" 'BEGIN {
    printf "  QPS                    alwayson %9.0f   knot %9.0f   ratio alwayson/knot %.2f\n", a, k, a / k
    printf "  CPU us/query at max    alwayson %9.2f   knot %9.2f\n", am, km
    printf "  CPU us/query at %6d alwayson %9.2f   knot %9.2f\n", r, af, kf
}'
