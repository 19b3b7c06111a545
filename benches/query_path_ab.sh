#!/usr/bin/env bash
# The query_path criterion benchmarks of two builds side by side, in one run:
# rounds alternate A, B, A, B, ... (alternating cancels drift on a shared
# machine), and the summary gives each benchmark's median of the rounds'
# point estimates for A and B and the ratio B/A (below 1: B is faster).
#
#   benches/query_path_ab.sh A_BENCH_BINARY B_BENCH_BINARY [ROUNDS]
#
# A bench binary is what `cargo bench --no-run --bench query_path` prints
# (target/release/deps/query_path-HASH); copy the "before" one aside before
# rebuilding. ROUNDS defaults to 5.
set -euo pipefail
a=${1:?usage: $0 A_BENCH_BINARY B_BENCH_BINARY [ROUNDS]}
b=${2:?usage: $0 A_BENCH_BINARY B_BENCH_BINARY [ROUNDS]}
rounds=${3:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for ((r = 1; r <= rounds; r++)); do
    for side in a b; do
        bin=$a
        [[ $side == b ]] && bin=$b
        # criterion prints "name  time: [low mid high]"; keep the middle value in ns.
        "$bin" --bench --noplot 2>/dev/null | awk -v side="$side" '
            /time:/ {
                name = prev
                if ($1 != "time:") name = $1
                for (i = 1; i <= NF; i++) if ($i == "time:") { v = $(i + 3); u = $(i + 4) }
                if (u == "ps") v /= 1000; else if (u == "µs" || u == "us") v *= 1000; else if (u == "ms") v *= 1e6
                print side, name, v
            }
            { prev = $1 }' >>"$work/results"
    done
    echo "round $r of $rounds done" >&2
done

python3 - "$work/results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, name, ns = line.split()
    rows.setdefault(name, {"a": [], "b": []})[side].append(float(ns))
print(f"{'benchmark':32} {'A median ns':>12} {'B median ns':>12} {'B/A':>6}")
for name, sides in rows.items():
    a, b = statistics.median(sides["a"]), statistics.median(sides["b"])
    spread = lambda xs: f"{min(xs):.1f}-{max(xs):.1f}"
    print(f"{name:32} {a:12.1f} {b:12.1f} {b / a:6.3f}   (A {spread(sides['a'])}, B {spread(sides['b'])})")
EOF
