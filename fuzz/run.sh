#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 90) each, one after the other, and prints
# "target executions seconds" per target. Needs cargo-fuzz and RUSTC_BOOTSTRAP=1 (stable
# toolchain); crashes land in artifacts/<target>/.
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-90}
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none -O -a >/dev/null 2>&1 || { echo "cargo fuzz build failed"; exit 1; }
mkdir -p logs
bin=target/x86_64-unknown-linux-gnu/release
for target in ${TARGETS:-$(cargo fuzz list)}; do
  mkdir -p "corpus/$target" "artifacts/$target"
  # The binaries built above, run directly (no rebuild between targets).
  "$bin/$target" "corpus/$target" -artifact_prefix="artifacts/$target/" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -max_len=65536 >"logs/$target.log" 2>&1
  status=$?
  done_line=$(grep -E '^Done [0-9]+ runs' "logs/$target.log" | tail -1)
  echo "$target exit=$status ${done_line:-no summary (crash? see logs/$target.log)}"
done
