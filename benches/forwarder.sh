#!/usr/bin/env bash
# Load comparison of alwayson's L4 forwarder, on loopback, in one go:
#   - HTTP requests/s with wrk (keep-alive, and "Connection: close") against
#     nginx directly, through HAProxy (mode tcp) and through alwayson;
#   - bulk throughput with iperf3 directly, through HAProxy and through alwayson.
# It prints a table with alwayson/HAProxy (req/s) and alwayson/direct (bulk) ratios.
#
# Needs (Debian): wrk haproxy iperf3 nginx-light python3   — it installs nothing.
# Usage:   benches/forwarder.sh
# Knobs:   ALWAYSON=target/release/alwayson   the binary, run as `$ALWAYSON serve --config FILE`
#          DURATION=10 (seconds per run)  CONNECTIONS=64  THREADS=2
#          KEEP_WORK=1 (keep the generated configs and logs)
#          COPY_MODES="splice buffered"   one alwayson row per relay strategy
#                                         (ALWAYSON_FORWARDER_COPY)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
ALWAYSON="${ALWAYSON:-$here/../target/release/alwayson}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
COPY_MODES="${COPY_MODES:-splice buffered}"

missing=()
for tool in wrk haproxy iperf3 nginx python3; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "missing: ${missing[*]} (Debian: apt-get install wrk haproxy iperf3 nginx-light python3)" >&2
    exit 2
fi
if [[ ! -x "$ALWAYSON" ]]; then
    echo "no alwayson binary at $ALWAYSON (cargo build --release, or set ALWAYSON=...)" >&2
    exit 2
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ -n "$KEEP_WORK" ]] && echo "logs kept in $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
KEEP_WORK="${KEEP_WORK:-}"

# Free loopback ports, asked from the kernel.
read -r P_NGINX P_IPERF P_HA_HTTP P_HA_BULK P_FWD_HTTP P_FWD_BULK P_DNS P_ADMIN < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(8)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
)

render() { # template → file, replacing @NAME@ with $NAME
    local text
    text="$(cat "$1")"
    for name in P_NGINX P_IPERF P_HA_HTTP P_HA_BULK P_FWD_HTTP P_FWD_BULK P_DNS P_ADMIN THREADS work; do
        text="${text//@$name@/${!name}}"
    done
    printf '%s\n' "$text" >"$2"
}

wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nothing listens on 127.0.0.1:$1" >&2
    exit 1
}

render "$here/forwarder/nginx.conf" "$work/nginx.conf"
render "$here/forwarder/haproxy.cfg" "$work/haproxy.cfg"
render "$here/forwarder/alwayson.toml" "$work/alwayson.toml"
mkdir -p "$work/nginx"

nginx -p "$work/nginx" -c "$work/nginx.conf" -g 'daemon off;' 2>"$work/nginx.log" &
pids+=($!)
iperf3 -s -p "$P_IPERF" >"$work/iperf3-server.log" 2>&1 &
pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pids+=($!)
wait_port "$P_NGINX"; wait_port "$P_IPERF"; wait_port "$P_HA_HTTP"

requests_per_second() { # port [extra wrk args]
    local port="$1"; shift
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" "$@" "http://127.0.0.1:$port/" 2>&1 |
        awk '/^Requests\/sec:/ { printf "%d", $2 }'
}

megabits_per_second() { # port
    iperf3 -c 127.0.0.1 -p "$1" -t "$DURATION" -f m 2>&1 |
        awk '/receiver/ { printf "%d", $(NF-2) }'
}

rows=()
measure() { # label http_port bulk_port
    local keep close bulk
    keep="$(requests_per_second "$2")"
    close="$(requests_per_second "$2" -H "Connection: close")"
    bulk="$(megabits_per_second "$3")"
    rows+=("$1 ${keep:-0} ${close:-0} ${bulk:-0}")
    echo "measured $1: keep-alive ${keep:-?} req/s, close ${close:-?} req/s, bulk ${bulk:-?} Mbit/s" >&2
}

measure direct "$P_NGINX" "$P_IPERF"
measure haproxy "$P_HA_HTTP" "$P_HA_BULK"
for mode in $COPY_MODES; do
    ALWAYSON_FORWARDER_COPY="$mode" "$ALWAYSON" serve --config "$work/alwayson.toml" >"$work/alwayson-$mode.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_port "$P_FWD_HTTP"; wait_port "$P_FWD_BULK"
    measure "alwayson-$mode" "$P_FWD_HTTP" "$P_FWD_BULK"
    kill -INT "$pid"
    wait "$pid" 2>/dev/null || true
done

printf '\n%-18s %14s %14s %12s %10s %10s %10s\n' target keepalive_rps close_rps bulk_Mbit/s keep/ha close/ha bulk/direct
ha=(${rows[1]})
direct=(${rows[0]})
for row in "${rows[@]}"; do
    r=($row)
    printf '%-18s %14s %14s %12s %10s %10s %10s\n' "${r[0]}" "${r[1]}" "${r[2]}" "${r[3]}" \
        "$(awk -v a="${r[1]}" -v b="${ha[1]}" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" \
        "$(awk -v a="${r[2]}" -v b="${ha[2]}" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" \
        "$(awk -v a="${r[3]}" -v b="${direct[3]}" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
done
echo "targets: alwayson req/s >= 1.00 x HAProxy; bulk >= 0.90 x direct"
