#!/usr/bin/env bash
# DNSViz `probe` + `grok` against a signed zone served by alwayson on
# loopback: every kind of answer (A, CNAME chain, wildcard, DNAME,
# NXDOMAIN, NODATA, empty non-terminal, DS/no-DS delegations). Exits 1 when
# grok reports any error or warning.
#
# Needs: dnsviz and dnspython (pip install dnsviz dnspython), and BIND's
# named + named-checkconf (apt-get install bind9 bind9-utils), which DNSViz
# uses to stand in for the parent zone given with -N/-D.
# Usage: scripts/dnsviz.sh            (ALWAYSON_BIN=target/debug/alwayson by default)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${ALWAYSON_BIN:-target/debug/alwayson}
port=${PORT:-5399}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/zones"
cat > "$work/alwayson.toml" <<TOML
state_dir = "off"
[dns]
listen = ["127.0.0.1:$port"]
[admin]
listen = "off"
TOML
cat > "$work/zones/example.com.toml" <<'TOML'
[zone]
origin = "example.com."
dnssec = true
soa = { mname = "ns1.example.com.", rname = "hostmaster.example.com." }

[[record]]
name = "@"
type = "NS"
values = ["ns1.example.com."]

[[record]]
name = "ns1"
type = "A"
values = ["127.0.0.1"]

[[record]]
name = "www"
type = "A"
values = ["192.0.2.1", "192.0.2.2"]

[[record]]
name = "alias"
type = "CNAME"
values = ["www.example.com."]

[[record]]
name = "*.wild"
type = "A"
values = ["192.0.2.99"]

[[record]]
name = "a.b.ent"
type = "A"
values = ["192.0.2.7"]

[[record]]
name = "dn"
type = "DNAME"
values = ["target.example.com."]

[[record]]
name = "host.target"
type = "A"
values = ["192.0.2.8"]
TOML
"$bin" dnssec keygen example.com -c "$work/alwayson.toml" > "$work/ds.txt"
"$bin" serve -c "$work/alwayson.toml" > "$work/serve.log" 2>&1 &
echo $! > "$work/pid"
sleep 1
read -r _ _ _ tag alg digest_type digest < <(grep ' IN DS ' "$work/ds.txt")
echo "example.com. IN DS $tag $alg $digest_type $digest" > "$work/anchor.txt"
server="ns1.example.com=127.0.0.1:$port"
dnsviz probe -A -a example.com -N "example.com:$server" -x "example.com:$server" \
  -D "example.com:$tag $alg $digest_type $digest" -p \
  example.com www.example.com alias.example.com foo.bar.wild.example.com \
  host.dn.example.com nope.example.com b.ent.example.com > "$work/probe.json"
dnsviz grok -t "$work/anchor.txt" < "$work/probe.json" > "$work/grok.json"
python3 - "$work/grok.json" <<'PY'
import json, sys
found = []
def walk(o, path):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("errors", "warnings") and v:
                found.append(f"{path} {k}: {json.dumps(v)[:400]}")
            walk(v, f"{path}/{k}")
    elif isinstance(o, list):
        for i, v in enumerate(o):
            walk(v, f"{path}[{i}]")
walk(json.load(open(sys.argv[1])), "")
print("\n".join(found) if found else "dnsviz grok: no errors, no warnings")
sys.exit(1 if found else 0)
PY
