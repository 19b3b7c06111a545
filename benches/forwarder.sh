#!/usr/bin/env bash
# Load comparison of alwayson's L4 forwarder, on loopback, in one go:
#   - HTTP requests/s with wrk (keep-alive, and "Connection: close") against
#     nginx directly, through HAProxy (mode tcp) and through alwayson;
#   - bulk throughput with iperf3 directly, through HAProxy and through alwayson.
# Every target is measured once per round, the targets one after another, so
# a noisy neighbour hits all of them alike; the table shows each column's
# median over the rounds, with alwayson/HAProxy (req/s) and alwayson/direct
# (bulk) ratios of those medians. Two figures that noise barely moves come
# with the "Connection: close" runs: TCP segments per request on loopback
# (nstat TcpOutSegs, whole machine; direct is the floor) and the proxy's own
# CPU time per request (utime+stime from /proc); and for bulk, the proxy's
# CPU time per GB moved.
#
# Needs (Debian): wrk haproxy iperf3 nginx-light python3 iproute2 (nstat) — it installs nothing.
# Usage:   benches/forwarder.sh
# Knobs:   ALWAYSON=target/release/alwayson   the binary, run as `$ALWAYSON serve --config FILE`
#          BASELINE=path/to/older/alwayson    also measure this binary (rows "baseline-*"),
#                                             for before/after figures from one run
#          DURATION=10 (seconds per run)  ROUNDS=3  CONNECTIONS=64  THREADS=2
#          KEEP_WORK=1 (keep the generated configs and logs)
#          COPY_MODES="splice buffered"   one alwayson row per relay strategy
#                                         (ALWAYSON_FORWARDER_COPY)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
ALWAYSON="${ALWAYSON:-$here/../target/release/alwayson}"
BASELINE="${BASELINE:-}"
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
COPY_MODES="${COPY_MODES:-splice buffered}"
KEEP_WORK="${KEEP_WORK:-}"

missing=()
for tool in wrk haproxy iperf3 nginx python3 nstat; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "missing: ${missing[*]} (Debian: apt-get install wrk haproxy iperf3 nginx-light python3 iproute2)" >&2
    exit 2
fi
for binary in "$ALWAYSON" ${BASELINE:+"$BASELINE"}; do
    if [[ ! -x "$binary" ]]; then
        echo "no alwayson binary at $binary (cargo build --release, or set ALWAYSON=...)" >&2
        exit 2
    fi
done

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [[ -n "$KEEP_WORK" ]]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_ports() { # count → that many free loopback ports, asked from the kernel
    python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
}

