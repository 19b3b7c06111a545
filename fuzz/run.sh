#!/usr/bin/env bash
# Runs every fuzz target (or those named in FUZZ_TARGETS) for SECONDS each
# (default 60) with cargo fuzz (libFuzzer, nightly), starting from the
# committed seeds in fuzz/corpus/<target>/; what a run learns stays in
# fuzz/target/corpus/<target>/ (not committed). Prints executions per target
# and exits non-zero when a target crashed (the input is in fuzz/artifacts/).
#   fuzz/run.sh 10                              # CI smoke
#   FUZZ_TARGETS="udp_packet tcp_stream" fuzz/run.sh 600
# FUZZ_RUNS=N stops each target after N inputs, with a fixed seed
# (FUZZ_SEED, default 1): a run that repeats exactly, as CI's smoke does,
# so CI fails only on what a developer's same run also finds.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
targets=(udp_packet tcp_stream zone_toml bind_import server_config geo_csv admin_json)
if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -ra targets <<<"$FUZZ_TARGETS"
fi
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzz/run.sh: needs the nightly toolchain (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz/run.sh: installing cargo-fuzz (about a minute)"
  cargo install cargo-fuzz --locked --quiet
fi
fuzz=(cargo +nightly fuzz)
"${fuzz[@]}" build --fuzz-dir fuzz
mkdir -p fuzz/target/logs
failed=0
printf '%-14s %8s %12s %10s %s\n' target seconds executions exec/s result
for t in "${targets[@]}"; do
  work=fuzz/target/corpus/$t
  log=fuzz/target/logs/$t.log
  mkdir -p "$work"
  result=ok
  bound=(-max_total_time="$secs")
  if [ -n "${FUZZ_RUNS:-}" ]; then
    bound+=(-runs="$FUZZ_RUNS" -seed="${FUZZ_SEED:-1}")
  fi
  if ! "${fuzz[@]}" run --fuzz-dir fuzz "$t" "$work" "fuzz/corpus/$t" -- \
    "${bound[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    result="CRASH (see $log)"
    failed=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-14s %8s %12s %10s %s\n' "$t" "$secs" "${runs:-?}" "${rate:-?}" "$result"
done
exit "$failed"
