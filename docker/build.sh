#!/usr/bin/env bash
# Build the alwayson image from scratch out of the local release binary:
# nothing is pulled from a registry. The image is one layer made by
# `docker import` from a staged root file system (a Dockerfile COPY would drop
# the binary's file capability; an imported tar keeps it).
#   docker/build.sh [TAG]                 # default alwayson:local
#   ALWAYSON_BIN=path/to/alwayson docker/build.sh   # skip `cargo build`
# The root file system is staged in a temporary directory: the binary, every shared
# library `ldd` lists for it (and the dynamic loader) at the same paths, a
# passwd/group naming the user alwayson (10053), docker/alwayson.toml as
# /etc/alwayson/alwayson.toml, the sample zone and the sample GeoIP database.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=${1:-alwayson:local}
uid=10053

if [ -z "${ALWAYSON_BIN:-}" ]; then
  cargo build --release --locked --bin alwayson
  ALWAYSON_BIN=target/release/alwayson
fi
[ -x "$ALWAYSON_BIN" ] || { echo "build.sh: no binary at $ALWAYSON_BIN" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
mkdir -p "$root/usr/local/bin" "$root/etc/alwayson/zones" "$root/etc/alwayson/geoip" "$root/tmp"
chmod 1777 "$root/tmp"

install -m 0755 "$ALWAYSON_BIN" "$root/usr/local/bin/alwayson"
# Port 53 as a non-root user: the file capability travels in the tar's
# security.capability xattr (checked by smoke.sh, which binds port 53).
command -v setcap >/dev/null 2>&1 || { echo "build.sh: setcap missing (apt-get install libcap2-bin)" >&2; exit 1; }
setcap cap_net_bind_service=+ep "$root/usr/local/bin/alwayson"

# Shared libraries at the paths the loader looks for them (the loader's own
# path is the one written in the binary, e.g. /lib64/ld-linux-x86-64.so.2).
libs=$(ldd "$ALWAYSON_BIN" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
[ -n "$libs" ] || { echo "build.sh: ldd listed no libraries for $ALWAYSON_BIN" >&2; exit 1; }
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

printf 'root:x:0:0:root:/:/sbin/nologin\nalwayson:x:%s:%s:alwayson:/etc/alwayson:/sbin/nologin\n' "$uid" "$uid" >"$root/etc/passwd"
printf 'root:x:0:\nalwayson:x:%s:\n' "$uid" >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"

cp docker/alwayson.toml "$root/etc/alwayson/alwayson.toml"
cp zones/*.toml "$root/etc/alwayson/zones/"
cp geoip/sample.mmdb "$root/etc/alwayson/geoip/"

tar --xattrs --xattrs-include='security.capability' --owner=0 --group=0 --numeric-owner \
    -C "$root" -c . |
  docker import \
    --change "USER $uid:$uid" \
    --change 'WORKDIR /etc/alwayson' \
    --change 'EXPOSE 53/udp 53/tcp 8053/tcp' \
    --change 'ENTRYPOINT ["/usr/local/bin/alwayson"]' \
    --change 'CMD ["serve", "--config", "/etc/alwayson/alwayson.toml"]' \
    --message "alwayson from $ALWAYSON_BIN" - "$tag" >/dev/null
echo "built $tag ($(docker image inspect -f '{{.Size}}' "$tag") bytes)"