render() { # template → file, replacing @NAME@ with $NAME
    local text
    text="$(cat "$1")"
    for name in P_NGINX P_IPERF P_HA_HTTP P_HA_BULK P_FWD_HTTP P_FWD_BULK P_DNS P_ADMIN THREADS work; do
        text="${text//@$name@/${!name:-}}"
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

read -r P_NGINX P_IPERF P_HA_HTTP P_HA_BULK < <(free_ports 4)
render "$here/forwarder/nginx.conf" "$work/nginx.conf"
render "$here/forwarder/haproxy.cfg" "$work/haproxy.cfg"
mkdir -p "$work/nginx"

nginx -p "$work/nginx" -c "$work/nginx.conf" -g 'daemon off;' 2>"$work/nginx.log" &
pids+=($!)
iperf3 -s -p "$P_IPERF" >"$work/iperf3-server.log" 2>&1 &
pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pids+=($!)
haproxy_pid=$!
wait_port "$P_NGINX"; wait_port "$P_IPERF"; wait_port "$P_HA_HTTP"; wait_port "$P_HA_BULK"

# target label → "http_port bulk_port", and the proxy's pid
labels=(direct haproxy)
declare -A ports=([direct]="$P_NGINX $P_IPERF" [haproxy]="$P_HA_HTTP $P_HA_BULK")
declare -A proxy_pid=([haproxy]="$haproxy_pid")

start_alwayson() { # label binary copy_mode
    local dir="$work/$1"
    mkdir -p "$dir/zones"
    read -r P_FWD_HTTP P_FWD_BULK P_DNS P_ADMIN < <(free_ports 4)
    render "$here/forwarder/alwayson.toml" "$dir/alwayson.toml"
    ALWAYSON_FORWARDER_COPY="$3" "$2" serve --config "$dir/alwayson.toml" >"$dir/alwayson.log" 2>&1 &
    pids+=($!)
    proxy_pid[$1]=$!
    wait_port "$P_FWD_HTTP"; wait_port "$P_FWD_BULK"
    labels+=("$1")
    ports[$1]="$P_FWD_HTTP $P_FWD_BULK"
}
for mode in $COPY_MODES; do
    start_alwayson "alwayson-$mode" "$ALWAYSON" "$mode"
    [[ -n "$BASELINE" ]] && start_alwayson "baseline-$mode" "$BASELINE" "$mode"
done

requests_per_second() { # port [extra wrk args] → "req/s requests"
    local port="$1"; shift
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" "$@" "http://127.0.0.1:$port/" 2>&1 |
        awk '/requests in/ { n = $1 } /^Requests\/sec:/ { r = $2 } END { printf "%d %d", r, n }'
}

segments_sent() { nstat -az TcpOutSegs | awk '/TcpOutSegs/ { print $2 }'; }

cpu_ticks() { # pid → utime+stime in clock ticks (0 without a pid)
    if [[ -n "$1" ]]; then awk '{ print $14 + $15 }' "/proc/$1/stat"; else echo 0; fi
}
tick_us=$((1000000 / $(getconf CLK_TCK)))

megabits_per_second() { # port
    iperf3 -c 127.0.0.1 -p "$1" -t "$DURATION" -f m 2>&1 |
        awk '/receiver/ { printf "%d", $(NF-2) }'
}

# label → space-separated samples, per column
declare -A keep close bulk segs cpu bulk_cpu
for round in $(seq "$ROUNDS"); do
    for label in "${labels[@]}"; do
        read -r http_port bulk_port <<<"${ports[$label]}"
        read -r k _ <<<"$(requests_per_second "$http_port")"
        s0="$(segments_sent)"; t0="$(cpu_ticks "${proxy_pid[$label]:-}")"
        read -r c n <<<"$(requests_per_second "$http_port" -H "Connection: close")"
        s1="$(segments_sent)"; t1="$(cpu_ticks "${proxy_pid[$label]:-}")"
        t2="$(cpu_ticks "${proxy_pid[$label]:-}")"
        b="$(megabits_per_second "$bulk_port")"
        t3="$(cpu_ticks "${proxy_pid[$label]:-}")"
        # Mbit/s × seconds / 8000 = GB moved
        gr="$(awk -v t=$((t3 - t2)) -v u="$tick_us" -v b="${b:-0}" -v d="$DURATION" 'BEGIN { printf "%.0f", b ? t * u / 1000 / (b * d / 8000) : 0 }')"
        sr="$(awk -v s=$((s1 - s0)) -v n="${n:-0}" 'BEGIN { printf "%.2f", n ? s / n : 0 }')"
        cr="$(awk -v t=$((t1 - t0)) -v u="$tick_us" -v n="${n:-0}" 'BEGIN { printf "%.1f", n ? t * u / n : 0 }')"
        keep[$label]+="${k:-0} "; close[$label]+="${c:-0} "; bulk[$label]+="${b:-0} "
        segs[$label]+="$sr "; cpu[$label]+="$cr "; bulk_cpu[$label]+="$gr "
        echo "round $round $label: keep-alive ${k:-?} req/s, close ${c:-?} req/s ($sr segments, proxy ${cr} us CPU per request), bulk ${b:-?} Mbit/s (proxy ${gr} ms CPU per GB)" >&2
    done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }

printf '\nmedians of %s rounds of %ss, %s connections, %s wrk threads\n' "$ROUNDS" "$DURATION" "$CONNECTIONS" "$THREADS"
printf '%-18s %14s %14s %12s %10s %10s %10s %10s %12s %12s\n' target keepalive_rps close_rps bulk_Mbit/s keep/ha close/ha bulk/direct segs/req proxy_us/req proxy_ms/GB
ha_keep="$(median <<<"${keep[haproxy]}")"; ha_close="$(median <<<"${close[haproxy]}")"
direct_bulk="$(median <<<"${bulk[direct]}")"
for label in "${labels[@]}"; do
    k="$(median <<<"${keep[$label]}")"; c="$(median <<<"${close[$label]}")"; b="$(median <<<"${bulk[$label]}")"
    sg="$(median <<<"${segs[$label]}")"; cu="$(median <<<"${cpu[$label]}")"
    gb="$(median <<<"${bulk_cpu[$label]}")"
    [[ $label == direct ]] && cu=- && gb=-
    printf '%-18s %14s %14s %12s %10s %10s %10s %10s %12s %12s\n' "$label" "$k" "$c" "$b" \
        "$(ratio "$k" "$ha_keep")" "$(ratio "$c" "$ha_close")" "$(ratio "$b" "$direct_bulk")" "$sg" "$cu" "$gb"
done
echo "targets: alwayson req/s >= 1.00 x HAProxy; bulk >= 0.90 x direct"
