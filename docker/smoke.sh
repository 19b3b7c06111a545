#!/usr/bin/env bash
# Smoke test of the container image (run by .ci/run after the tests):
# installs docker.io when missing, starts `dockerd --bridge=none
# --iptables=false` when no daemon answers (and stops it again at the end),
# builds the image FROM scratch with docker/build.sh, runs it with
# --network host as the non-root user on free loopback ports, digs the
# sample zone over UDP and TCP, checks the admin API, then removes the
# container. Exits non-zero on any failure; every step is bounded in time.
#   docker/smoke.sh
#   ALWAYSON_BIN=target/release/alwayson docker/smoke.sh   # skip `cargo build`
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

tag=alwayson:smoke
name=alwayson-smoke-$$
uid=10053
work=$(mktemp -d)
dockerd_pid=""
t0=$SECONDS

say() { echo "smoke: $* ($((SECONDS - t0))s)"; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

cleanup() {
  local rc=$?
  if docker container inspect "$name" >/dev/null 2>&1; then
    if [ "$rc" -ne 0 ]; then
      echo "--- container log (last 40 lines)" >&2
      timeout 20 docker logs "$name" 2>&1 | tail -40 >&2 || true
    fi
    timeout 30 docker rm -f "$name" >/dev/null 2>&1 || true
  fi
  if [ -n "$dockerd_pid" ]; then
    if [ "$rc" -ne 0 ]; then
      echo "--- dockerd log (last 20 lines)" >&2
      tail -20 "$work/dockerd.log" >&2 || true
    fi
    kill "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$dockerd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

install_missing() {
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v docker >/dev/null 2>&1 || need+=(docker.io)
  command -v dig >/dev/null 2>&1 || need+=(dnsutils)
  command -v setcap >/dev/null 2>&1 || need+=(libcap2-bin)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  [ ${#need[@]} -gt 0 ] || return 0
  say "installing: ${need[*]}"
  timeout 120 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

start_dockerd() {
  if timeout 20 docker info >/dev/null 2>&1; then
    say "using the running docker daemon"
    return 0
  fi
  say "starting dockerd --bridge=none --iptables=false"
  dockerd --bridge=none --iptables=false >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do
    timeout 5 docker info >/dev/null 2>&1 && return 0
    kill -0 "$dockerd_pid" 2>/dev/null || fail "dockerd exited (log above)"
    sleep 1
  done
  fail "dockerd did not answer within 60s"
}

# Print N ports free on 127.0.0.1 for both UDP and TCP.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
found = []
while len(found) < int(sys.argv[1]):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
        if port not in found:
            found.append(port)
    except OSError:
        pass
    finally:
        u.close()
        t.close()
print(*found)
EOF
}

# True when ADDR:53 can be bound over UDP and TCP (nothing else has port 53).
port53_free() {
  python3 - "$1" <<'EOF'
import socket, sys
try:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        s.bind((sys.argv[1], 53))
        s.close()
except OSError:
    sys.exit(1)
EOF
}

install_missing
start_dockerd

if [ -z "${ALWAYSON_BIN:-}" ]; then
  say "cargo build --release"
  timeout 1800 cargo build --release --locked --bin alwayson
  export ALWAYSON_BIN=target/release/alwayson
fi
say "building $tag"
timeout 300 docker/build.sh "$tag"

read -r dns_port admin_port < <(free_ports 2)
[ -n "${admin_port:-}" ] || fail "no free loopback ports found"
# Port 53 on a loopback address of its own shows the non-root process binds
# a privileged port through its file capability; skipped when taken.
low_addr=127.53.0.1
listen="\"127.0.0.1:$dns_port\""
if port53_free "$low_addr"; then listen="$listen, \"$low_addr:53\""; else low_addr=""; fi
cat >"$work/alwayson.toml" <<EOF
[dns]
listen = [$listen]
zones_dir = "zones"

[geoip]
database = "geoip/sample.mmdb"

[admin]
listen = "127.0.0.1:$admin_port"
EOF
chmod 0644 "$work/alwayson.toml"

say "running $name: dns 127.0.0.1:$dns_port${low_addr:+ and $low_addr:53}, admin 127.0.0.1:$admin_port"
timeout 60 docker run -d --name "$name" --network host --read-only \
  --cap-drop ALL --cap-add NET_BIND_SERVICE \
  -v "$work/alwayson.toml:/etc/alwayson/alwayson.toml:ro" "$tag" >/dev/null

q() { timeout 10 dig @"$1" -p "$2" +time=2 +tries=1 "${@:3}"; }

for _ in $(seq 1 30); do
  [ "$(timeout 10 docker inspect -f '{{.State.Running}}' "$name")" = true ] || fail "the container stopped"
  [ "$(q 127.0.0.1 "$dns_port" +short mail.example.com A 2>/dev/null)" = 192.0.2.25 ] && break
  sleep 1
done
say "answering"

got=$(q 127.0.0.1 "$dns_port" +short mail.example.com A)
[ "$got" = 192.0.2.25 ] || fail "UDP mail.example.com A: got '$got', want 192.0.2.25"
got=$(q 127.0.0.1 "$dns_port" +norecurse example.com SOA)
grep -q 'flags: qr aa' <<<"$got" || fail "example.com SOA is not authoritative: $got"
got=$(q 127.0.0.1 "$dns_port" +tcp +short example.com MX | sort)
[ "$got" = "$(printf '10 mail.example.com.\n20 mail2.example.com.')" ] || fail "TCP example.com MX: got '$got'"
got=$(q 127.0.0.1 "$dns_port" nosuch.example.com A)
grep -q 'status: NXDOMAIN' <<<"$got" || fail "nosuch.example.com is not NXDOMAIN: $got"
if [ -n "$low_addr" ]; then
  got=$(q "$low_addr" 53 +short mail.example.com A)
  [ "$got" = 192.0.2.25 ] || fail "port 53 on $low_addr: got '$got', want 192.0.2.25"
fi
got=$(timeout 10 curl -fsS "http://127.0.0.1:$admin_port/healthz")
[ "$got" = ok ] || fail "admin /healthz: got '$got', want ok"
timeout 10 curl -fsS "http://127.0.0.1:$admin_port/api/v1/zones" | grep -q '"example.com."' \
  || fail "admin /api/v1/zones does not list example.com."
pid=$(timeout 10 docker inspect -f '{{.State.Pid}}' "$name")
got=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
[ "$got" = "$uid" ] || fail "the server runs as uid $got, want $uid"

say "ok: UDP, TCP, NXDOMAIN${low_addr:+, port 53 as uid $uid}, admin API; image $tag"
